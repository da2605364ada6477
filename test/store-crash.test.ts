import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { FileStore } from "../src/store/file-store.js";

const RUNS = 60;

/** Starts the writer, lets it commit for a random moment, then kill -9; answers the acknowledged counts. */
function writeAndKill(dir: string, run: string): Promise<number[]> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [resolve("dist/test/support/crash-writer.js"), dir, run], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const acked: number[] = [];
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "open") setTimeout(() => child.kill("SIGKILL"), 20 + Math.random() * 300);
        const m = /^ack \S+ (\d+)$/.exec(line);
        if (m) acked.push(Number(m[1]));
      }
    });
    child.on("error", rej);
    child.on("exit", (_code, signal) =>
      signal === "SIGKILL" ? res(acked) : rej(new Error(`writer ended: ${signal}`)),
    );
  });
}

test(
  `kill -9 at random moments, ${RUNS} times: every acknowledged write is there and the store opens`,
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "enforcer-crash-"));
    let totalAcked = 0;
    const history: { run: string; acked: number[] }[] = [];
    for (let r = 0; r < RUNS; r++) {
      const run = `r${r}`;
      const acked = await writeAndKill(dir, run);
      history.push({ run, acked });
      totalAcked += acked.length;
      const store = await FileStore.open({ dir, compactBytes: 64 * 1024, warn: () => {} });
      for (const h of history) {
        for (const n of h.acked) {
          for (let i = 0; i < 1 + (n % 3); i++) {
            const v = store.get<{ n: number; i: number }>("crash", `${h.run}-${n}-${i}`);
            assert.deepEqual(
              v && [v.n, v.i],
              [n, i],
              `acknowledged ${h.run}-${n}-${i} lost after crash ${r}`,
            );
          }
        }
        const last = store.get<number>("last", h.run);
        if (h.acked.length > 0)
          assert.ok(last !== undefined && last >= h.acked.at(-1)!, `last write of ${h.run} went back`);
      }
      await store.close();
    }
    assert.ok(
      totalAcked > RUNS,
      `the writer acknowledged only ${totalAcked} commits; the test proved little`,
    );
  },
);
