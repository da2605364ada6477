import assert from "node:assert/strict";
import { test } from "node:test";
import { SharedMemoryEngine } from "../../store/testing/shared-memory-store.js";
import { Metrics } from "../metrics.js";
import type { Core } from "../../core/create-core.js";
import { testApp } from "../testing/app.js";

/** Metrics over the core the app is built on (made first: the app takes them). */
function metricsOf(holder: { core?: Core }): Metrics {
  return new Metrics({
    counts: () => holder.core!.stats.counts(),
    store: () => holder.core!.storeStatus.view(),
  });
}

const MAC = "52:54:00:5e:00:01";
const PROFILE = { name: "p1", family: "custom", kernel: "http://m/vmlinuz", cmdline: "x" };
const WRITE = /^(POST|PUT|PATCH|DELETE) \/api\/v1\//;

test("fake shared store unavailable: every API write answers 503 ENF_ERR_STORE_UNAVAILABLE, reads 200, boot routes answer; back: writes work", async () => {
  const engine = new SharedMemoryEngine();
  const holder: { core?: Core } = {};
  const t = await testApp({}, { metrics: metricsOf(holder) }, engine.view());
  holder.core = t.core;
  assert.equal(
    (await t.api({ method: "POST", url: "/api/v1/machines", payload: { mac: MAC } })).statusCode,
    201,
  );
  assert.equal((await t.api({ method: "POST", url: "/api/v1/profiles", payload: PROFILE })).statusCode, 201);
  const cfg = await t.api({
    method: "POST",
    url: "/api/v1/configs",
    payload: { machine: MAC, profile: "p1" },
  });
  assert.equal(
    (await t.api({ method: "POST", url: `/api/v1/configs/${cfg.json().id}/arm` })).statusCode,
    200,
  );
  const status = async () => (await t.api("/api/v1/status")).json().store;
  assert.deepEqual(
    { ...(await status()), since: "" },
    { kind: "etcd", shared: true, state: "ok", since: "" },
  );

  engine.setAvailable(false);
  assert.equal((await status()).state, "unavailable");
  const writes = t.routes.filter((r) => WRITE.test(r) && !r.endsWith("/preview"));
  assert.ok(writes.length >= 19, `${writes.length} write routes`);
  for (const route of writes) {
    const [method, path] = route.split(" ") as ["POST", string];
    const url = path.replace(":id", cfg.json().id).replace(":name", "p1");
    const r = await t.api({ method, url, payload: {} });
    assert.equal(r.statusCode, 503, `${route} -> ${r.statusCode} ${r.body}`);
    assert.equal(r.json().code, "ENF_ERR_STORE_UNAVAILABLE");
    assert.match(
      r.json().message,
      /^the store is unavailable: changes cannot be saved; machines keep booting from memory/,
    );
  }
  for (const url of ["/api/v1/machines", `/api/v1/machines/${MAC}`, "/api/v1/configs", "/api/v1/profiles"])
    assert.equal((await t.api(url)).statusCode, 200, url);
  const preview = await t.api({
    method: "POST",
    url: "/api/v1/profiles/p1/preview",
    payload: { machine: MAC },
  });
  assert.equal(preview.statusCode, 200, "a preview writes nothing: it still works");
  const scrape = (await t.api("/metrics")).body;
  assert.match(scrape, /^enforcer_store_health\{state="unavailable"\} 1$/m);
  assert.match(scrape, /^enforcer_store_health\{state="ok"\} 0$/m);
  assert.match(scrape, /^enforcer_store_shared 1$/m);
  // Boot routes answer from memory; the armed config is not served, since its trigger cannot be written.
  assert.equal((await t.http.inject("/boot.ipxe")).statusCode, 200);
  assert.notEqual((await t.http.inject(`/boot/machine?mac=${MAC}`)).statusCode, 200);

  engine.setAvailable(true);
  assert.equal((await status()).state, "ok");
  const again = await t.api({
    method: "POST",
    url: "/api/v1/machines",
    payload: { mac: "52:54:00:5e:00:02" },
  });
  assert.equal(again.statusCode, 201, again.body);
  assert.match((await t.api("/metrics")).body, /^enforcer_store_health\{state="ok"\} 1$/m);
  assert.equal(
    (await t.http.inject(`/boot/machine?mac=${MAC}`)).statusCode,
    200,
    "the config boots once the store is back",
  );
});

test("the file store: status says file, ok; /metrics has ok 1 and shared 0", async () => {
  const holder: { core?: Core } = {};
  const t = await testApp({}, { metrics: metricsOf(holder) });
  holder.core = t.core;
  const s = (await t.api("/api/v1/status")).json().store;
  assert.equal(s.kind, "file");
  assert.equal(s.state, "ok");
  assert.ok(!Number.isNaN(Date.parse(s.since)));
  const scrape = (await t.api("/metrics")).body;
  assert.match(scrape, /^enforcer_store_health\{state="ok"\} 1$/m);
  assert.match(scrape, /^enforcer_store_health\{state="degraded"\} 0$/m);
  assert.match(scrape, /^enforcer_store_shared 0$/m);
});
