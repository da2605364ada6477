import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../test/support/enforcer-process.js";
import type { Row } from "./boot-bench.js";
import { untilLine } from "./ready-line.js";
import { spawnChild } from "./children.js";
import { benchMac, seed } from "./seed.js";
import { between, fileWrites, requireStrace, straceArgv } from "./strace-writes.js";
import { snapshotBytes } from "./snapshot-size.js";

const MACHINES = 10_000;
/** Machines that boot an armed config, one after the other. */
const ARMED = 100;
/** Known machines with nothing armed that boot twice (fall through to their disk). */
const FALL_THROUGH = 200;
/** The file store's default compaction threshold (src/store/file-store.ts). */
const COMPACT_BYTES = 8 * 1024 * 1024;
/** The ordinary-boot goal of issue 13, bytes per boot. */
const GOAL = 1024;

/** What one phase wrote: per boot, and the files it touched. */
interface Phase {
  bytesPerBoot: number;
  syncsPerBoot: number;
  /** What the process sent to the block device (page-granular: /proc/<pid>/io write_bytes). */
  deviceBytesPerBoot: number;
  files: string[];
}

/** Waits for a moment: the server writes a boot's summary just after it answered. */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get(url: string, method = "GET"): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { method });
  return { status: r.status, text: await r.text() };
}

/** One ordinary boot as iPXE and the installer make it: general script, machine script, preseed, completion. */
async function ordinaryBoot(base: string, mac: string): Promise<void> {
  await get(`${base}/boot.ipxe`);
  const script = await get(`${base}/boot/machine?mac=${mac}&platform=pcbios`);
  const secret = /\/p\/([^/\s]+)\/preseed\.cfg/.exec(script.text)?.[1];
  if (script.status !== 200 || !secret)
    throw new Error(`armed config not served for ${mac}: ${script.status}`);
  if ((await get(`${base}/p/${secret}/preseed.cfg`)).status !== 200) throw new Error(`no preseed for ${mac}`);
  if ((await get(`${base}/p/${secret}/complete`, "POST")).status !== 200)
    throw new Error(`no completion ${mac}`);
}

/** A known machine with nothing armed: iPXE fetches the general script, then its own (404: fall through). */
async function fallThrough(base: string, mac: string): Promise<void> {
  await get(`${base}/boot.ipxe`);
  const r = await get(`${base}/boot/machine?mac=${mac}&platform=pcbios`);
  if (r.status !== 404) throw new Error(`expected a fall-through for ${mac}, got ${r.status}`);
}

/** The server strace started: its only child. */
function server(stracePid: number): number {
  const kids = readFileSync(`/proc/${stracePid}/task/${stracePid}/children`, "utf8").trim();
  return Number(kids.split(" ")[0]);
}

/** Bytes the process has caused to be written to storage: whole pages, as an SD card's controller sees them. */
function deviceBytes(pid: number): number {
  return Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1]);
}

async function phase(
  trace: () => ReturnType<typeof fileWrites>,
  pid: number,
  boots: number,
  run: () => Promise<void>,
): Promise<() => Phase> {
  const from = Date.now() / 1000;
  const device = deviceBytes(pid);
  await run();
  await pause(1000);
  const to = Date.now() / 1000;
  const deviceBytesPerBoot = Math.round((deviceBytes(pid) - device) / boots);
  return () => {
    const w = between(trace(), from, to);
    return {
      bytesPerBoot: Math.round(w.bytes / boots),
      syncsPerBoot: Math.round((w.syncs / boots) * 100) / 100,
      deviceBytesPerBoot,
      files: w.files,
    };
  };
}

/**
 * Bytes Enforcer writes to its data directory per boot, counted at the system-call boundary: strace follows
 * every thread and sums what write/pwrite/writev calls put on files under the data directory.
 */
export async function writesBench(): Promise<{ rows: Row[]; notes: Record<string, unknown> }> {
  requireStrace();
  const data = mkdtempSync(join(tmpdir(), "enforcer-writes-"));
  const traces = mkdtempSync(join(tmpdir(), "enforcer-strace-"));
  // Last seen a day ago: the first fall-through of each machine is past the seen interval and stamps it.
  await seed(join(data, "store"), MACHINES, ARMED, new Date(Date.now() - 86_400_000).toISOString());
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serve = [process.execPath, resolve("bin/enforcer.js"), "serve", "--data", data];
  serve.push("--http-port", String(port), "--listen", "127.0.0.1", "--boot-rate-limit", "0", "--no-tftp");
  const child = spawnChild("strace", straceArgv(join(traces, "t"), serve), {
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    await untilLine(child);
    const pid = server(child.pid!);
    const trace = () => fileWrites(join(traces, "t"), data);
    const armedMacs = Array.from({ length: ARMED }, (_, i) => benchMac(i));
    const knownMacs = Array.from({ length: FALL_THROUGH }, (_, i) => benchMac(ARMED + i));
    const ordinary = await phase(trace, pid, ARMED, async () => {
      for (const mac of armedMacs) await ordinaryBoot(base, mac);
    });
    const first = await phase(trace, pid, FALL_THROUGH, async () => {
      for (const mac of knownMacs) await fallThrough(base, mac);
    });
    const repeated = await phase(trace, pid, FALL_THROUGH, async () => {
      for (const mac of knownMacs) await fallThrough(base, mac);
    });
    // strace detaches on SIGTERM and leaves the server running: stop the server, strace follows it out.
    process.kill(pid, "SIGTERM");
    await new Promise((r) => child.once("exit", r));
    const o = ordinary();
    const f = first();
    const r = repeated();
    // A snapshot is rewritten whole each time the journal passes COMPACT_BYTES: each journal byte carries
    // snapshot/COMPACT_BYTES bytes of it.
    const snapshot = await snapshotBytes(join(data, "store"));
    const share = snapshot / COMPACT_BYTES;
    const amortised = (b: number) => Math.round(b * (1 + share));
    const rows: Row[] = [
      {
        workload: `ordinary boot of an armed config (general script, machine script, preseed, completion), ${MACHINES} machines`,
        enforcer: amortised(o.bytesPerBoot),
        baseline: GOAL,
        unit: "B/boot",
      },
      {
        workload: `first fall-through of a known machine after its seen interval (seen stamp, attempt summary)`,
        enforcer: amortised(f.bytesPerBoot),
        unit: "B/boot",
      },
      {
        workload: `ordinary boot as the block device sees it (whole pages per fdatasync, /proc/<pid>/io)`,
        enforcer: o.deviceBytesPerBoot,
        unit: "B/boot",
      },
      {
        workload: `repeated fall-through of a known machine within its seen interval`,
        enforcer: amortised(r.bytesPerBoot),
        unit: "B/boot",
      },
    ];
    return {
      rows,
      notes: {
        machines: MACHINES,
        ordinaryBoots: ARMED,
        fallThroughMachines: FALL_THROUGH,
        measured: "strace -f: bytes of write/pwrite/writev calls on files under the data directory",
        journalBytesPerBoot: {
          ordinary: o.bytesPerBoot,
          firstFallThrough: f.bytesPerBoot,
          repeated: r.bytesPerBoot,
        },
        syncsPerBoot: {
          ordinary: o.syncsPerBoot,
          firstFallThrough: f.syncsPerBoot,
          repeated: r.syncsPerBoot,
        },
        // Each durable append rewrites at least one 4 KiB page (the file system's own journal comes on top).
        deviceBytesPerBoot: {
          ordinary: o.deviceBytesPerBoot,
          firstFallThrough: f.deviceBytesPerBoot,
          repeated: r.deviceBytesPerBoot,
        },
        filesWritten: [...new Set([...o.files, ...f.files, ...r.files])].map((p) => p.slice(data.length + 1)),
        snapshotBytes: snapshot,
        compactBytes: COMPACT_BYTES,
        dataFiles: readdirSync(join(data, "store")).map(
          (n) => `${n} ${statSync(join(data, "store", n)).size}`,
        ),
      },
    };
  } finally {
    if (child.exitCode === null) {
      const pid = server(child.pid!);
      if (pid) process.kill(pid, "SIGKILL");
      child.kill("SIGKILL");
    }
    rmSync(traces, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
}
