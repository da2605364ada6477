import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Row } from "./boot-bench.js";
import { startTftpPeers } from "./tftp-peers.js";
import { run } from "./children.js";

const MiB = 1024 * 1024;

/** One measured case: file, client, options and how many clients at once. */
interface Case {
  file: "1M.bin" | "32M.bin" | "64M.bin";
  client: "atftp" | "curl";
  blksize: number;
  windowsize?: number;
  clients: number;
}

/** Fetches `file` with the case's client `clients` times at once; answers MiB/s over all clients (wall time). */
async function measure(port: number, dir: string, c: Case): Promise<number> {
  const size = statSync(join(dir, c.file)).size;
  const out = mkdtempSync(join(tmpdir(), "enforcer-tftpbench-out-"));
  const args = (i: number): [string, string[]] => {
    const to = join(out, String(i));
    if (c.client === "curl")
      return [
        "curl",
        ["-sS", "--tftp-blksize", String(c.blksize), `tftp://127.0.0.1:${port}/${c.file}`, "-o", to],
      ];
    const opts = ["--option", `blksize ${c.blksize}`, "--option", "tsize 0"];
    if (c.windowsize) opts.push("--option", `windowsize ${c.windowsize}`);
    return ["atftp", [...opts, "-g", "-r", c.file, "-l", to, "127.0.0.1", String(port)]];
  };
  try {
    const started = performance.now();
    await Promise.all(Array.from({ length: c.clients }, (_, i) => run(...args(i))));
    const seconds = (performance.now() - started) / 1000;
    for (let i = 0; i < c.clients; i++) {
      if (statSync(join(out, String(i))).size !== size)
        throw new Error(`client ${i} got a short file (${c.file} from port ${port})`);
    }
    return (size * c.clients) / MiB / seconds;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The median of three runs, so one hiccup does not decide a row. */
async function median3(fn: () => Promise<number>): Promise<number> {
  return median([await fn(), await fn(), await fn()]);
}

/**
 * Medians of `rounds` runs of each server, taking turns (A B C, A B C, …): load from others on the machine
 * falls on every server alike, so the ratios hold even when the absolute figures wander.
 */
async function inTurns<K extends string>(
  rounds: number,
  fns: Record<K, () => Promise<number>>,
): Promise<Record<K, number>> {
  const got = {} as Record<K, number[]>;
  for (let r = 0; r < rounds; r++)
    for (const k of Object.keys(fns) as K[]) (got[k] ??= []).push(await fns[k]());
  const out = {} as Record<K, number>;
  for (const k of Object.keys(got) as K[]) out[k] = median(got[k]);
  return out;
}

/**
 * Enforcer's TFTP against its peers in the same run, same files: tftpd-hpa, atftpd (windowsize) and the
 * minimal Node responder (bench/tftp-responder.ts: Node's floor per datagram). The rows first: 32 MiB
 * with curl, lock-step at blksize 1468, and with atftp at windowsize 16; then the atftp matrix (1 MiB and 64
 * MiB, blksize 512 and 1468, 1 and 50 clients, windowsize 8 and 16) against tftpd-hpa.
 */
export async function tftpBench(): Promise<Row[]> {
  const base = mkdtempSync(join(tmpdir(), "enforcer-tftpbench-"));
  const dir = join(base, "files");
  mkdirSync(dir);
  chmodSync(base, 0o755); // in.tftpd and atftpd drop to an unprivileged user
  chmodSync(dir, 0o755);
  for (const [name, size] of [
    ["1M.bin", MiB],
    ["32M.bin", 32 * MiB],
    ["64M.bin", 64 * MiB],
  ] as const)
    writeFileSync(join(dir, name), randomBytes(size), { mode: 0o644 });
  const peers = await startTftpPeers(dir).catch((err: Error) => {
    rmSync(base, { recursive: true, force: true });
    throw err;
  });
  const { ports } = peers;
  const rows: Row[] = [];
  try {
    const lockStep = { file: "32M.bin", client: "curl", blksize: 1468, clients: 1 } as const;
    const ls = await inTurns(5, {
      enforcer: () => measure(ports.enforcer, dir, lockStep),
      responder: () => measure(ports.responder, dir, lockStep),
      hpa: () => measure(ports.hpa, dir, lockStep),
    });
    const label = "32 MiB, curl, lock-step, blksize 1468";
    rows.push(
      {
        workload: `${label} (vs the minimal Node responder; goal 0.95x)`,
        enforcer: ls.enforcer,
        baseline: ls.responder,
        unit: "MiB/s",
      },
      { workload: `${label} (vs tftpd-hpa)`, enforcer: ls.enforcer, baseline: ls.hpa, unit: "MiB/s" },
      {
        workload: `${label}: the minimal Node responder (vs tftpd-hpa)`,
        enforcer: ls.responder,
        baseline: ls.hpa,
        unit: "MiB/s",
      },
    );
    const atftpLockStep = { file: "32M.bin", client: "atftp", blksize: 1468, clients: 1 } as const;
    const window = { ...atftpLockStep, windowsize: 16 } as const;
    const ws = await inTurns(5, {
      enforcer: () => measure(ports.enforcer, dir, window),
      atftpd: () => measure(ports.atftpd, dir, window),
      hpa: () => measure(ports.hpa, dir, atftpLockStep),
    });
    // tftpd-hpa has no windowsize: its best at blksize 1468 is lock-step, with whichever client was faster.
    const hpaBest = Math.max(ws.hpa, ls.hpa);
    const wlabel = "32 MiB, atftp, blksize 1468, windowsize 16";
    rows.push(
      {
        workload: `${wlabel} (vs tftpd-hpa's best, lock-step; goal 3x)`,
        enforcer: ws.enforcer,
        baseline: hpaBest,
        unit: "MiB/s",
      },
      {
        workload: `${wlabel} (vs atftpd, windowsize 16)`,
        enforcer: ws.enforcer,
        baseline: ws.atftpd,
        unit: "MiB/s",
      },
    );
    for (const file of ["1M.bin", "64M.bin"] as const) {
      for (const clients of file === "64M.bin" ? [1] : [1, 50]) {
        const label = `${file === "1M.bin" ? "1 MiB" : "64 MiB"}, atftp, ${clients} client${clients > 1 ? "s" : ""}`;
        const baseline: Record<number, number> = {};
        for (const blksize of [512, 1468]) {
          const c = { file, client: "atftp", blksize, clients } as const;
          baseline[blksize] = await median3(() => measure(ports.hpa, dir, c));
          const mine = await median3(() => measure(ports.enforcer, dir, c));
          rows.push({
            workload: `${label}, blksize ${blksize}`,
            enforcer: mine,
            baseline: baseline[blksize],
            unit: "MiB/s",
          });
        }
        for (const windowsize of [8, 16]) {
          const c = { file, client: "atftp", blksize: 1468, windowsize, clients } as const;
          const mine = await median3(() => measure(ports.enforcer, dir, c));
          rows.push({
            workload: `${label}, blksize 1468, windowsize ${windowsize} (tftpd-hpa: none, lock-step)`,
            enforcer: mine,
            baseline: baseline[1468],
            unit: "MiB/s",
          });
        }
      }
    }
  } finally {
    await peers.stop();
    rmSync(base, { recursive: true, force: true });
  }
  return rows;
}
