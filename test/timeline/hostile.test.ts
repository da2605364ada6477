// An attacker on the boot network inventing MACs and addresses: thousands of machine-script requests with made-up
// MACs from many loopback addresses, and TFTP requests for files that do not exist from many more. The timeline
// keeps at most its cap of MACs and addresses in memory, nothing crashes, and the real machine's timeline works.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { encodeRequest } from "../../src/protocols/tftp/packet.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { until } from "../support/until.js";

const INVENTED_MACS = 2000;
const TFTP_ADDRESSES = 1500;
const MAX_MACHINES = 512;
const MAX_ORPHAN_ADDRESSES = 512;

const mac = (i: number) =>
  `02:00:${[(i >> 16) & 255, (i >> 8) & 255, i & 255, 7].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
/** A distinct loopback address per index (Linux answers the whole 127/8). */
const addr = (net: number, i: number) => `127.${net}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** GET from a chosen local address; answers the status. */
function get(url: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Resident memory of a process, in MiB. */
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/** The timeline gauge values from /metrics. */
async function gauges(base: string, token: string): Promise<Record<string, number>> {
  const text = await (
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^enforcer_boot_timelines\{what="(\w+)"\} (\d+)$/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

describe("boot timeline under invented MACs and addresses", { timeout: 300_000 }, () => {
  let e: EnforcerProcess & { tftpPort?: number };
  before(async () => {
    e = await startEnforcer(["--boot-rate-limit", "0"], { tftp: true });
  });
  after(() => e?.stop());

  test(`${INVENTED_MACS} invented MACs and ${TFTP_ADDRESSES} TFTP addresses: kept timelines stay at their caps`, async () => {
    const pid = e.child.pid!;
    const rssBefore = rssMiB(pid);
    const statuses = new Map<number, number>();
    for (let i = 0; i < INVENTED_MACS; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(i + 50, INVENTED_MACS); j++) {
        const from = addr(1, j);
        batch.push(get(`${e.base}/boot.ipxe`, from));
        batch.push(get(`${e.base}/boot/machine?mac=${mac(j)}`, from));
        // A name that is no MAC: counted by address, never a crash.
        if (j % 10 === 0) batch.push(get(`${e.base}/boot/machine?mac=zz${j}`, from));
      }
      for (const s of await Promise.all(batch)) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    assert.deepEqual([...statuses.keys()].sort(), [200, 400, 404], JSON.stringify([...statuses]));
    // TFTP for missing files from many addresses none of which ever named a MAC: held by address, capped.
    for (let i = 0; i < TFTP_ADDRESSES; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, TFTP_ADDRESSES - i) }, (_, k) => {
          const s = createSocket("udp4");
          return new Promise<void>((resolve) => {
            s.bind(0, addr(2, i + k), () => {
              s.send(encodeRequest(`missing-${i + k}.efi`, "octet"), e.tftpPort!, "127.0.0.1", () => {
                setTimeout(() => s.close(() => resolve()), 20);
              });
            });
          });
        }),
      );
    }
    const g = await until("the timeline gauges", async () => {
      const g = await gauges(e.base, e.token);
      return g.orphanAddresses !== undefined && (g.droppedOrphans ?? 0) + g.orphanAddresses >= TFTP_ADDRESSES
        ? g
        : undefined;
    });
    const rssAfter = rssMiB(pid);
    process.stdout.write(
      `# timeline gauges ${JSON.stringify(g)}; rss ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB\n`,
    );
    assert.equal(g.machines, MAX_MACHINES, "kept timelines at their cap");
    assert.equal(g.droppedMachines, INVENTED_MACS - MAX_MACHINES);
    assert.equal(g.orphanAddresses, MAX_ORPHAN_ADDRESSES);
    assert.ok((g.addresses ?? Infinity) <= 4096);
    assert.equal(g.persisted, 0, "nothing persisted for invented MACs");
    assert.equal(e.child.exitCode, null, "still running");
    // The newest invented MAC still has its timeline: boot.ipxe and the machine script in one attempt.
    const last = await e.api<{ attempts: { steps: { label: string }[] }[] }>(
      "GET",
      `/machines/${mac(INVENTED_MACS - 1)}/timeline`,
    );
    assert.equal(last.status, 200);
    assert.deepEqual(
      last.body.attempts[0]!.steps.map((s) => s.label),
      ["http boot-script 200", "http machine-script 404 none:no-config"],
    );
  });
});
