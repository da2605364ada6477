// The data directory's modes and its LOCK: secrets stay owner-only, and a stale lock is told from a live one.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { FileStore } from "./file-store.js";
import { encodeRecord } from "./journal-codec.js";

const dir = () => join(mkdtempSync(join(tmpdir(), "enforcer-files-")), "store");
const put = (id: string, value: unknown) => ({ op: "put" as const, collection: "things", id, value });
const mode = (p: string) => statSync(p).mode & 0o777;
const hasProc = statSync("/proc/self/stat", { throwIfNoEntry: false }) !== undefined;

/** What the lock records of a process, read here independently of the lock module. */
function ownerOf(pid: number): { pid: number; start: string; boot: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
  return { pid, start, boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() };
}

/** A live process that is not an Enforcer: the PID a stale LOCK may name after a power cut. */
async function otherProcess(t: { after: (fn: () => void) => void }): Promise<number> {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("spawn", resolve));
  t.after(() => child.kill());
  return child.pid!;
}

test("the store directory is 0700 and every file in it 0600: journal, snapshot, lock, set-aside tails", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 200 });
  for (let i = 0; i < 10; i++) await s.commit([put(`k${i}`, "x".repeat(40))]);
  assert.equal(mode(d), 0o700);
  const files = readdirSync(d);
  assert.ok(files.includes("LOCK") && files.includes("snapshot.json"), files.join());
  for (const f of files) assert.equal(mode(join(d, f)), 0o600, f);
  await s.close();
  // A damaged tail moved aside is a copy of journal data: owner only as well.
  const journal = readdirSync(d).find((f) => f.startsWith("journal-"))!;
  writeFileSync(
    join(d, journal),
    `${readFileSync(join(d, journal), "utf8")}garbage\n${encodeRecord([put("z", 1)])}`,
  );
  const again = await FileStore.open({ dir: d, recover: true, warn: () => {} });
  await again.close();
  const aside = readdirSync(d).filter((f) => f.includes(".damaged-"));
  assert.equal(aside.length, 1);
  assert.equal(mode(join(d, aside[0]!)), 0o600);
});

test("an existing data directory with loose modes is tightened at start, with one notice", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 100 });
  for (let i = 0; i < 5; i++) await s.commit([put(`k${i}`, i)]);
  await s.close();
  chmodSync(d, 0o755);
  for (const f of readdirSync(d)) chmodSync(join(d, f), 0o644);
  writeFileSync(join(d, "snapshot.json.tmp"), "left by a crash", { mode: 0o644 });
  const warnings: string[] = [];
  const again = await FileStore.open({ dir: d, warn: (m) => warnings.push(m) });
  assert.equal(mode(d), 0o700);
  for (const f of readdirSync(d)) assert.equal(mode(join(d, f)), 0o600, f);
  assert.equal(warnings.filter((w) => /permission/.test(w)).length, 1, warnings.join("\n"));
  assert.equal(again.count("things"), 5);
  await again.close();
});

test("a LOCK naming a live process of another program (PID reused after a power cut) is taken over", async (t) => {
  if (!hasProc) return t.skip("needs /proc");
  const pid = await otherProcess(t);
  const real = ownerOf(pid);
  assert.ok(real.start && real.boot, "this system reports start times and boot ids");
  const d = dir();
  mkdirSync(d, { recursive: true });
  // Same PID, another start time: the process that wrote the lock is gone.
  writeFileSync(join(d, "LOCK"), JSON.stringify({ ...real, start: String(Number(real.start) - 1) }));
  await (await FileStore.open({ dir: d })).close();
  // Same PID and start time, but written during an earlier boot.
  writeFileSync(join(d, "LOCK"), JSON.stringify({ ...real, boot: "00000000-0000-0000-0000-000000000000" }));
  await (await FileStore.open({ dir: d })).close();
  // This very process's PID, in a lock it does not hold (a container's PID 1 after a restart).
  writeFileSync(join(d, "LOCK"), JSON.stringify({ pid: process.pid, start: "1", boot: real.boot }));
  await (await FileStore.open({ dir: d })).close();
  // An old PID-only lock written before this boot.
  writeFileSync(join(d, "LOCK"), String(pid));
  utimesSync(join(d, "LOCK"), new Date(0), new Date(0));
  const s = await FileStore.open({ dir: d });
  // The lock now names this process, with what tells it apart.
  assert.deepEqual(JSON.parse(readFileSync(join(d, "LOCK"), "utf8")), ownerOf(process.pid));
  await s.close();
});

test("a LOCK whose owner still runs is refused; the same process cannot open it twice", async (t) => {
  if (!hasProc) return t.skip("needs /proc");
  const pid = await otherProcess(t);
  const d = dir();
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "LOCK"), JSON.stringify(ownerOf(pid)));
  await assert.rejects(
    FileStore.open({ dir: d }),
    (e) =>
      isEnforcerError(e, "ENF_ERR_STORE_LOCKED") &&
      e.message.includes(`in use by process ${pid}`) &&
      e.details.pid === pid,
  );
  const e2 = dir();
  const s = await FileStore.open({ dir: e2 });
  await assert.rejects(FileStore.open({ dir: e2 }), (e) => isEnforcerError(e, "ENF_ERR_STORE_LOCKED"));
  await s.close();
});

test("when the system cannot tell (no /proc), the refusal says what to check and which file to delete", async (t) => {
  const pid = await otherProcess(t);
  const d = dir();
  mkdirSync(d, { recursive: true });
  const lock = join(d, "LOCK");
  writeFileSync(lock, JSON.stringify({ pid }));
  await assert.rejects(
    FileStore.open({ dir: d, procRoot: join(d, "no-proc-here") }),
    (e) =>
      isEnforcerError(e, "ENF_ERR_STORE_LOCKED") &&
      e.message.includes(`ps -o pid,lstart,command -p ${pid}`) &&
      e.message.includes(`delete ${lock}`),
  );
  assert.ok(statSync(lock).isFile(), "an unsure lock is never removed");
});
