import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
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

test("a damaged snapshot is a clear error, never an empty store", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 100 });
  for (let i = 0; i < 5; i++) await s.commit([put(`k${i}`, i)]);
  await s.close();
  const snap = join(d, "snapshot.json");
  const good = readFileSync(snap);
  // Damage inside the compressed text (the CRC catches it) and in the gzip stream itself.
  writeFileSync(snap, gzipSync(gunzipSync(good).toString().replace('"k1"', '"kY"')));
  await assert.rejects(FileStore.open({ dir: d }), (e) => isEnforcerError(e, "ENF_ERR_STORE_CORRUPT"));
  const flipped = Buffer.from(good);
  flipped[20]! ^= 0xff;
  writeFileSync(snap, flipped);
  await assert.rejects(FileStore.open({ dir: d }), (e) => isEnforcerError(e, "ENF_ERR_STORE_CORRUPT"));
});

test("the snapshot is gzipped (a compaction writes a twentieth of the store); an older plain one still opens", async () => {
  const d = dir();
  const s = await FileStore.open({ dir: d, compactBytes: 8000 });
  for (let i = 0; i < 200; i++)
    await s.commit([put(`k${i}`, { i, facts: { cpu: "Intel(R) Xeon(R)", n: 8 } })]);
  await s.close();
  const snap = join(d, "snapshot.json");
  const text = gunzipSync(readFileSync(snap));
  assert.ok(statSync(snap).size * 5 < text.length, `snapshot ${statSync(snap).size} B of ${text.length} B`);
  writeFileSync(snap, text); // as a version before compression wrote it
  const again = await FileStore.open({ dir: d });
  assert.equal(again.count("things"), 200);
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
