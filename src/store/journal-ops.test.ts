import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { FileStore } from "./file-store.js";
import { fromJournal, toJournal } from "./journal-ops.js";
import { Collections, type StoreOp } from "./store.js";

const big = { facts: { cpu: "x".repeat(500), disks: [1, 2, 3] }, macs: ["52:54:00:00:00:01"] };

test("a put that changes one field of a stored object is written as that field, not the whole object", async () => {
  const d = mkdtempSync(join(tmpdir(), "enforcer-journal-"));
  try {
    const s = await FileStore.open({ dir: d, compactBytes: 1 << 30 });
    const first = { id: "m", ...big, lastSeen: "2026-01-01T00:00:00.000Z" };
    await s.commit([{ op: "put", collection: "machines", id: "m", value: first }]);
    const before = readFileSync(join(d, "journal-0.log")).length;
    const seen = { ...first, lastSeen: "2026-01-02T00:00:00.000Z" };
    await s.commit([{ op: "put", collection: "machines", id: "m", value: seen }]);
    const line = readFileSync(join(d, "journal-0.log")).subarray(before).toString();
    assert.ok(line.length < 100, `the seen stamp took ${line.length} bytes: ${line}`);
    assert.match(line, /lastSeen/);
    await s.close();
    const again = await FileStore.open({ dir: d });
    assert.deepEqual(again.get("machines", "m"), seen);
    await again.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

// Values as services store them: objects with a few fields, some nested, some absent.
const field = fc.oneof(
  fc.constant(undefined),
  fc.integer({ max: 3 }),
  fc.string({ maxLength: 3 }),
  fc.constant(big),
);
const value = fc.oneof(
  fc.record({ a: field, b: field, c: field }, { requiredKeys: [] }),
  fc.integer(),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const op = fc.oneof(
  fc.record({
    op: fc.constant("put" as const),
    collection: fc.constant("t"),
    id: fc.constantFrom("x", "y"),
    value,
  }),
  fc.record({ op: fc.constant("del" as const), collection: fc.constant("t"), id: fc.constantFrom("x", "y") }),
);

/** What a reader sees: keys in any order, and an absent field reads as an undefined one. */
const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonical)
    : typeof v === "object" && v !== null
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, x]) => [k, canonical(x)]),
        )
      : v;
const state = (c: Collections) => JSON.stringify(canonical(c.toJSON()));

const replay = (from: Collections, lines: string[]) => {
  for (const line of lines) from.apply(fromJournal(JSON.parse(line), (c, id) => from.map(c).get(id)));
  return from;
};

test("replaying the journal entries gives what applying the ops gave, for any commits (fast-check)", () => {
  // A compaction snapshots memory that already holds commits still waiting for the journal (written to the
  // next one): the tail from any commit j replays over a snapshot taken after any later commit m.
  const commitsArb = fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { maxLength: 8 });
  fc.assert(
    fc.property(commitsArb, fc.nat(), fc.nat(), (commits, a, b) => {
      const live = new Collections();
      const lines: string[] = [];
      const states: string[] = [state(live)];
      for (const ops of commits) {
        // Derived values share the fields they kept, as the services' spreads do.
        const shared = ops.map((o): StoreOp => {
          const prev = live.map("t").get(o.id);
          if (o.op !== "put" || typeof prev !== "object" || prev === null || typeof o.value !== "object")
            return o;
          return { ...o, value: { ...prev, ...(o.value as object) } };
        });
        lines.push(JSON.stringify(toJournal(shared, (c, id) => live.map(c).get(id))));
        live.apply(shared);
        states.push(state(live));
      }
      assert.equal(state(replay(new Collections(), lines)), state(live));
      const j = a % (lines.length + 1);
      const m = j + (b % (lines.length + 1 - j));
      const snapshot = new Collections();
      snapshot.load(JSON.parse(states[m]!) as Record<string, Record<string, unknown>>);
      assert.equal(state(replay(snapshot, lines.slice(j))), state(live), `tail from ${j} over snapshot ${m}`);
    }),
    { numRuns: 500 },
  );
});

test("a journal of an older version (whole ops) still replays; an entry of unknown kind is refused", () => {
  const c = new Collections();
  c.apply(
    fromJournal([{ op: "put", collection: "t", id: "x", value: { a: 1 } }], (k, id) => c.map(k).get(id)),
  );
  assert.deepEqual(c.map("t").get("x"), { a: 1 });
  assert.throws(
    () => fromJournal([["z", "t", "x"]] as never, () => undefined),
    /ENF_ERR_STORE_CORRUPT|unknown kind/,
  );
});
