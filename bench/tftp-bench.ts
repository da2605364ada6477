import { chmodSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { freePort, freeUdpPort } from "../test/support/enforcer-process.js";
import type { Row } from "./boot-bench.js";
import { untilLine } from "./ready-line.js";
import { run, spawnChild } from "./children.js";

const MiB = 1024 * 1024;

/** One measured case: file, client options and how many clients at once. */
interface Case {
  file: "1M.bin" | "64M.bin";
  blksize: number;
  windowsize?: number;
  clients: number;
}

/** Fetches `file` with atftp `clients` times at once; answers MiB/s over all clients (wall time). */
async function measure(port: number, dir: string, c: Case): Promise<number> {
  const size = statSync(join(dir, c.file)).size;
  const opts = ["--option", `blksize ${c.blksize}`, "--option", "tsize 0"];
  if (c.windowsize) opts.push("--option", `windowsize ${c.windowsize}`);
  const out = mkdtempSync(join(tmpdir(), "enforcer-tftpbench-out-"));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: c.clients }, (_, i) =>
      run("atftp", [...opts, "-g", "-r", c.file, "-l", join(out, String(i)), "127.0.0.1", String(port)]),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (let i = 0; i < c.clients; i++) {
    if (statSync(join(out, String(i))).size !== size)
      throw new Error(`client ${i} got a short file (${c.file})`);
  }
  return (size * c.clients) / MiB / seconds;
}

/** The median of three runs, so one hiccup does not decide a row. */
async function median3(fn: () => Promise<number>): Promise<number> {
  const r = [await fn(), await fn(), await fn()].sort((a, b) => a - b);
  return r[1]!;
}

/**
 * Enforcer's TFTP against tftpd-hpa (`in.tftpd`, started here on a high port) in the same run, same files
 * and the same client (atftp): 1 MiB and 64 MiB, blksize 512 and 1468, 1 and 50 clients; Enforcer also
 * with windowsize 8 and 16, compared with tftpd-hpa at blksize 1468 (it has no windowsize).
 */
export async function tftpBench(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-tftpbench-"));
  chmodSync(dir, 0o755); // in.tftpd drops to user tftp
  writeFileSync(join(dir, "1M.bin"), randomBytes(MiB), { mode: 0o644 });
  writeFileSync(join(dir, "64M.bin"), randomBytes(64 * MiB), { mode: 0o644 });

  const hpaPort = await freeUdpPort();
  const hpa = spawnChild("in.tftpd", ["-L", "-a", `127.0.0.1:${hpaPort}`, "-s", dir], { stdio: "ignore" });
  const enfPort = await freeUdpPort();
  const enf = spawnChild(
    process.execPath,
    [resolve("bin/enforcer.js"), "serve", "--data", join(dir, "data"), "--listen", "127.0.0.1"]
      .concat(["--http-port", String(await freePort()), "--tftp-port", String(enfPort), "--tftp-root", dir])
      .concat(["--log-level", "warn"]),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await untilLine(enf);
  await new Promise((r) => setTimeout(r, 300)); // in.tftpd has no ready signal
  const rows: Row[] = [];
  try {
    for (const file of ["1M.bin", "64M.bin"] as const) {
      for (const clients of file === "64M.bin" ? [1] : [1, 50]) {
        const label = `${file === "1M.bin" ? "1 MiB" : "64 MiB"}, ${clients} client${clients > 1 ? "s" : ""}`;
        const baseline: Record<number, number> = {};
        for (const blksize of [512, 1468]) {
          const c = { file, blksize, clients };
          baseline[blksize] = await median3(() => measure(hpaPort, dir, c));
          const mine = await median3(() => measure(enfPort, dir, c));
          rows.push({
            workload: `${label}, blksize ${blksize}`,
            enforcer: mine,
            baseline: baseline[blksize],
            unit: "MiB/s",
          });
        }
        for (const windowsize of [8, 16]) {
          const mine = await median3(() =>
            measure(enfPort, dir, { file, blksize: 1468, windowsize, clients }),
          );
          rows.push({
            workload: `${label}, blksize 1468, windowsize ${windowsize} (tftpd-hpa: none)`,
            enforcer: mine,
            baseline: baseline[1468],
            unit: "MiB/s",
          });
        }
      }
    }
  } finally {
    hpa.kill();
    enf.kill("SIGTERM");
  }
  return rows;
}
