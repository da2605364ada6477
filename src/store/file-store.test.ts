import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { crc32 } from "./crc32.js";
import { FileStore } from "./file-store.js";
import { encodeRecord } from "./journal-codec.js";

const dir = () => mkdtempSync(join(tmpdir(), "enforcer-store-"));
const put = (id: string, value: unknown) => ({ op: "put" as const, collection: "things", id, value });

test("committed values survive close and reopen; deletes too", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d });
  await s.commit([put("a", { n: 1 }), put("b", { n: 2 })]);
  await s.commit([{ op: "del", collection: "things", id: "a" }]);
  await s.close();
  const again = await FileStore.open({ dir: d });
  assert.deepEqual([...again.all("things")], [{ n: 2 }]);
  assert.equal(again.get("things", "a"), undefined);
  await again.close();
});

test("a torn last line (never acknowledged) is dropped with a warning, and the store opens", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d });
  await s.commit([put("a", 1)]);
  await s.close();
  const torn = encodeRecord([put("b", 2)]);
  appendFileSync(join(d, "journal-0.log"), torn.slice(0, torn.length - 5));
  const warnings: string[] = [];
  const again = await FileStore.open({ dir: d, warn: (m) => warnings.push(m) });
  assert.equal(again.get("things", "a"), 1);
  assert.equal(again.get("things", "b"), undefined);
  assert.match(warnings.join(), /torn/);
  await again.commit([put("c", 3)]);
  await again.close();
  const third = await FileStore.open({ dir: d });
  assert.deepEqual([third.get("things", "a"), third.get("things", "c")], [1, 3]);
  await third.close();
});

test("damage followed by intact commits is refused with ENF_ERR_STORE_CORRUPT; --store-recover keeps the prefix", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d });
  for (let i = 0; i < 5; i++) await s.commit([put(`k${i}`, i)]);
  await s.close();
  const path = join(d, "journal-0.log");
  const lines = readFileSync(path, "utf8").split("\n");
  lines[2] = lines[2]!.replace('"k2"', '"kX"'); // CRC no longer matches
  writeFileSync(path, lines.join("\n"));
  await assert.rejects(
    FileStore.open({ dir: d }),
    (e) => isEnforcerError(e, "ENF_ERR_STORE_CORRUPT") && /line 3/.test(e.message),
  );
  const recovered = await FileStore.open({ dir: d, recover: true, warn: () => {} });
  assert.deepEqual([...recovered.all("things")], [0, 1]);
  await recovered.close();
  assert.ok(
    readdirSync(d).some((f) => f.startsWith("journal-0.log.damaged-")),
    "damaged bytes were not kept aside",
  );
});

test("compaction writes a snapshot, starts a fresh journal and loses nothing", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 4096 });
  for (let i = 0; i < 200; i++) await s.commit([put(`k${i}`, { i, pad: "x".repeat(50) })]);
  await s.close();
  const journals = readdirSync(d).filter((f) => f.startsWith("journal-"));
  assert.equal(journals.length, 1);
  assert.ok(statSync(join(d, journals[0]!)).size < 4096 + 200);
  const again = await FileStore.open({ dir: d });
  assert.equal(again.count("things"), 200);
  assert.deepEqual(again.get("things", "k199"), { i: 199, pad: "x".repeat(50) });
  await again.close();
});

test("a damaged snapshot is a clear error, never an empty store: a flipped byte, a cut stream, a missing record", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 2000 });
  for (let i = 0; i < 100; i++) await s.commit([put(`k${i}`, { i, pad: `${i}`.repeat(20) })]);
  await s.close();
  const snap = join(d, "snapshot.json");
  const good = readFileSync(snap);
  const corrupt = (bytes: Buffer | string) => {
    writeFileSync(snap, bytes);
    return assert.rejects(FileStore.open({ dir: d }), (e) => isEnforcerError(e, "ENF_ERR_STORE_CORRUPT"));
  };
  const text = gunzipSync(good).toString();
  // A record left out, the end line left out (each re-gzipped, so gzip's own CRC holds).
  await corrupt(
    gzipSync(
      text
        .split("\n")
        .filter((l, n) => n !== 2)
        .join("\n"),
    ),
  );
  await corrupt(gzipSync(text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1))); // no end line
  // Damage in the gzip stream itself: a flipped byte near the start, in the middle, and a cut stream.
  for (const at of [20, Math.floor(good.length / 2)]) {
    const flipped = Buffer.from(good);
    flipped[at]! ^= 0xff;
    await corrupt(flipped);
  }
  await corrupt(good.subarray(0, good.length - 12));
  await corrupt(good.subarray(0, Math.floor(good.length / 2)));
  writeFileSync(snap, good);
  const again = await FileStore.open({ dir: d });
  assert.equal(again.count("things"), 100);
  await again.close();
});

test("the snapshot is gzipped lines, one per record; both older formats (one JSON, gzipped or plain) still open", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 8000 });
  for (let i = 0; i < 200; i++)
    await s.commit([put(`k${i}`, { i, facts: { cpu: "Intel(R) Xeon(R)", n: 8 } })]);
  await s.commit([{ op: "put", collection: "other", id: "x y\n", value: [1, "two", "é€😀".repeat(20000)] }]); // cut across chunks
  await s.close();
  const snap = join(d, "snapshot.json");
  const text = gunzipSync(readFileSync(snap)).toString();
  assert.ok(statSync(snap).size * 5 < text.length, `snapshot ${statSync(snap).size} B of ${text.length} B`);
  const lines = text.trimEnd().split("\n");
  const head = JSON.parse(lines[0]!) as { version: number; gen: number };
  assert.equal(head.version, 2);
  assert.deepEqual(JSON.parse(lines.at(-1)!), { end: lines.length - 2 });
  const expected = await FileStore.open({ dir: d });
  const state = (st: FileStore) => ({
    things: Object.fromEntries([...st.all<{ i: number }>("things")].map((v) => [v.i, v])),
    other: st.get("other", "x y\n"),
  });
  const want = state(expected);
  await expected.close();
  assert.equal(Object.keys(want.things).length, 200);
  // What version 1 wrote: the whole store as one `CRC SP JSON LF` line, gzipped, and before that plain.
  const data: Record<string, Record<string, unknown>> = {};
  for (const l of lines.slice(1, -1)) {
    const [c, id, v] = JSON.parse(l) as [string, string, unknown];
    (data[c] ??= {})[id] = v;
  }
  const json = JSON.stringify({ version: 1, gen: head.gen, data });
  const v1 = `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
  for (const old of [gzipSync(v1), Buffer.from(v1)]) {
    writeFileSync(snap, old);
    const again = await FileStore.open({ dir: d });
    assert.deepEqual(state(again), want);
    await again.close();
  }
  // Version 1's own CRC still counts, and version 2 is taken only inside gzip (whose CRC it relies on).
  const changed = v1.replace('"Intel', '"intel');
  for (const bytes of [changed, gzipSync(changed), text]) {
    writeFileSync(snap, bytes);
    await assert.rejects(FileStore.open({ dir: d }), (e) => isEnforcerError(e, "ENF_ERR_STORE_CORRUPT"));
  }
});

test("a compaction snapshots the store as it was when it began, while commits go on", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 3000 });
  const commits: Promise<void>[] = [];
  for (let i = 0; i < 400; i++) commits.push(s.commit([put(`k${i % 50}`, { i, pad: "p".repeat(40) })]));
  for (let i = 0; i < 30; i++) commits.push(s.commit([{ op: "del", collection: "things", id: `k${i}` }]));
  await Promise.all(commits);
  await s.close();
  const again = await FileStore.open({ dir: d });
  assert.equal(again.count("things"), 20);
  assert.deepEqual(again.get("things", "k49"), { i: 399, pad: "p".repeat(40) });
  await again.close();
});

test("a second process cannot open the same data directory; commits after close fail", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d });
  writeFileSync(join(d, "LOCK"), "1"); // pid 1 is always alive
  await s.close();
  writeFileSync(join(d, "LOCK"), "1");
  await assert.rejects(
    FileStore.open({ dir: d }),
    (e) => isEnforcerError(e, "ENF_ERR_STORE_LOCKED") && /process 1\b/.test(e.message),
  );
  writeFileSync(join(d, "LOCK"), "999999999"); // a stale lock from a dead process is taken over
  const t = await FileStore.open({ dir: d });
  await t.close();
  await assert.rejects(t.commit([put("x", 1)]), (e) => isEnforcerError(e, "ENF_ERR_STORE_CLOSED"));
});

test("concurrent commits are grouped but each resolves only once durable, in order", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d });
  await Promise.all(Array.from({ length: 500 }, (_, i) => s.commit([put(`k${i}`, i)])));
  await s.close();
  const again = await FileStore.open({ dir: d });
  assert.equal(again.count("things"), 500);
  assert.deepEqual([...again.all<number>("things")].slice(0, 3), [0, 1, 2]);
  await again.close();
});
