import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DISCOVERY_INIT, NIC_MODULES, UDHCPC_SCRIPT } from "./init-script.js";

/** The shell agent shipped in the repository, which the discovery image runs. */
const AGENT = resolve(fileURLToPath(import.meta.url), "../../../../on-machine/shell/enforcer-agent.sh");

/** Where the built files are. */
export interface DiscoveryImage {
  kernel: string;
  initrd: string;
}

/** What goes into an image besides busybox, the NIC modules and the udhcpc hook. */
export interface ImageContents {
  init: string;
  /** Path inside the image -> local file to copy (made executable). */
  files?: Record<string, string>;
}

/**
 * `enforcer discovery build`: a kernel and an initramfs from Debian packages (the current linux-image and
 * busybox-static, fetched with `apt-get download`, nothing installed), holding the NIC modules and the
 * shell agent. Steps are reported through `progress`; the result replaces `outDir`'s files atomically.
 */
export function buildDiscoveryImage(
  outDir: string,
  progress: (step: string) => void = () => {},
): DiscoveryImage {
  return buildBootImage(outDir, { init: DISCOVERY_INIT, files: { "bin/enforcer-agent": AGENT } }, progress);
}

/** A Debian kernel and a busybox initramfs with the NIC modules, the udhcpc hook and `contents`. */
export function buildBootImage(
  outDir: string,
  contents: ImageContents,
  progress: (step: string) => void = () => {},
): DiscoveryImage {
  const work = mkdtempSync(join(tmpdir(), "enforcer-image-"));
  const sh = (cmd: string) =>
    execFileSync("sh", ["-c", cmd], { cwd: work, stdio: ["ignore", "pipe", "pipe"] }).toString();
  try {
    progress("[1/5] finding the current Debian kernel package");
    const pkg = sh(
      "apt-cache depends linux-image-amd64 2>/dev/null | grep -o 'linux-image-[0-9][^ ]*' | head -1",
    ).trim();
    if (!pkg)
      throw new Error("no linux-image package found: run apt-get update (Debian or Ubuntu host needed)");
    progress(`[2/5] downloading ${pkg} and busybox-static`);
    sh(`apt-get download ${pkg} busybox-static >/dev/null 2>&1`);
    progress("[3/5] unpacking");
    for (const deb of readdirSync(work).filter((f) => f.endsWith(".deb"))) sh(`dpkg-deb -x '${deb}' pkg`);
    const vmlinuz = readdirSync(join(work, "pkg/boot")).find((f) => f.startsWith("vmlinuz-"));
    if (!vmlinuz) throw new Error(`${pkg} has no vmlinuz`);
    progress("[4/5] assembling the initramfs (busybox, NIC modules, /init)");
    const root = join(work, "initrd");
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "lib/modules"), { recursive: true });
    copyFileSync(join(work, "pkg/bin/busybox"), join(root, "bin/busybox"));
    for (const m of NIC_MODULES) {
      const found = sh(`find pkg/lib/modules -name '${m}.ko' | head -1`).trim();
      if (found) copyFileSync(join(work, found), join(root, "lib/modules", `${m}.ko`));
    }
    for (const [inside, local] of Object.entries(contents.files ?? {}))
      copyFileSync(local, join(root, inside));
    writeFileSync(join(root, "init"), contents.init);
    writeFileSync(join(root, "bin/udhcpc-script"), UDHCPC_SCRIPT);
    for (const f of ["init", "bin/udhcpc-script", "bin/busybox", ...Object.keys(contents.files ?? {})]) {
      chmodSync(join(root, f), 0o755);
    }
    sh("cd initrd && find . | cpio -o -H newc 2>/dev/null | gzip -9 > ../initrd.gz");
    progress(`[5/5] writing ${outDir}`);
    mkdirSync(outDir, { recursive: true });
    const image = { kernel: join(outDir, "vmlinuz"), initrd: join(outDir, "initrd.gz") };
    // Copied next to the target first (the work dir may be another file system), then renamed into place.
    copyFileSync(join(work, "pkg/boot", vmlinuz), `${image.kernel}.tmp`);
    copyFileSync(join(work, "initrd.gz"), `${image.initrd}.tmp`);
    renameSync(`${image.kernel}.tmp`, image.kernel);
    renameSync(`${image.initrd}.tmp`, image.initrd);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
