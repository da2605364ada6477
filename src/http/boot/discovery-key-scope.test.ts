// A discovery key spoke for whichever machine its MAC belonged to when it was used, not when it was issued.
// Anyone could take a key for a MAC nobody had yet (/boot/discovery records no machine) and wait: once a real
// machine's report listed that MAC as one of its NICs (a board's next port is easy to guess), the key spoke
// for that machine for the rest of its 24 hours: it overwrote the machine's facts and took its reboot.
import assert from "node:assert/strict";
import { test } from "node:test";
import { testApp } from "../testing/app.js";

const B = "52:54:00:cc:00:10";
const B_PORT2 = "52:54:00:cc:00:11";

async function setup() {
  const t = await testApp({ discovery: true, discoveryKernel: "http://img/vmlinuz" });
  const keyFor = async (path: string) => /enforcer\.key=(\S+)/.exec((await t.http.inject(path)).body)![1]!;
  const as = (key: string, method: "GET" | "POST", url: string, payload?: object) =>
    t.http.inject({ method, url, payload, headers: { authorization: `Bearer ${key}` } });
  return { ...t, keyFor, as };
}

test("a key taken for a MAC before a machine claimed it does not speak for that machine", async () => {
  const t = await setup();
  const early = await t.keyFor(`/boot/discovery?mac=${B_PORT2}`); // the attacker, ahead of time
  const real = await t.keyFor(`/boot/machine?mac=${B}`);
  const ok = await t.as(real, "POST", "/api/v1/agent/report", {
    macs: [B],
    inventory: { macs: [B, B_PORT2], product: "real" },
  });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(t.core.machines.get(B).macs, [B, B_PORT2]);

  const report = await t.as(early, "POST", "/api/v1/agent/report", {
    macs: [B_PORT2],
    inventory: { product: "attacker" },
  });
  assert.equal(report.statusCode, 403, report.body);
  assert.equal(t.core.machines.get(B).facts.product, "real");

  const cmd = await t.core.commands.enqueue(B, "reboot");
  const stolen = await t.as(early, "GET", "/api/v1/agent/commands?wait=0");
  assert.equal(stolen.statusCode, 403, stolen.body);
  assert.equal(t.core.commands.get(cmd.id).state, "queued");
  const mine = await t.as(real, "GET", "/api/v1/agent/commands?wait=0");
  assert.deepEqual(
    mine.json().items.map((c: { id: string }) => c.id),
    [cmd.id],
  );
});

test("a key whose machine an operator merged into another speaks for the merged machine", async () => {
  const t = await setup();
  await t.api({ method: "POST", url: "/api/v1/machines", payload: { mac: B } });
  // The machine PXE-boots from its other NIC, which nobody knows yet, and reports both.
  const key = await t.keyFor(`/boot/discovery?mac=${B_PORT2}`);
  const r = await t.as(key, "POST", "/api/v1/agent/report", { macs: [B_PORT2, B], inventory: {} });
  const [conflict] = r.json().conflicts as string[];
  assert.ok(conflict);
  const merged = await t.api({
    method: "POST",
    url: `/api/v1/conflicts/${conflict}/resolve`,
    payload: { action: "merge" },
  });
  assert.equal(merged.statusCode, 200, merged.body);
  const cmd = await t.core.commands.enqueue(B, "reboot");
  const polled = await t.as(key, "GET", "/api/v1/agent/commands?wait=0");
  assert.equal(polled.statusCode, 200, polled.body);
  assert.deepEqual(
    polled.json().items.map((c: { id: string }) => c.id),
    [cmd.id],
  );
});
