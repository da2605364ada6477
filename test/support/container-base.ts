import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { podman, podmanOk } from "./podman.js";

// No image registry is reachable from CI, so the Dockerfile's BASE (node:20-bookworm-slim for users) is made
// here from this machine's own Node 20 and npm, laid out as in the official image (/usr/local/bin/node, user
// `node` with uid 1000), plus the shared libraries they load, a static busybox for the Dockerfile's `sh`,
// and setcap (which the Dockerfile installs from Debian's libcap2-bin when the base lacks it).

/** Bumped when the recipe below changes, so a cached base image made by the old recipe is not reused. */
const RECIPE = "2";

function which(cmd: string): string {
  return realpathSync(execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim());
}

/** The shared libraries `binary` loads, as ldd resolves them (the loader included). */
function libraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
}

/** Every file the base image holds, by the path it gets in the image. */
function contents(): Map<string, string> {
  const node = realpathSync(process.execPath);
  const setcap = which("setcap");
  const files = new Map<string, string>([
    ["/usr/local/bin/node", node],
    ["/usr/bin/busybox", which("busybox")],
    ["/usr/sbin/setcap", setcap],
  ]);
  for (const lib of new Set([...libraries(node), ...libraries(setcap)])) files.set(lib, realpathSync(lib));
  return files;
}

/** npm's own directory (the global `npm` package), copied whole. */
function npmDir(): string {
  return join(execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim(), "npm");
}

/**
 * The local stand-in for node:20-bookworm-slim, tagged by a hash of its content: made once (about 6 s), then
 * reused by later runs while node, npm and the libraries are unchanged. Answers the image name.
 */
export async function localNodeBase(): Promise<string> {
  const files = contents();
  const npm = npmDir();
  const hash = createHash("sha256").update(RECIPE);
  for (const [to, from] of [...files].sort()) hash.update(to).update(readFileSync(from));
  hash.update(readFileSync(join(npm, "package.json")));
  const tag = `localhost/enforcer-test-base:${hash.digest("hex").slice(0, 16)}`;
  if ((await podman(["image", "exists", tag])).code === 0) return tag;

  const work = mkdtempSync(join(tmpdir(), "enforcer-base-"));
  try {
    const root = join(work, "rootfs");
    for (const d of [
      "usr/bin",
      "usr/sbin",
      "usr/lib",
      "usr/lib64",
      "usr/local/bin",
      "usr/local/lib/node_modules",
    ])
      mkdirSync(join(root, d), { recursive: true });
    // Debian's merged /usr: /bin, /sbin, /lib and /lib64 point into /usr, so ldd's paths resolve either way.
    for (const l of ["bin", "sbin", "lib", "lib64"]) symlinkSync(`usr/${l}`, join(root, l));
    for (const [to, from] of files) {
      mkdirSync(dirname(join(root, to)), { recursive: true });
      cpSync(from, join(root, to));
    }
    const applets = execFileSync(join(root, "usr/bin/busybox"), ["--list"], { encoding: "utf8" }).split("\n");
    for (const a of applets.filter((a) => a && a !== "busybox"))
      symlinkSync("busybox", join(root, "usr/bin", a));
    cpSync(npm, join(root, "usr/local/lib/node_modules/npm"), { recursive: true, verbatimSymlinks: true });
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(root, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(root, "usr/local/bin/npx"));
    for (const d of ["etc", "root", "tmp", "var/tmp", "home/node"])
      mkdirSync(join(root, d), { recursive: true });
    chmodSync(join(root, "tmp"), 0o1777);
    chmodSync(join(root, "var/tmp"), 0o1777);
    writeFileSync(
      join(root, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n",
    );
    writeFileSync(join(root, "etc/group"), "root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n");
    execFileSync("chown", ["1000:1000", join(root, "home/node")]);
    const tar = join(work, "rootfs.tar");
    execFileSync("tar", ["-C", root, "-cf", tar, "."]);
    await podmanOk([
      "import",
      "--change",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--change",
      'CMD ["node"]',
      tar,
      tag,
    ]);
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The local stand-in for debian:bookworm-slim with Debian's serf package (the Dockerfile's serf stage then
 * skips its apt-get): the Node base plus this machine's serf binary, which needs only libc. Cached by hash.
 */
export async function localSerfBase(nodeBase: string): Promise<string> {
  const serf = which("serf");
  const hash = createHash("sha256").update(RECIPE).update(nodeBase).update(readFileSync(serf));
  const tag = `localhost/enforcer-test-serf-base:${hash.digest("hex").slice(0, 16)}`;
  if ((await podman(["image", "exists", tag])).code === 0) return tag;
  const work = mkdtempSync(join(tmpdir(), "enforcer-serf-base-"));
  try {
    cpSync(serf, join(work, basename(serf)));
    writeFileSync(join(work, "Containerfile"), `FROM ${nodeBase}\nCOPY ${basename(serf)} /usr/bin/serf\n`);
    await podmanOk(["build", "--format", "docker", "--tag", tag, work]);
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
