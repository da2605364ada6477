// A discovery key (anyone gets one from the open boot route) reporting new facts in a loop added one
// `machine.updated` event per report; the per-machine history cap was applied only by the retention pass,
// every ten minutes: 44,000 events (+27 MB RSS) in 30 s from two clients on the real server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { COLLECTIONS } from "../../store/collections.js";
import { testApp } from "../testing/app.js";

const MAC = "52:54:00:bb:00:01";

test("reports in a loop keep a machine's history within its cap, without a retention pass", async () => {
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    limits: { historyPerMachine: 20 },
  });
  const script = await t.http.inject(`/boot/discovery?mac=${MAC}`);
  const key = /enforcer\.key=(\S+)/.exec(script.body)![1]!;
  for (let i = 0; i < 300; i++) {
    const r = await t.http.inject({
      method: "POST",
      url: "/api/v1/agent/report",
      headers: { authorization: `Bearer ${key}` },
      payload: { macs: [MAC], inventory: { n: i } },
    });
    assert.equal(r.statusCode, 200);
  }
  const kept = t.core.events.forMachine(MAC);
  assert.ok(kept.length <= 20 + 16, `${kept.length} events kept`);
  assert.equal(kept.at(-1)?.kind, "machine.updated", "the newest event is kept");
  await new Promise((r) => setImmediate(r));
  assert.ok(t.store.count(COLLECTIONS.events) <= 20 + 16, "and deleted from the store too");
});
