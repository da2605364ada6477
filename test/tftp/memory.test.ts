// Memory stays bounded per transfer in the real `enforcer serve`: many netascii RRQs of a large file, and
// many HTTP GETs of a large file under /tftp/. Asserted on the server's peak RSS (VmHWM), never on time.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { startEnforcer } from "../support/enforcer-process.js";
import { sha256, tftpRoot } from "../support/tftp-fixture.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const BOUND_MiB = 200;

/** Resident and peak resident memory of a process, in MiB, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]) / 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** The reference conversion, byte by byte as RFC 1350 says: LF becomes CR LF, a bare CR becomes CR NUL. */
function netasciiReference(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length * 2);
  let n = 0;
  for (const c of b) {
    if (c === 0x0a) out[n++] = 0x0d;
    out[n++] = c;
    if (c === 0x0d) out[n++] = 0x00;
  }
  return out.subarray(0, n);
}

/** Text-like content with LF, CR LF and bare CR line ends, so the conversion has work everywhere. */
function textFile(size: number): Buffer {
  const line = Buffer.from("the quick brown fox jumps over the lazy dog 0123456789\nCRLF line\r\nbare CR\rx");
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += line.length) line.copy(b, i);
  return b;
}

test(
  "12 concurrent netascii RRQs of a 15 MiB file: correct netascii, server RSS bounded",
  { timeout: 600_000 },
  async (t) => {
    const root = tftpRoot({ "big.txt": textFile(15 * MiB), "small.txt": textFile(5000) });
    const enf = await startEnforcer(["--tftp-root", root.dir], { tftp: true });
    try {
      const pid = enf.child.pid!;
      const before = memory(pid);
      const fetchAscii = (name: string, out: string) =>
        run(
          "curl",
          [
            "-sS",
            "--max-time",
            "300",
            "-B",
            "--tftp-blksize",
            "1468",
            `tftp://127.0.0.1:${enf.tftpPort}/${name}`,
            "-o",
            out,
          ],
          {
            maxBuffer: 1024,
          },
        );
      // curl -B asks for netascii and writes the bytes as they came: the server's conversion, unchanged.
      await fetchAscii("small.txt", join(root.dir, "small.out"));
      assert.ok(readFileSync(join(root.dir, "small.out")).equals(netasciiReference(root.data["small.txt"]!)));

      const expected = sha256(netasciiReference(root.data["big.txt"]!));
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => fetchAscii("big.txt", join(root.dir, `out${i}`))),
      );
      const after = memory(pid);
      t.diagnostic(`server RSS ${Math.round(before.rss)} MiB before, peak ${Math.round(after.peak)} MiB`);
      for (let i = 0; i < 12; i++)
        assert.equal(sha256(readFileSync(join(root.dir, `out${i}`))), expected, `client ${i}`);
      assert.ok(
        after.peak - before.rss < BOUND_MiB,
        `peak RSS ${Math.round(after.peak)} MiB, ${Math.round(after.peak - before.rss)} MiB over the ${Math.round(before.rss)} MiB before`,
      );
    } finally {
      await enf.stop();
    }
  },
);

test(
  "20 concurrent HTTP GETs of a 64 MiB file under /tftp/: right bytes, server RSS bounded",
  { timeout: 600_000 },
  async (t) => {
    const root = tftpRoot({ "big.bin": 64 * MiB });
    const enf = await startEnforcer(["--tftp-root", root.dir]);
    try {
      const pid = enf.child.pid!;
      const before = memory(pid);
      const expected = sha256(root.data["big.bin"]!);
      const hashes = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const res = await fetch(`${enf.base}/tftp/big.bin`);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get("content-length"), String(64 * MiB));
          const h = createHash("sha256");
          for await (const chunk of res.body!) h.update(chunk);
          return h.digest("hex");
        }),
      );
      const after = memory(pid);
      t.diagnostic(`server RSS ${Math.round(before.rss)} MiB before, peak ${Math.round(after.peak)} MiB`);
      assert.deepEqual(hashes, Array(20).fill(expected));
      assert.ok(
        after.peak - before.rss < BOUND_MiB,
        `peak RSS ${Math.round(after.peak)} MiB, ${Math.round(after.peak - before.rss)} MiB over the ${Math.round(before.rss)} MiB before`,
      );
    } finally {
      await enf.stop();
    }
  },
);
