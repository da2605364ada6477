import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Two network namespaces joined by a veth pair: a server side with an address, a client side without. */
export interface NetnsPair {
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
  /** Deletes both namespaces (and so the veth pair); safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Creates the pair with random names (parallel runs cannot clash). The server side gets `serverCidr`, and the
 * route for 255.255.255.255 points at its veth: Node cannot name the interface a broadcast leaves by.
 * Fails with one line when not root, never skips.
 */
export async function createNetnsPair(tag: string, serverCidr: string): Promise<NetnsPair> {
  assert.equal(
    process.getuid?.(),
    0,
    "this test makes network namespaces and a veth pair: run it as root (CI does)",
  );
  const suffix = randomBytes(3).toString("hex");
  const pair = {
    serverNs: `enf-${tag}s-${suffix}`,
    clientNs: `enf-${tag}c-${suffix}`,
    serverIf: `v${tag}s${suffix}`,
    clientIf: `v${tag}c${suffix}`,
  };
  const ip = (...args: string[]) => run("ip", args);
  const remove = async () => {
    for (const ns of [pair.clientNs, pair.serverNs]) await ip("netns", "del", ns).catch(() => {});
  };
  try {
    await ip("netns", "add", pair.serverNs);
    await ip("netns", "add", pair.clientNs);
    await ip(
      "-n",
      pair.serverNs,
      "link",
      "add",
      pair.serverIf,
      "type",
      "veth",
      "peer",
      "name",
      pair.clientIf,
      "netns",
      pair.clientNs,
    );
    await ip("-n", pair.serverNs, "addr", "add", serverCidr, "dev", pair.serverIf);
    await ip("-n", pair.serverNs, "link", "set", pair.serverIf, "up");
    await ip("-n", pair.serverNs, "link", "set", "lo", "up");
    await ip("-n", pair.clientNs, "link", "set", pair.clientIf, "up");
    await ip("-n", pair.serverNs, "route", "add", "255.255.255.255/32", "dev", pair.serverIf);
  } catch (err) {
    await remove();
    throw err;
  }
  return { ...pair, remove };
}

/**
 * Runs busybox udhcpc once in the client namespace (`-q`: exit with the lease) with `args`, and answers its
 * stderr and the variables its script saw at `bound` (only `vars`: the script never dumps the environment).
 */
export async function udhcpcOnce(
  pair: NetnsPair,
  dir: string,
  vars: readonly string[],
  args: readonly string[],
): Promise<{ stderr: string; env: Record<string, string> }> {
  const script = `${dir}/udhcpc-script.sh`;
  const out = `${dir}/bound`;
  writeFileSync(
    script,
    `#!/bin/sh\n[ "$1" = bound ] || exit 0\n: > ${out}\n` +
      vars.map((v) => `echo "${v}=$${v}" >> ${out}\n`).join(""),
  );
  chmodSync(script, 0o755);
  const { stderr } = await run(
    "ip",
    [
      "netns",
      "exec",
      pair.clientNs,
      "busybox",
      "udhcpc",
      "-f",
      "-q",
      "-n",
      "-i",
      pair.clientIf,
      "-t",
      "3",
      "-T",
      "1",
      "-s",
      script,
      ...args,
    ],
    { timeout: 30_000 },
  ).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`udhcpc got no lease (busybox-static installed?): ${err.stderr ?? err.message}`);
  });
  const env = Object.fromEntries(
    readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { stderr, env };
}
