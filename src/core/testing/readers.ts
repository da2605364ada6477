import { spawnSync } from "node:child_process";

/**
 * The real readers of provisioning files, for tests: `sh` (dash on Debian, as in the Debian installer and
 * close to Alpine's busybox ash), Python's shlex (how pykickstart splits kickstart lines) and PyYAML (what
 * cloud-init and Subiquity parse user-data with). Without python3 and PyYAML they throw: the tests that use
 * them fail, never skip (npm test installs both as root).
 */

/** Runs a script with `sh` and answers its standard output; throws when it fails. */
export function runSh(script: string): string {
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`sh failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const python = spawnSync("python3", ["-c", "import yaml, shlex"], { encoding: "utf8" }).status === 0;

/** What Python's `shlex.split(line, comments=True)` makes of one kickstart line. */
export function pyShlex(line: string): string[] | undefined {
  return pyShlexAll([line])[0];
}

/** pyShlex for many lines in one Python process. */
export function pyShlexAll(lines: string[]): string[][] {
  const code = "[shlex.split(l, comments=True) for l in json.load(sys.stdin)]";
  return py(`import sys, json, shlex; print(json.dumps(${code}))`, JSON.stringify(lines));
}

/** What PyYAML's safe_load makes of a document (cloud-init's reader). */
export function pyYaml(text: string): unknown {
  return pyYamlAll([text])[0];
}

/** pyYaml for many documents in one Python process. */
export function pyYamlAll(texts: string[]): unknown[] {
  const code = "[yaml.safe_load(t) for t in json.load(sys.stdin)]";
  return py(`import sys, json, yaml; print(json.dumps(${code}))`, JSON.stringify(texts));
}

function py<T>(code: string, input: string): T {
  if (!python)
    throw new Error("needs python3 with PyYAML: apt-get install python3-yaml (npm test installs it as root)");
  const r = spawnSync("python3", ["-c", code], { input, encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr.split("\n").slice(-2).join(" ")}`);
  return JSON.parse(r.stdout) as T;
}

/** Debian preseed lines as debconf reads them: comments dropped, `\` continuations joined. */
export function preseedLines(text: string): string[][] {
  return text
    .replace(/\\\n/g, "")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))
    .map((l) => {
      const m = /^\s*(\S+)\s+(\S+)\s+(\S+)(?:\s(.*))?$/.exec(l);
      return m ? [m[1]!, m[2]!, m[3]!, m[4] ?? ""] : [l];
    });
}
