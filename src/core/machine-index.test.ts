import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Mac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import type { StoreOp } from "../store/store.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import type { MachineQuery } from "./machines.js";
import { testCore } from "./testing/fixtures.js";
import { TextIndex } from "./text-index.js";

// The list's meaning, as the scan before the index had it: every label pair equal, the lower-cased search a
// substring of id, hostname, serial, UUID and label values joined by newlines, the extra condition, id order.
function scan(all: Machine[], q: MachineQuery): { ids: string[]; total: number } {
  const search = q.search?.toLowerCase();
  const labels = q.label ? Object.entries(q.label) : [];
  const hits = [...all]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((m) => labels.every(([k, v]) => m.labels[k] === v))
    .filter(
      (m) =>
        !search ||
        [m.id, m.hostname, m.serial, m.uuid, ...Object.values(m.labels)]
          .filter(Boolean)
          .join("\n")
          .toLowerCase()
          .includes(search),
    )
    .filter((m) => !q.where || q.where(m));
  const offset = q.offset ?? 0;
  return { ids: hits.slice(offset, offset + (q.limit ?? 100)).map((m) => m.id), total: hits.length };
}

// Few ids, names and labels, so puts replace, searches hit and label pairs are shared.
const mac = fc
  .integer({ min: 0, max: 11 })
  .map((i) => `52:54:00:00:00:${i.toString(16).padStart(2, "0")}` as Mac);
const word = fc.stringMatching(/^[a-cA-C0-9.-]{0,4}$/);
const labels = fc.dictionary(
  fc.constantFrom("rack", "role", "site"),
  fc.constantFrom("r1", "r2", "web", "", "R1"),
  {
    maxKeys: 3,
  },
);
const machine = fc
  .record({
    id: mac,
    hostname: fc.option(word, { nil: undefined }),
    serial: fc.option(word, { nil: undefined }),
    labels,
  })
  .map(({ id, hostname, serial, labels }): Machine => ({
    id,
    macs: [id],
    labels,
    facts: {},
    firstSeen: "2026-01-01T00:00:00.000Z",
    lastSeen: "2026-01-01T00:00:00.000Z",
    origin: "seen",
    ...(hostname ? { hostname } : {}),
    ...(serial ? { serial } : {}),
  }));
const op = fc.oneof(
  {
    arbitrary: machine.map((m): StoreOp => ({ op: "put", collection: "machines", id: m.id, value: m })),
    weight: 3,
  },
  { arbitrary: mac.map((id): StoreOp => ({ op: "del", collection: "machines", id })), weight: 1 },
);
const query = fc.record(
  {
    label: labels,
    search: fc.oneof(word, fc.constantFrom("52:54", "\nr", ":0a\n", "00:0", "R1", "web")),
    limit: fc.integer({ min: 1, max: 5 }),
    offset: fc.integer({ min: 0, max: 6 }),
    odd: fc.boolean(),
  },
  { requiredKeys: [] },
);

test("the indexed list answers as the scan did, as puts, label changes and deletes arrive, and after a restart", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { maxLength: 12 }),
      fc.array(query, { minLength: 1, maxLength: 6 }),
      async (commits, queries) => {
        const store = new MemoryStore();
        const { core } = testCore({}, store);
        const check = (list: (q: MachineQuery) => { items: Machine[]; total: number }) => {
          const all = [...store.all<Machine>("machines")];
          for (const { odd, label, ...q } of queries) {
            const full: MachineQuery = {
              ...q,
              ...(label && Object.keys(label).length > 0 ? { label } : {}),
              ...(odd ? { where: (m: Machine) => parseInt(m.id.slice(-1), 16) % 2 === 1 } : {}),
            };
            const got = list(full);
            assert.deepEqual(
              { ids: got.items.map((m) => m.id), total: got.total },
              scan(all, full),
              JSON.stringify(q),
            );
          }
        };
        for (const ops of commits) {
          await store.commit(ops);
          check((q) => core.machines.list(q));
        }
        // A restart builds the index from the stored machines alone.
        const again = testCore({}, store).core;
        check((q) => again.machines.list(q));
      },
    ),
    { numRuns: 300 },
  );
});

test("a search over many machines finds each one by a piece of its hostname, MAC, serial or label value", async () => {
  const { core, store } = testCore();
  const ops: StoreOp[] = [];
  for (let i = 0; i < 2000; i++) {
    const id =
      `52:54:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}` as Mac;
    const m: Machine = {
      id,
      macs: [id],
      labels: { rack: `r${i % 40}` },
      facts: {},
      firstSeen: "x",
      lastSeen: "x",
      origin: "agent",
      hostname: `node-${i}.rack.example`,
      serial: `SN-${i * 7}`,
    };
    ops.push({ op: "put", collection: "machines", id, value: m });
  }
  await store.commit(ops);
  const total = (search: string) => core.machines.list({ search }).total;
  assert.equal(total("node-1999."), 1);
  assert.equal(total("NODE-1"), 1111, "node-1, node-1x, 1xx, 1xxx: case does not matter");
  assert.equal(total("sn-13993"), 1, "serials are searched (1999 x 7)");
  assert.equal(total("00:07:cf"), 1, "MACs are searched");
  assert.equal(total("r39"), 50, "label values are searched");
  assert.equal(total("rack"), 2000);
  assert.equal(total("rack="), 0, "label keys are not");
  assert.equal(total("e\nsn"), 2000, "fields are joined by a newline, as before");
  assert.equal(total("zz"), 0);
  assert.deepEqual(
    core.machines
      .list({ label: { rack: "r7" }, search: "node-1", limit: 2, offset: 1 })
      .items.map((m) => m.hostname),
    ["node-167.rack.example", "node-1007.rack.example"], // in id order: 127, 167, 1007, …,
  );
});

test("a text index renamed over and over still finds what each id holds now, in bounded space", () => {
  const index = new TextIndex();
  for (let round = 0; round < 500; round++)
    for (let id = 0; id < 20; id++) index.set(`m${id}`, `host-${id}-round-${round}`);
  index.delete("m3");
  assert.deepEqual(
    index.find("-round-499").sort(),
    [...Array(20).keys()]
      .filter((i) => i !== 3)
      .map((i) => `m${i}`)
      .sort(),
  );
  assert.deepEqual(index.find("round-498"), [], "no old text is found");
  assert.deepEqual(index.find("host-7-"), ["m7"]);
  assert.deepEqual(index.find("-7"), ["m7"], "short searches check every text");
  const slots = (index as unknown as { slots: unknown[] }).slots.length;
  assert.ok(
    slots <= 2 * 20 + 1024,
    `slots are packed as texts change (${slots} for 20 ids after 10,000 sets)`,
  );
});
