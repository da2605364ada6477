// The power routes over a real core with a fake driver (the real drivers are tested in src/power/ and
// test/power/): every status a user can meet, roles per route, hostile bodies, and no password on the wire.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import type { PowerDriver } from "../../core/power-port.js";
import { EnforcerError } from "../../domain/errors.js";
import type { PowerAction } from "../../domain/power.js";
import { testApp } from "../testing/app.js";

const MAC = "52:54:00:00:0a:01";
const URL = `/api/v1/machines/${MAC}/power`;
/** A password no other text in an answer could contain by chance. */
const PASSWORD = "Pw-7c1e9f-secret";
const IPMI = { driver: "ipmi", address: "10.0.0.9", username: "admin", password: PASSWORD, cipherSuite: 3 };

/** A fake IPMI driver: answers like a BMC, or throws what `fail` says; remembers what it was asked. */
function fakeIpmi(fail?: EnforcerError) {
  const calls: { action: PowerAction; password?: string }[] = [];
  const driver: PowerDriver = {
    name: "ipmi",
    actions: ["on", "off", "cycle", "status", "pxe-once"],
    run: async (target, action) => {
      calls.push({ action, password: target.password });
      if (fail) throw fail;
      const state = action === "off" ? "off" : action === "pxe-once" ? undefined : "on";
      return { state, detail: `Chassis Power Control: ${action}` };
    },
  };
  return { driver, calls };
}

async function app(fail?: EnforcerError, logger?: pino.Logger) {
  const t = await testApp({}, logger ? { logger } : {});
  const fake = fakeIpmi(fail);
  t.core.power.addDriver(fake.driver);
  await t.core.machines.ensure(MAC as never);
  return { ...t, fake };
}

test("power routes (real core, fake driver): set, show without the password, act, remove", async () => {
  const t = await app();
  const none = await t.as("viewer", URL);
  assert.deepEqual([none.statusCode, none.json().code], [404, "ENF_ERR_POWER_NOT_SET"]);

  const put = await t.as("admin", { method: "PUT", url: URL, payload: IPMI });
  assert.equal(put.statusCode, 200, put.body);
  assert.ok(!put.body.includes(PASSWORD), put.body);
  assert.deepEqual(
    { ...(put.json() as object), updatedAt: 0, state: 0 },
    {
      machine: MAC,
      driver: "ipmi",
      address: "10.0.0.9",
      username: "admin",
      hasPassword: true,
      cipherSuite: 3,
      updatedAt: 0,
      state: 0,
    },
  );
  const got = await t.as("viewer", URL);
  assert.equal(got.statusCode, 200);
  assert.ok(!got.body.includes(PASSWORD) && !got.body.includes("sealed") && !got.body.includes('"password"'));
  assert.equal(got.json().state.state, "unknown");

  const on = await t.as("operator", { method: "POST", url: `${URL}/on` });
  assert.equal(on.statusCode, 200, on.body);
  assert.deepEqual(
    { ...(on.json() as object), at: 0 },
    { machine: MAC, action: "on", driver: "ipmi", state: "on", detail: "Chassis Power Control: on", at: 0 },
  );
  assert.equal(t.fake.calls[0]?.password, PASSWORD, "the driver got the password, opened for the call");
  assert.equal((await t.as("viewer", URL)).json().state.state, "on");

  const pxe = await t.as("operator", { method: "POST", url: `${URL}/pxe-once` });
  assert.deepEqual([pxe.statusCode, pxe.json().state], [200, "on"], "pxe-once keeps the last known state");

  const del = await t.as("admin", { method: "DELETE", url: URL });
  assert.equal(del.statusCode, 204);
  assert.equal((await t.as("viewer", URL)).statusCode, 404);
  const gone = await t.as("admin", { method: "DELETE", url: URL });
  assert.deepEqual([gone.statusCode, gone.json().code], [404, "ENF_ERR_POWER_NOT_SET"]);
  const act = await t.as("operator", { method: "POST", url: `${URL}/status` });
  assert.deepEqual([act.statusCode, act.json().code], [404, "ENF_ERR_POWER_NOT_SET"]);
});

test("power routes (real core, fake driver): roles per route; no token 401, too low 403", async () => {
  const t = await app();
  await t.core.power.set(MAC, IPMI as never);
  const routes = [
    { method: "GET", url: URL, need: "viewer" },
    { method: "PUT", url: URL, need: "admin", payload: { ...IPMI, password: undefined } },
    { method: "POST", url: `${URL}/status`, need: "operator" },
    { method: "POST", url: `${URL}/cycle`, need: "operator" },
    { method: "DELETE", url: URL, need: "admin" },
  ] as const;
  const rank = { viewer: 0, operator: 1, admin: 2 } as const;
  for (const r of routes) {
    const opts = { method: r.method, url: r.url, ...("payload" in r ? { payload: r.payload } : {}) };
    const anon = await t.as(null, opts);
    assert.deepEqual(
      [anon.statusCode, anon.json().code],
      [401, "ENF_ERR_AUTH_MISSING"],
      `${r.method} ${r.url}`,
    );
    const agent = await t.as("agent", opts);
    assert.equal(agent.statusCode, 403, `agent ${r.method} ${r.url}`);
    for (const role of ["viewer", "operator", "admin"] as const) {
      const res = await t.as(role, opts);
      const label = `${role} ${r.method} ${r.url}: ${res.body.slice(0, 100)}`;
      if (rank[role] < rank[r.need])
        assert.deepEqual([res.statusCode, res.json().code], [403, "ENF_ERR_AUTH_FORBIDDEN"], label);
      else {
        assert.ok(res.statusCode === 200 || res.statusCode === 204, label);
        // The DELETE removed it: set it again for the next role.
        if (r.method === "DELETE") await t.core.power.set(MAC, IPMI as never);
      }
    }
  }
});

test("power routes (real core, fake driver): a driver's error keeps its code, status and the BMC's words", async () => {
  const cases: [string, number][] = [
    ["ENF_ERR_POWER_AUTH", 502],
    ["ENF_ERR_POWER_UNREACHABLE", 502],
    ["ENF_ERR_POWER_TIMEOUT", 504],
    ["ENF_ERR_POWER_BAD_ANSWER", 502],
    ["ENF_ERR_POWER_REFUSED", 502],
    ["ENF_ERR_POWER_TLS", 502],
  ];
  for (const [code, status] of cases) {
    const words = `the BMC said: Unable to establish IPMI v2 / RMCP+ session (${code})`;
    const t = await app(new EnforcerError(code as never, words));
    await t.core.power.set(MAC, IPMI as never);
    const r = await t.as("operator", { method: "POST", url: `${URL}/cycle` });
    assert.deepEqual([r.statusCode, r.json().code, r.json().message], [status, code, words]);
    const state = (await t.as("viewer", URL)).json().state;
    assert.deepEqual(state.error, { code, message: words }, "the last error shows with the state");
  }
  // Wake-on-LAN cannot tell the state: 409 unsupported, named so.
  const t = await app();
  await t.core.power.set(MAC, { driver: "wol" });
  const r = await t.as("operator", { method: "POST", url: `${URL}/status` });
  assert.deepEqual([r.statusCode, r.json().code], [409, "ENF_ERR_POWER_UNSUPPORTED"]);
});

test("power routes (real core, fake driver): a slow BMC queues 4 actions, the 5th waiting is 429 busy; another machine is not held", async () => {
  const t = await testApp();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const OTHER = "52:54:00:00:0a:02";
  t.core.power.addDriver({
    name: "ipmi",
    actions: ["on", "off", "cycle", "status", "pxe-once"],
    run: async (target) => {
      if (target.machine === MAC) await held;
      return { state: "on", detail: "Chassis Power is on" };
    },
  });
  for (const m of [MAC, OTHER]) {
    await t.core.machines.ensure(m as never);
    await t.core.power.set(m, IPMI as never);
  }
  const act = (m: string) => t.as("operator", { method: "POST", url: `/api/v1/machines/${m}/power/status` });
  const first = [act(MAC), act(MAC), act(MAC), act(MAC), act(MAC)];
  await new Promise((r) => setTimeout(r, 50));
  const busy = await act(MAC);
  assert.deepEqual([busy.statusCode, busy.json().code], [429, "ENF_ERR_POWER_BUSY"]);
  const other = await act(OTHER);
  assert.deepEqual([other.statusCode, other.json().detail], [200, "Chassis Power is on"]);
  release();
  assert.deepEqual(
    (await Promise.all(first)).map((r) => r.statusCode),
    [200, 200, 200, 200, 200],
  );
});

test("power routes (real core, fake driver): hostile bodies are refused with 400/413, nothing stored, nothing echoed", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (l: string) => void lines.push(l) });
  const t = await app(undefined, logger);
  const put = (payload: unknown, headers: Record<string, string> = {}) =>
    t.as("admin", {
      method: "PUT",
      url: URL,
      payload: typeof payload === "string" ? payload : JSON.stringify(payload),
      headers: { "content-type": "application/json", ...headers },
    });
  const refused: [string, unknown, number, string][] = [
    ["unknown field", { ...IPMI, passwd: "x" }, 400, "ENF_ERR_HTTP_VALIDATION"],
    [
      "a 10 KB password",
      { ...IPMI, password: `${PASSWORD}${"p".repeat(10_240)}` },
      400,
      "ENF_ERR_HTTP_VALIDATION",
    ],
    [
      "control characters",
      { ...IPMI, password: `${PASSWORD.slice(0, 10)}\u0007\u001b[2J` },
      400,
      "ENF_ERR_POWER_INVALID",
    ],
    ["a NUL", { ...IPMI, username: "ad\u0000min" }, 400, "ENF_ERR_POWER_INVALID"],
    ["an address read as an option", { ...IPMI, address: "-oProxyCommand=x" }, 400, "ENF_ERR_POWER_INVALID"],
    [
      "a password longer than IPMI's 20 bytes",
      { ...IPMI, password: `${PASSWORD}-too-long!` },
      400,
      "ENF_ERR_POWER_INVALID",
    ],
    ["a wrong driver", { ...IPMI, driver: "telnet" }, 400, "ENF_ERR_HTTP_VALIDATION"],
    ["a number as a string", { ...IPMI, cipherSuite: "3" }, 400, "ENF_ERR_HTTP_VALIDATION"],
    ["an array", [IPMI], 400, "ENF_ERR_HTTP_VALIDATION"],
    [
      "broken JSON around the password",
      `{"driver":"ipmi","password":"${PASSWORD}"`,
      400,
      "ENF_ERR_HTTP_VALIDATION",
    ],
    ["a 1 MiB body", { ...IPMI, systemId: "x".repeat(1 << 20) }, 413, "ENF_ERR_HTTP_VALIDATION"],
  ];
  for (const [what, body, status, code] of refused) {
    const r = await put(body);
    assert.deepEqual([r.statusCode, r.json().code], [status, code], `${what}: ${r.body.slice(0, 200)}`);
    assert.ok(
      !r.body.includes(PASSWORD.slice(0, 10)),
      `${what}: the answer echoes the password: ${r.body.slice(0, 300)}`,
    );
  }
  const badAction = await t.as("operator", { method: "POST", url: `${URL}/reboot` });
  assert.deepEqual([badAction.statusCode, badAction.json().code], [400, "ENF_ERR_HTTP_VALIDATION"]);
  const noMachine = await t.as("admin", {
    method: "PUT",
    url: "/api/v1/machines/52:54:00:ff:ff:ff/power",
    payload: IPMI,
  });
  assert.deepEqual([noMachine.statusCode, noMachine.json().code], [404, "ENF_ERR_MACHINE_NOT_FOUND"]);
  assert.equal((await t.as("viewer", URL)).statusCode, 404, "nothing was stored");
  assert.ok(
    lines.some((l) => l.includes('"refused"')),
    "the refusals were logged (so the check below means something)",
  );
  // The server is still up and the log never quoted the password.
  assert.equal((await put(IPMI)).statusCode, 200);
  assert.ok(
    !lines.join("").includes(PASSWORD.slice(0, 10)),
    lines.filter((l) => l.includes("Pw-7c")).join(""),
  );
});

test("power routes (real core, fake driver): even a view that carried a password is answered without it", async () => {
  const t = await app();
  await t.core.power.set(MAC, IPMI as never);
  const real = t.core.power.get.bind(t.core.power);
  // A future change that let the secret into the view: the answer schema has no such field, so it is dropped.
  t.core.power.get = (m) => ({ ...real(m), password: PASSWORD, sealed: { data: "x" } }) as never;
  const r = await t.as("viewer", URL);
  assert.equal(r.statusCode, 200);
  assert.ok(!r.body.includes(PASSWORD) && !r.body.includes("sealed"), r.body);
  assert.equal(r.json().hasPassword, true);
});

test("power routes: in the OpenAPI document, and the answer schema has no password field", async () => {
  const t = await testApp();
  const doc = (await t.as(null, "/api/v1/openapi.json")).json() as {
    paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  };
  const ops = doc.paths["/api/v1/machines/{id}/power"]!;
  assert.deepEqual(Object.keys(ops).sort(), ["delete", "get", "put"]);
  assert.ok(doc.paths["/api/v1/machines/{id}/power/{action}"]?.post);
  const answer = JSON.stringify(ops.get!.responses);
  assert.match(answer, /hasPassword/);
  assert.doesNotMatch(answer, /"password"/);
});
