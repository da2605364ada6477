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
import { dirname, join } from "node:path";
import { podman, podmanOk } from "./podman.js";

// No image registry is reachable from CI, so the Dockerfile's base images are made here from this machine's
// files, laid out as the official ones are:
//   node:20-bookworm-slim (BASE)     this machine's Node 20 and npm in /usr/local, user `node` (uid 1000), and
//                                    setcap (the Dockerfile installs Debian's libcap2-bin when a base lacks it);
//   debian:bookworm-slim (RUNTIME_BASE, SERF_BASE)   no node and no npm; the libraries node and setcap load;
//                                    Debian's serf binary, as the serf stage would install it.
// Each holds the libraries its programs load (as ldd resolves them) and a static busybox for `sh`.

/** Bumped when the recipe below changes, so a cached base image made by the old recipe is not reused. */
const RECIPE = "3";

function which(cmd: string): string {
  return realpathSync(execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim());
}

/** The shared libraries `binary` loads, as ldd resolves them (the loader included). */
function libraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
}

/** Which stand-in: the Node image the build stage starts from, or the Debian image with serf. */
type Kind = "node" | "debian";

/** Every file a stand-in holds, by its path in the image. */
function contents(kind: Kind): Map<string, string> {
  const node = realpathSync(process.execPath);
  const setcap = which("setcap");
  const files = new Map<string, string>([["/usr/bin/busybox", which("busybox")]]);
  if (kind === "node") files.set("/usr/local/bin/node", node).set("/usr/sbin/setcap", setcap);
  else files.set("/usr/bin/serf", which("serf"));
  // Debian's slim image has these libraries too: libc, libstdc++, libgcc and libcap (for apt and systemd's).
  for (const lib of new Set([...libraries(node), ...libraries(setcap)])) files.set(lib, realpathSync(lib));
  return files;
}

/** npm's own directory (the global `npm` package), copied whole. */
function npmDir(): string {
  return join(execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim(), "npm");
}

/** Lays the stand-in's files out in `root`, as Debian's merged /usr does. */
function makeRootfs(root: string, kind: Kind, files: Map<string, string>): void {
  for (const d of [
    "usr/bin",
    "usr/sbin",
    "usr/lib",
    "usr/lib64",
    "usr/local/bin",
    "etc",
    "root",
    "tmp",
    "var/tmp",
  ])
    mkdirSync(join(root, d), { recursive: true });
  for (const l of ["bin", "sbin", "lib", "lib64"]) symlinkSync(`usr/${l}`, join(root, l));
  for (const [to, from] of files) {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    cpSync(from, join(root, to));
  }
  const applets = execFileSync(join(root, "usr/bin/busybox"), ["--list"], { encoding: "utf8" }).split("\n");
  for (const a of applets.filter((a) => a && a !== "busybox"))
    symlinkSync("busybox", join(root, "usr/bin", a));
  chmodSync(join(root, "tmp"), 0o1777);
  chmodSync(join(root, "var/tmp"), 0o1777);
  let passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n";
  let group = "root:x:0:\nnogroup:x:65534:\n";
  if (kind === "node") {
    mkdirSync(join(root, "usr/local/lib/node_modules"), { recursive: true });
    cpSync(npmDir(), join(root, "usr/local/lib/node_modules/npm"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(root, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(root, "usr/local/bin/npx"));
    passwd += "node:x:1000:1000::/home/node:/bin/sh\n";
    group += "node:x:1000:\n";
    mkdirSync(join(root, "home/node"), { recursive: true });
    execFileSync("chown", ["1000:1000", join(root, "home/node")]);
  }
  writeFileSync(join(root, "etc/passwd"), passwd);
  writeFileSync(join(root, "etc/group"), group);
}

/**
 * The local stand-in for node:20-bookworm-slim ("node") or for debian:bookworm-slim with Debian's serf
 * ("debian"), tagged by a hash of its content: made once (a few seconds), then reused by later runs while
 * the files it is made of are unchanged. Answers the image name.
 */
export async function localBase(kind: Kind): Promise<string> {
  const files = contents(kind);
  const hash = createHash("sha256").update(RECIPE).update(kind);
  for (const [to, from] of [...files].sort()) hash.update(to).update(readFileSync(from));
  if (kind === "node") hash.update(readFileSync(join(npmDir(), "package.json")));
  const tag = `localhost/enforcer-test-base-${kind}:${hash.digest("hex").slice(0, 16)}`;
  if ((await podman(["image", "exists", tag])).code === 0) return tag;

  const work = mkdtempSync(join(tmpdir(), "enforcer-base-"));
  try {
    makeRootfs(join(work, "rootfs"), kind, files);
    const tar = join(work, "rootfs.tar");
    execFileSync("tar", ["-C", join(work, "rootfs"), "-cf", tar, "."]);
    const path = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    await podmanOk([
      "import",
      "--change",
      path,
      "--change",
      `CMD ["${kind === "node" ? "node" : "sh"}"]`,
      tar,
      tag,
    ]);
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
