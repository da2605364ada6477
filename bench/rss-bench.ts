import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, freeUdpPort } from "../test/support/enforcer-process.js";
import type { Row } from "./boot-bench.js";
import { untilLine } from "./ready-line.js";
import { run, spawnChild } from "./children.js";

const MiB = 1024 * 1024;
const CLIENTS = 50;
const TFTP_FILE_MiB = 32;
const HTTP_FILE_MiB = 64;
/**
 * What one transfer may hold by design: two 256 KiB read chunks (the one in use and the one loading ahead), a
 * window (blksize 1468 x windowsize 8 here) and, for netascii, one converted 64 KiB step (128 KiB). An HTTP
 * stream holds its 64 KiB buffer. Fixed per transfer, whatever the file's size.
 */
const BOUND_PER_TFTP_MiB = 0.5 + (1468 * 8) / MiB + 0.125;
const BOUND_PER_HTTP_MiB = 0.0625;

/** Resident and peak resident memory of a process, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]) / 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** Text-like content, so netascii has line ends to convert everywhere. */
function textFile(size: number): Buffer {
  const line = Buffer.from("the quick brown fox jumps over the lazy dog 0123456789\nCRLF\r\nbare CR\r.");
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += line.length) line.copy(b, i);
  return b;
}

/**
 * Server RSS under 50 concurrent large transfers each way: TFTP octet (atftp, windowsize 8) and netascii
 * (curl -B) of a 32 MiB file, and HTTP GETs of a 64 MiB file under /tftp/ (curl). Each row is the peak
 * RSS above the idle server; the baseline column is the design bound for 50 transfers.
 */
export async function rssBench(): Promise<{ rows: Row[]; idleMiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-rssbench-"));
  writeFileSync(join(dir, "big.txt"), textFile(TFTP_FILE_MiB * MiB));
  writeFileSync(join(dir, "big.bin"), textFile(HTTP_FILE_MiB * MiB));
  const out = mkdtempSync(join(tmpdir(), "enforcer-rssbench-out-"));
  const rows: Row[] = [];
  let idleMiB = 0;
  // A fresh server for each workload, so that one's garbage is not counted in the next.
  const measure = async (
    workload: string,
    perTransfer: number,
    minSize: number,
    client: (i: number, ports: { http: number; tftp: number }) => Promise<unknown>,
  ) => {
    const ports = { http: await freePort(), tftp: await freeUdpPort() };
    const enf = spawnChild(
      process.execPath,
      [resolve("bin/enforcer.js"), "serve", "--data", join(dir, "data"), "--listen", "127.0.0.1"]
        .concat(["--http-port", String(ports.http), "--tftp-port", String(ports.tftp), "--tftp-root", dir])
        .concat(["--log-level", "warn"]),
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await untilLine(enf);
      const idle = memory(enf.pid!).rss;
      idleMiB = Math.max(idleMiB, Math.round(idle));
      await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i, ports)));
      const peak = memory(enf.pid!).peak;
      for (let i = 0; i < CLIENTS; i++)
        if (statSync(join(out, String(i))).size < minSize) throw new Error(`client ${i} got a short file`);
      rows.push({
        workload: `${workload}: peak RSS over idle (${CLIENTS} x design bound)`,
        enforcer: peak - idle,
        baseline: CLIENTS * perTransfer,
        unit: "MiB",
      });
    } finally {
      enf.kill("SIGTERM");
    }
  };
  const tftp = TFTP_FILE_MiB * MiB;
  await measure(
    `${CLIENTS} TFTP octet RRQs of ${TFTP_FILE_MiB} MiB at once`,
    BOUND_PER_TFTP_MiB,
    tftp,
    (i, p) =>
      run("atftp", [
        ...["--option", "blksize 1468", "--option", "windowsize 8"],
        ...["-g", "-r", "big.txt", "-l", join(out, String(i)), "127.0.0.1", String(p.tftp)],
      ]),
  );
  await measure(
    `${CLIENTS} TFTP netascii RRQs of ${TFTP_FILE_MiB} MiB at once`,
    BOUND_PER_TFTP_MiB,
    tftp,
    (i, p) =>
      run("curl", [
        "-sS",
        "-B",
        "--tftp-blksize",
        "1468",
        `tftp://127.0.0.1:${p.tftp}/big.txt`,
        "-o",
        join(out, String(i)),
      ]),
  );
  await measure(
    `${CLIENTS} HTTP GETs of /tftp/ ${HTTP_FILE_MiB} MiB at once`,
    BOUND_PER_HTTP_MiB,
    HTTP_FILE_MiB * MiB,
    (i, p) => run("curl", ["-sS", `http://127.0.0.1:${p.http}/tftp/big.bin`, "-o", join(out, String(i))]),
  );
  return { rows, idleMiB };
}
