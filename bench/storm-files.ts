// The files both stacks serve, in one directory: the loader (Debian's ipxe.efi, ~0.8 MiB), a kernel of 8 MiB
// and an initrd of 40 MiB (random bytes: nothing compresses them), and the classic stack's static scripts.
import { copyFileSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { StormPlan } from "./storm-plan.js";

/** The loader UEFI machines get from both proxies. */
export const LOADER = "ipxe.efi";
/** Where the kernel and initrd live under the root: the Debian family reads `<location>linux` and `initrd.gz`. */
export const KERNEL_DIR = "storm";
const KERNEL_MIB = 8;
const INITRD_MIB = 40;

function writeRandom(path: string, mib: number): void {
  const chunks = Array.from({ length: mib }, () => randomBytes(1 << 20));
  writeFileSync(path, Buffer.concat(chunks));
}

/** Writes the shared files into `root`; answers their sizes. */
export function writeStormFiles(root: string): { loader: number; kernel: number; initrd: number } {
  mkdirSync(join(root, KERNEL_DIR), { recursive: true });
  copyFileSync(`/usr/lib/ipxe/${LOADER}`, join(root, LOADER));
  writeRandom(join(root, KERNEL_DIR, "linux"), KERNEL_MIB);
  writeRandom(join(root, KERNEL_DIR, "initrd.gz"), INITRD_MIB);
  return {
    loader: statSync(join(root, LOADER)).size,
    kernel: KERNEL_MIB << 20,
    initrd: INITRD_MIB << 20,
  };
}

/**
 * The classic stack's scripts, as a dnsmasq + nginx site writes them by hand: one static `boot.ipxe` that
 * chains `machines/<mac>.ipxe` and falls through to the local disk on a 404, a static script per armed
 * machine (the kernel line Enforcer renders for the Debian profile on efi), and a static `complete` beside its
 * provisioning path, which the installed system fetches as Enforcer's completion.
 */
export function writeClassicScripts(root: string, plan: StormPlan, base: string): void {
  writeFileSync(
    join(root, "boot.ipxe"),
    [
      "#!ipxe",
      `chain --autofree ${base}/machines/\${netX/mac:hexhyp}.ipxe || echo no config for \${netX/mac}`,
      "echo booting the local disk",
      "iseq ${platform} efi && exit 1 ||",
      "sanboot --no-describe --drive 0x80 || echo local disk boot failed",
      "exit 1",
      "",
    ].join("\n"),
  );
  mkdirSync(join(root, "machines"), { recursive: true });
  for (const [i, m] of plan.machines.entries()) {
    if (!m.armed) continue;
    const name = m.mac.replace(/:/g, "-");
    const p = `${base}/p/${name}/`;
    writeFileSync(
      join(root, "machines", `${name}.ipxe`),
      [
        "#!ipxe",
        `echo booting ${m.mac}`,
        `kernel ${base}/${KERNEL_DIR}/linux initrd=initrd.gz auto=true priority=critical url=${p}preseed.cfg interface=auto ` +
          `hostname=node-${i} domain=rack.example`,
        `initrd --name initrd.gz ${base}/${KERNEL_DIR}/initrd.gz`,
        "boot",
        "",
      ].join("\n"),
    );
    mkdirSync(join(root, "p", name), { recursive: true });
    writeFileSync(join(root, "p", name, "complete"), `completed ${m.mac}\n`);
  }
}
