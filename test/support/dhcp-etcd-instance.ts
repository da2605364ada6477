// `enforcer serve` instances with DHCP on one etcd, on loopback (no root): the boot network is 127.0.0.0/8 and
// DHCP listens on kernel-picked ports, so replies go straight back to the sender (protocols/dhcp/server.ts).
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EtcdPeer } from "../../src/store/testing/etcd-peer.js";
import { startEnforcer, type EnforcerProcess } from "./enforcer-process.js";

/** The boot network every instance here serves. */
export const LOOPBACK_NET = "127.0.0.0/8";

/** One instance: its process, the DHCP port the kernel picked (it stands for 67) and its role at start. */
export interface DhcpInstance {
  proc: EnforcerProcess;
  dhcpPort: number;
  role: "leading" | "following";
}

/**
 * Starts one more instance on the etcd with `--dhcp <mode>` (plus `extra`). Instances after the first get a
 * data directory with the first one's session.secret (every instance must hold the same: docs/store.md) and
 * admin.token (the token itself is in the store).
 */
export async function startDhcpInstance(
  etcd: EtcdPeer,
  mode: "proxy" | "server",
  first?: DhcpInstance,
  extra: string[] = [],
): Promise<DhcpInstance> {
  const data = mkdtempSync(join(tmpdir(), "enforcer-dhcp-etcd-"));
  if (first)
    for (const f of ["session.secret", "power.key", "admin.token"])
      copyFileSync(join(first.proc.data, f), join(data, f));
  // prettier-ignore
  const proc = await startEnforcer([
    "--dhcp", mode, "--dhcp-subnet", LOOPBACK_NET, "--dhcp-port", "0",
    ...(mode === "proxy" ? ["--dhcp-pxe-port", "0"] : []),
    "--store", `etcd://${etcd.endpoints}`, "--log-level", "info", ...extra,
  ], { data });
  const m = /dhcp=(?:proxy|server):(\d+)(?:,\d+)?:(leading|following)/.exec(proc.logs());
  assert.ok(m, `no DHCP role on the ready line:\n${proc.logs()}`);
  return { proc, dhcpPort: Number(m[1]), role: m[2] as DhcpInstance["role"] };
}

/** True while the instance's process runs. */
export function alive(i: DhcpInstance): boolean {
  return i.proc.child.exitCode === null && i.proc.child.signalCode === null;
}

/** SIGKILLs what still runs, waits for it, removes the data directories. */
export async function removeDhcpInstances(instances: DhcpInstance[]): Promise<void> {
  for (const i of instances) {
    if (alive(i)) {
      const gone = new Promise((r) => i.proc.child.once("exit", r));
      i.proc.child.kill("SIGKILL");
      await gone;
    }
    rmSync(i.proc.data, { recursive: true, force: true });
  }
}

/** The metric `series` of an instance, as a number (NaN when absent). */
export async function instanceMetric(i: DhcpInstance, series: string): Promise<number> {
  const r = await fetch(`${i.proc.base}/metrics`, { headers: { authorization: `Bearer ${i.proc.token}` } });
  const line = (await r.text()).split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}
