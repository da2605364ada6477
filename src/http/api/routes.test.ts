import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

async function app() {
  const t = await testApp({}, { bodyLimit: 64 * 1024 });
  return { ...t, http: { inject: t.api } };
}
const json = (method: "POST" | "PUT" | "PATCH", url: string, payload: unknown) => ({
  method,
  url: `/api/v1${url}`,
  payload: payload as object,
});

test("profiles, configs, arm, cancel and events through the API", async () => {
  const { http } = await app();
  assert.equal((await http.inject(json("POST", "/profiles", CUSTOM_PROFILE))).statusCode, 201);
  assert.equal(
    (await http.inject(json("POST", "/profiles", CUSTOM_PROFILE))).json().code,
    "ENF_ERR_PROFILE_EXISTS",
  );
  const created = await http.inject(
    json("POST", "/configs", { machine: "5254.0000.0001", profile: "linux", variables: { x: "1" } }),
  );
  assert.equal(created.statusCode, 201);
  const c = created.json();
  assert.equal(c.state, "draft");
  assert.equal(c.machine, "52:54:00:00:00:01");
  assert.equal(c.secret, undefined, "the secret is only inside the URLs");
  assert.match(c.urls.complete, /^http:\/\/enf\.test:8080\/p\/[A-Za-z0-9_-]+\/complete$/);
  const armFail = await http.inject({ method: "POST", url: `/api/v1/configs/${c.id}/arm` });
  assert.equal(armFail.statusCode, 422, "facts.cpu.model is not known yet");
  assert.equal(armFail.json().code, "ENF_ERR_TEMPLATE_VARIABLE_MISSING");
  assert.equal(
    (await http.inject(json("PUT", "/profiles/linux", { ...CUSTOM_PROFILE, provisioning: "ok" }))).statusCode,
    200,
  );
  const armed = await http.inject({ method: "POST", url: `/api/v1/configs/${c.id}/arm` });
  assert.equal(armed.json().state, "armed");
  const again = await http.inject({ method: "POST", url: `/api/v1/configs/${c.id}/arm` });
  assert.deepEqual([again.statusCode, again.json().code], [409, "ENF_ERR_CONFIG_TRANSITION"]);
  const machine = await http.inject("/api/v1/machines/52-54-00-00-00-01");
  assert.equal(machine.json().config.id, c.id);
  const list = await http.inject("/api/v1/configs?state=armed");
  assert.equal(list.json().items.length, 1);
  assert.equal(
    (await http.inject({ method: "POST", url: `/api/v1/configs/${c.id}/cancel` })).json().state,
    "cancelled",
  );
  const events = await http.inject("/api/v1/machines/52:54:00:00:00:01/events");
  assert.deepEqual(
    events.json().items.map((e: { kind: string }) => e.kind),
    ["machine.created", "config.created", "config.armed", "config.cancelled"],
  );
  assert.equal((await http.inject({ method: "DELETE", url: "/api/v1/profiles/linux" })).statusCode, 204);
});

test("machines: edit hostname and labels, list with search, label filter and paging", async () => {
  const { http } = await app();
  for (let i = 1; i <= 5; i++) {
    await http.inject(`/boot/machine?mac=52:54:00:00:00:0${i}`);
  }
  const patch = await http.inject(
    json("PATCH", "/machines/52:54:00:00:00:03", { hostname: "Web3.example", labels: { rack: "r1" } }),
  );
  assert.equal(patch.json().hostname, "web3.example");
  assert.equal((await http.inject("/api/v1/machines?search=web3")).json().total, 1);
  assert.equal((await http.inject("/api/v1/machines?label=rack=r1")).json().items[0].id, "52:54:00:00:00:03");
  const page = (await http.inject("/api/v1/machines?limit=2&offset=2")).json();
  assert.deepEqual(
    [page.total, page.items.map((m: { id: string }) => m.id)],
    [5, ["52:54:00:00:00:03", "52:54:00:00:00:04"]],
  );
});

test("the machine list shows each machine's config state and filters by it", async () => {
  const t = await testApp();
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  for (const mac of ["52:54:00:00:0a:01", "52:54:00:00:0a:02", "52:54:00:00:0a:03"])
    await t.core.machines.ensure(mac as never);
  const armed = await t.core.configs.create({ machine: "52:54:00:00:0a:02", profile: "linux" });
  await t.core.configs.arm(armed.id);
  const older = await t.core.configs.create({ machine: "52:54:00:00:0a:03", profile: "linux" });
  await t.core.configs.cancel(older.id);
  const states = (await t.api("/api/v1/machines")).json().items.map((m: { state: string }) => m.state);
  assert.deepEqual(states, ["none", "armed", "cancelled"]);
  const only = (await t.api("/api/v1/machines?state=armed")).json();
  assert.deepEqual([only.total, only.items[0].id], [1, "52:54:00:00:0a:02"]);
  assert.equal((await t.api("/api/v1/machines?state=armed&search=0a:01")).json().total, 0);
  assert.equal((await t.api("/api/v1/machines?state=bogus")).statusCode, 400);
  const detail = (await t.api("/api/v1/machines/52:54:00:00:0a:03")).json();
  assert.deepEqual([detail.state, detail.config, detail.lastConfig.id], ["cancelled", null, older.id]);
});

test("hostile API input gets a 4xx with a code, never a 500", async () => {
  const { http } = await app();
  let deep: unknown = "x";
  for (let i = 0; i < 2000; i++) deep = { a: deep };
  const cases = [
    {
      method: "POST",
      url: "/api/v1/profiles",
      payload: "{not json",
      headers: { "content-type": "application/json" },
    },
    { method: "POST", url: "/api/v1/profiles", payload: { ...CUSTOM_PROFILE, extra: 1 } },
    { method: "POST", url: "/api/v1/profiles", payload: { ...CUSTOM_PROFILE, name: 5 } },
    { method: "POST", url: "/api/v1/profiles", payload: { ...CUSTOM_PROFILE, name: "Bad Name" } },
    { method: "POST", url: "/api/v1/profiles", payload: { ...CUSTOM_PROFILE, family: "windows" } },
    { method: "POST", url: "/api/v1/profiles", payload: { name: "d", family: "debian", provisioning: "x" } },
    {
      method: "POST",
      url: "/api/v1/profiles",
      payload: JSON.stringify(deep),
      headers: { "content-type": "application/json" },
    },
    {
      method: "POST",
      url: "/api/v1/profiles",
      payload: { ...CUSTOM_PROFILE, provisioning: "x".repeat(100_000) },
    },
    { method: "POST", url: "/api/v1/configs", payload: { machine: "zz:zz", profile: "linux" } },
    { method: "POST", url: "/api/v1/configs", payload: { machine: "52:54:00:00:00:01", profile: "nope" } },
    { method: "PATCH", url: "/api/v1/machines/52:54:00:00:00:09", payload: { hostname: "x" } },
    { method: "PATCH", url: "/api/v1/machines/not-a-mac", payload: { hostname: "x" } },
    { method: "GET", url: "/api/v1/machines?limit=100000" },
    { method: "GET", url: "/api/v1/configs/does-not-exist" },
    { method: "GET", url: "/api/v1/nothing-here" },
  ] as const;
  for (const c of cases) {
    const r = await http.inject(c as never);
    assert.ok(
      r.statusCode >= 400 && r.statusCode < 500,
      `${c.method} ${c.url} -> ${r.statusCode} ${r.body.slice(0, 200)}`,
    );
    const body = r.json();
    assert.match(body.code, /^ENF_ERR_[A-Z_]+$/);
    assert.equal(typeof body.message, "string");
    assert.equal(typeof body.details, "object");
  }
  await http.inject(json("POST", "/profiles", CUSTOM_PROFILE));
  const hostile = await http.inject(
    json("PATCH", "/machines/52:54:00:00:00:01", { hostname: "a\nchain http://evil" }),
  );
  assert.equal(hostile.statusCode, 404); // machine unknown yet
  await http.inject("/boot/machine?mac=52:54:00:00:00:01");
  const bad = await http.inject(
    json("PATCH", "/machines/52:54:00:00:00:01", { hostname: "a\nchain http://evil" }),
  );
  assert.deepEqual([bad.statusCode, bad.json().code], [400, "ENF_ERR_HOSTNAME_INVALID"]);
});

test("registering a machine is all or nothing: a bad hostname or label stores nothing, so the retry works", async () => {
  const { http, core } = await app();
  const mac = "52:54:00:00:00:21";
  for (const bad of [{ hostname: "bad_host!" }, { labels: { "Bad Key!": "x" } }]) {
    const r = await http.inject(json("POST", "/machines", { mac, ...bad }));
    assert.equal(r.statusCode, 400, JSON.stringify(bad));
    assert.equal(core.machines.find(mac as never), undefined, "a refused registration left a machine");
    assert.equal(core.events.lastSeq(), 0, "a refused registration left an event");
  }
  const ok = await http.inject(
    json("POST", "/machines", { mac, hostname: "good-host", labels: { rack: "r1" } }),
  );
  assert.equal(ok.statusCode, 201, ok.body);
  assert.deepEqual([ok.json().hostname, ok.json().labels], ["good-host", { rack: "r1" }]);
  const kinds = core.events.forMachine(mac).map((e) => e.kind);
  assert.deepEqual(kinds, ["machine.created"], "one registration, one event");
});

test("variables and labels: keys outside the pattern are refused whatever their value's type", async () => {
  const { http, core } = await app();
  await http.inject(json("POST", "/profiles", CUSTOM_PROFILE));
  const mac = "52:54:00:00:00:22";
  for (const variables of [{ "bad-key": 5 }, { "bad key": { nested: true } }, { "": null }, { ok_key: 1 }]) {
    for (const [url, body] of [
      ["/configs", { machine: mac, profile: "linux", variables }],
      ["/profiles", { ...CUSTOM_PROFILE, name: "other", variables }],
    ] as const) {
      const r = await http.inject(json("POST", url, body));
      assert.deepEqual(
        [r.statusCode, r.json().code],
        [400, "ENF_ERR_HTTP_VALIDATION"],
        `${url} ${JSON.stringify(variables)}`,
      );
    }
  }
  assert.equal(core.configs.list().length, 0);
  const labels = await http.inject(json("POST", "/machines", { mac, labels: { rack: 5 } }));
  assert.equal(labels.statusCode, 400);
});
