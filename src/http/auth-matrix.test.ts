// Every API route x every role: 401 without a token, 403 with too low a role, success with the right one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../core/testing/fixtures.js";
import { roleAllows, type Role } from "../domain/token.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { Metrics } from "./metrics.js";
import { timedStore } from "../store/timed-store.js";
import { testApp } from "./testing/app.js";

interface RouteCase {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  need: Role;
  body?: object;
}

const MAC = "52:54:00:00:00:01";

test("auth matrix over every API route", async () => {
  const t = await testApp();
  // Fixtures every route can act on, recreated as routes consume them.
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  t.core.power.addDriver({
    name: "wol",
    actions: ["on"],
    run: async () => ({ detail: "magic packet sent" }),
  });
  const seed = async () => {
    await t.core.machines.ensure(MAC as never);
    await t.core.power.set(MAC, { driver: "wol" });
    const c = await t.core.configs.create({ machine: MAC, profile: "linux" });
    const cmd = await t.core.commands.enqueue(MAC, "reboot");
    const tok = await t.core.tokens.create("victim", "viewer");
    // An identity conflict: another machine's credential claimed MAC's serial.
    await t.core.agentReports.report({ kind: "token", id: "seed", name: "seed", role: "admin" }, [MAC], {
      serial: "SN-MATRIX",
    });
    const other = `52:54:00:cc:00:${(n++).toString(16).padStart(2, "0")}`;
    const r = await t.core.agentReports.report(
      { kind: "token", id: "seed", name: "seed", role: "admin" },
      [other],
      {
        serial: "SN-MATRIX",
      },
    );
    return { config: c.id, command: cmd.id, token: tok.info.id, conflict: r.conflicts[0]! };
  };
  const cases = (ids: Awaited<ReturnType<typeof seed>>): RouteCase[] => [
    { method: "GET", url: "/machines", need: "viewer" },
    { method: "GET", url: `/machines/${MAC}`, need: "viewer" },
    {
      method: "POST",
      url: "/machines",
      need: "operator",
      body: { mac: `52:54:00:aa:00:${(n++).toString(16).padStart(2, "0")}` },
    },
    { method: "PATCH", url: `/machines/${MAC}`, need: "operator", body: { labels: { rack: "r1" } } },
    { method: "GET", url: `/machines/${MAC}/events`, need: "viewer" },
    { method: "GET", url: "/profiles", need: "viewer" },
    {
      method: "POST",
      url: "/profiles",
      need: "operator",
      body: { ...CUSTOM_PROFILE, name: `p${Math.random().toString(36).slice(2, 8)}` },
    },
    { method: "GET", url: "/profiles/linux", need: "viewer" },
    {
      method: "PUT",
      url: "/profiles/linux",
      need: "operator",
      body: { ...CUSTOM_PROFILE, provisioning: undefined },
    },
    { method: "POST", url: "/profiles/linux/preview", need: "viewer", body: { machine: MAC } },
    { method: "GET", url: "/configs", need: "viewer" },
    { method: "POST", url: "/configs", need: "operator", body: { machine: MAC, profile: "linux" } },
    { method: "GET", url: `/configs/${ids.config}`, need: "viewer" },
    { method: "POST", url: `/configs/${ids.config}/cancel`, need: "operator" },
    { method: "POST", url: "/commands", need: "operator", body: { machine: MAC, type: "reboot" } },
    { method: "GET", url: "/commands", need: "viewer" },
    { method: "GET", url: `/commands/${ids.command}`, need: "viewer" },
    { method: "GET", url: "/discovery", need: "viewer" },
    { method: "PUT", url: "/discovery", need: "operator", body: { enabled: false } },
    { method: "GET", url: "/remotes", need: "viewer" },
    { method: "PUT", url: "/remotes", need: "operator", body: { remotes: [] } },
    { method: "GET", url: "/agents", need: "viewer" },
    { method: "GET", url: "/whoami", need: "viewer" },
    { method: "GET", url: "/conflicts", need: "viewer" },
    { method: "GET", url: `/conflicts/${ids.conflict}`, need: "viewer" },
    {
      method: "POST",
      url: `/conflicts/${ids.conflict}/resolve`,
      need: "operator",
      body: { action: "dismiss" },
    },
    { method: "GET", url: "/tokens", need: "admin" },
    { method: "POST", url: "/tokens", need: "admin", body: { name: "new", role: "viewer" } },
    { method: "DELETE", url: `/tokens/${ids.token}`, need: "admin" },
    { method: "GET", url: `/machines/${MAC}/power`, need: "viewer" },
    { method: "PUT", url: `/machines/${MAC}/power`, need: "admin", body: { driver: "wol" } },
    { method: "POST", url: `/machines/${MAC}/power/on`, need: "operator" },
    { method: "DELETE", url: `/machines/${MAC}/power`, need: "admin" },
    { method: "DELETE", url: `/machines/${MAC}`, need: "operator" },
  ];
  let checked = 0;
  let n = 0;
  for (const role of [null, "viewer", "operator", "admin", "agent"] as const) {
    const ids = await seed();
    for (const c of cases(ids)) {
      const r = await t.as(role, {
        method: c.method,
        url: `/api/v1${c.url}`,
        ...(c.body ? { payload: c.body } : {}),
      });
      const label = `${role ?? "no token"} ${c.method} ${c.url} -> ${r.statusCode} ${r.body.slice(0, 120)}`;
      if (role === null)
        assert.deepEqual([r.statusCode, r.json().code], [401, "ENF_ERR_AUTH_MISSING"], label);
      else if (!roleAllows(role, c.need))
        assert.deepEqual([r.statusCode, r.json().code], [403, "ENF_ERR_AUTH_FORBIDDEN"], label);
      else assert.ok(r.statusCode >= 200 && r.statusCode < 300, label);
      // A config's secret URL fetches its files and completes it: never shown to a viewer.
      if (role === "viewer") assert.ok(!r.body.includes(t.core.configs.get(ids.config).secret), label);
      checked++;
    }
    // DELETE /machines removed the machine: cancel what still holds it so the next round can recreate it.
    for (const c of t.core.configs.list({ machine: MAC }))
      if (["armed", "triggered"].includes(c.lifecycle.state)) await t.core.configs.cancel(c.id);
  }
  assert.equal(checked, 5 * 34);
});

test("/metrics needs a viewer token and reports boots, configs and store writes", async () => {
  const store = new MemoryStore();
  // The gauges read the core at scrape time; the core is built below, over the store this timer wraps.
  const metrics = new Metrics({ counts: () => t.core.stats.counts() });
  const t = await testApp(
    {},
    { metrics },
    timedStore(store, (s) => metrics.storeWrites.observe(s)),
  );
  assert.equal((await t.as(null, "/metrics")).statusCode, 401);
  await t.http.inject("/boot/machine?mac=52:54:00:00:00:07");
  const r = await t.as("viewer", "/metrics");
  assert.equal(r.statusCode, 200);
  assert.match(r.body, /enforcer_boot_requests_total\{answer="none"\} 1/);
  assert.match(r.body, /enforcer_configs\{state="armed"\} 0/);
  assert.match(r.body, /enforcer_machines 1/);
  assert.match(r.body, /enforcer_store_write_seconds_count [1-9]/);
});

test("bad, revoked and malformed tokens are 401; repeated failures from one address are 429", async () => {
  const t = await testApp();
  const { token, info } = await t.core.tokens.create("short-lived", "viewer");
  const call = (authorization: string) =>
    t.http.inject({ url: "/api/v1/machines", headers: { authorization } });
  assert.equal((await call(`Bearer ${token}`)).statusCode, 200);
  await t.core.tokens.revoke(info.id);
  for (const bad of [
    `Bearer ${token}`,
    "Bearer nonsense",
    `Basic ${Buffer.from("a:b").toString("base64")}`,
    `Bearer ${token.slice(0, -1)}x`,
  ]) {
    const r = await call(bad);
    assert.deepEqual([r.statusCode, r.json().code], [401, "ENF_ERR_AUTH_INVALID"], bad);
  }
  let last = 0;
  for (let i = 0; i < 30; i++) last = (await call("Bearer guess")).statusCode;
  assert.equal(last, 429);
});

test("tokens: created once with the secret, listed without it; the last admin cannot be revoked", async () => {
  const t = await testApp();
  const created = await t.api({
    method: "POST",
    url: "/api/v1/tokens",
    payload: { name: "ci", role: "operator" },
  });
  assert.equal(created.statusCode, 201);
  assert.match(created.json().token, /^enf_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
  const list = await t.api("/api/v1/tokens");
  assert.ok(
    list.body.includes('"ci"') && !list.body.includes(created.json().token) && !list.body.includes("hash"),
  );
  const admins = t.core.tokens.list().filter((x) => x.role === "admin");
  assert.equal(admins.length, 1);
  const r = await t.api({ method: "DELETE", url: `/api/v1/tokens/${admins[0]!.id}` });
  assert.deepEqual([r.statusCode, r.json().code], [409, "ENF_ERR_TOKEN_LAST_ADMIN"]);
});

test("the open boot endpoints are rate-limited per address, with the usual error shape", async () => {
  const t = await testApp({}, { bootRateLimit: 5 });
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) codes.push((await t.http.inject("/boot.ipxe")).statusCode);
  assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
  const r = await t.http.inject("/boot/machine?mac=52:54:00:00:00:01");
  assert.deepEqual([r.statusCode, r.json().code], [429, "ENF_ERR_AUTH_RATE_LIMITED"]);
});

test("25 wrong tokens from one address do not lock out a valid token from it; the wrong ones get 429", async () => {
  const t = await testApp();
  const call = (authorization: string) =>
    t.http.inject({ url: "/api/v1/whoami", headers: { authorization }, remoteAddress: "192.0.2.7" });
  const codes: number[] = [];
  for (let i = 0; i < 25; i++) codes.push((await call(`Bearer enf_0000000000_${"x".repeat(43)}`)).statusCode);
  assert.deepEqual([codes[0], codes[19], codes[20], codes[24]], [401, 401, 429, 429]);
  const ok = await call(`Bearer ${t.tokens.admin}`);
  assert.deepEqual([ok.statusCode, ok.json().role], [200, "admin"]);
  assert.equal((await call(`Bearer ${t.tokens.viewer}`)).statusCode, 200);
  assert.equal((await call("Bearer still-guessing")).statusCode, 429);
  const other = await t.http.inject({
    url: "/api/v1/whoami",
    headers: { authorization: "Bearer wrong" },
    remoteAddress: "192.0.2.8",
  });
  assert.equal(other.statusCode, 401, "another address has its own budget");
});

test("config secrets are for operators and admins: viewers get no URLs, files, variables or secret", async () => {
  const t = await testApp();
  await t.core.profiles.create({
    ...CUSTOM_PROFILE,
    cmdline: "console=ttyS0 url={{files_url}}preseed done={{complete_url}}",
    provisioning: "root:{{ hash }}\ncurl {{ complete_url }}\n",
  });
  await t.core.machines.ensure(MAC as never);
  const c = await t.core.configs.create({
    machine: MAC,
    profile: "linux",
    variables: { hash: "$6$salt$hash" },
  });
  await t.core.configs.arm(c.id);
  assert.equal((await t.http.inject(`/boot/machine?mac=${MAC}`)).statusCode, 200); // now triggered
  const secret = t.core.configs.get(c.id).secret;
  const leaks = (body: string) => body.includes(secret) || body.includes("$6$salt$hash");
  const reads = [
    `/api/v1/configs/${c.id}`,
    "/api/v1/configs",
    `/api/v1/configs?machine=${MAC}`,
    `/api/v1/machines/${MAC}`,
    `/api/v1/machines/${MAC}/events`,
    "/api/v1/machines",
    "/api/v1/commands",
  ];
  for (const url of reads) {
    const r = await t.as("viewer", url);
    assert.equal(r.statusCode, 200, url);
    assert.ok(!leaks(r.body), `${url} shows a viewer the secret: ${r.body.slice(0, 300)}`);
  }
  const preview = await t.as("viewer", {
    method: "POST",
    url: "/api/v1/profiles/linux/preview",
    payload: { machine: MAC, variables: { hash: "x" } },
  });
  assert.ok(preview.statusCode === 200 && !preview.body.includes(secret), preview.body.slice(0, 200));
  const seen = (await t.as("viewer", `/api/v1/configs/${c.id}`)).json();
  assert.equal(seen.urls, undefined);
  assert.equal(seen.redacted, true);
  assert.equal(seen.state, "triggered");
  assert.deepEqual(seen.files, { provision: "[redacted]" });
  assert.match(JSON.stringify(seen.spec), /\[redacted\]/);
  for (const role of ["operator", "admin"] as const) {
    const full = (await t.as(role, `/api/v1/configs/${c.id}`)).json();
    assert.equal(full.urls.complete, `http://enf.test:8080/p/${secret}/complete`, role);
    assert.match(full.files.provision, /\$6\$salt\$hash/);
    const m = (await t.as(role, `/api/v1/machines/${MAC}`)).json();
    assert.ok(m.config.urls.files.includes(secret), role);
  }
  // The live stream replays every event so far (created, armed, triggered) before the live ones.
  await t.http.listen({ port: 0, host: "127.0.0.1" });
  const port = (t.http.server.address() as { port: number }).port;
  const stop = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/events?after=0`, {
    headers: { authorization: `Bearer ${t.tokens.viewer}` },
    signal: stop.signal,
  });
  let stream = "";
  const reader = res.body!.getReader();
  while (!stream.includes(": connected")) stream += new TextDecoder().decode((await reader.read()).value);
  stop.abort();
  await t.http.close();
  assert.match(stream, /event: config\.triggered/);
  assert.ok(!leaks(stream), stream);
});
