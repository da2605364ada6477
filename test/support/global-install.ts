// `npm pack` from a copy of the sources with no dist/ (the prepare script builds it, as in a clean clone),
// then `npm install -g --prefix` of the tarball: Enforcer as a user installs it, with only its production
// dependencies. The registry must be reachable for them (npm's cache answers what `npm ci` fetched).
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A packed and globally installed Enforcer. */
export interface GlobalInstall {
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** The `--prefix` of the global install: `bin/enforcer`, `lib/node_modules/enforcer`. */
  prefix: string;
  /** The installed package. */
  pkg: string;
  /** Seconds the pack (with its build) and the install took. */
  seconds: { pack: number; install: number };
}

/**
 * Copies the checkout's files (tracked and new, as git lists them, without test/ and bench/ which the
 * package never holds) into `dir`, packs them there and installs the tarball under `dir/prefix`.
 */
export async function packAndInstall(dir: string): Promise<GlobalInstall> {
  const src = join(dir, "src");
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && !/^(test|bench)\//.test(f));
  for (const f of files) {
    mkdirSync(dirname(join(src, f)), { recursive: true });
    cpSync(f, join(src, f), { errorOnExist: false });
  }
  // The build's tools (tsc, esbuild-wasm) are dev dependencies: the checkout's, as a clone has after npm ci.
  symlinkSync(resolve("node_modules"), join(src, "node_modules"));
  const out = join(dir, "out");
  mkdirSync(out);
  const npm = (args: string[], cwd: string) =>
    run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, timeout: 600_000 }).catch(
      (err: { stderr?: string; message: string }) => {
        throw new Error(`npm ${args[0]} failed: ${err.stderr || err.message}`);
      },
    );
  let t = performance.now();
  await npm(["pack", "--pack-destination", out], src);
  const pack = (performance.now() - t) / 1000;
  const [name] = readdirSync(out);
  if (!name) throw new Error("npm pack wrote no tarball");
  const tarball = join(out, name);
  const prefix = join(dir, "prefix");
  t = performance.now();
  // An absolute path: npm reads `out/x.tgz` as a GitHub repository.
  await npm(["install", "-g", "--prefix", prefix, "--prefer-offline", tarball], dir);
  const install = (performance.now() - t) / 1000;
  return { tarball, prefix, pkg: join(prefix, "lib/node_modules/enforcer"), seconds: { pack, install } };
}
