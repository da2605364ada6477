import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fromJournal, toJournal } from "./journal-ops.js";
import type { StoreOp } from "./store.js";

const event = {
  seq: 4,
  at: "2026-11-27T05:32:03.660Z",
  machine: "52:54:00:5d:00:02",
  kind: "config.triggered",
  config: "ae0df9e4-84c2-4169-bfcb-b8d47b5553e6",
};

/** The JSON a journal line holds for one put, and the value a restart reads back from it. */
function roundTrip(id: string, value: unknown): { json: string; back: unknown } {
  const entries = toJournal([{ op: "put", collection: "events", id, value }], () => undefined);
  const json = JSON.stringify(entries);
  const [op] = fromJournal(JSON.parse(json), () => undefined) as [StoreOp & { op: "put" }];
  assert.equal(op.collection, "events");
  assert.equal(op.id, id);
  return { json, back: op.value };
}

test("an event is journaled without its id, key names and ISO time, and reads back as the same JSON", () => {
  const { json, back } = roundTrip("000000000004", event);
  assert.equal(JSON.stringify(back), JSON.stringify(event));
  const whole = JSON.stringify([["p", "events", "000000000004", event]]);
  assert.ok(json.length <= whole.length - 70, `${json.length} bytes against ${whole.length}: ${json}`);
  const detail = { attempt: 2, started: "2026-11-27T05:32:03.639Z", outcome: "provisioned", steps: 4 };
  const attempt = { seq: 6, at: event.at, machine: event.machine, kind: "boot.attempt", detail };
  assert.equal(JSON.stringify(roundTrip("000000000006", attempt).back), JSON.stringify(attempt));
  const both = { ...event, detail };
  assert.equal(JSON.stringify(roundTrip("000000000004", both).back), JSON.stringify(both));
});

test("an event that would not read back the same is written whole", () => {
  const odd: [string, unknown][] = [
    ["000000000005", event], // the id is not its seq's
    ["000000000004", { ...event, at: "2026-11-27T05:32:03Z" }], // a time in another form
    ["000000000004", { ...event, extra: 1 }],
    ["000000000004", { kind: event.kind, seq: 4, at: event.at, machine: event.machine }], // keys in another order
    ["000000000004", { ...event, config: "" }],
    ["000000000004", { ...event, detail: [1] }],
    ["000000000004", "not an object"],
  ];
  for (const [id, value] of odd) {
    const { json, back } = roundTrip(id, value);
    assert.match(json, /^\[\["p",/, json);
    assert.equal(JSON.stringify(back), JSON.stringify(value));
  }
});

test("any event-like value reads back as the JSON it was (fast-check)", () => {
  const time = fc.oneof(
    fc
      .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
      .map((d) => d.toISOString()),
    fc.string({ maxLength: 30 }),
  );
  const value = fc.record(
    {
      seq: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string({ maxLength: 3 })),
      at: time,
      machine: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
      kind: fc.string({ maxLength: 20 }),
      config: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(0), fc.constant(null)),
      detail: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue()), fc.constant(null)),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(value, fc.boolean(), (v, matching) => {
      const id = matching && typeof v.seq === "number" ? String(v.seq).padStart(12, "0") : "000000000001";
      assert.equal(JSON.stringify(roundTrip(id, v).back), JSON.stringify(v));
    }),
    { numRuns: 1000 },
  );
});
