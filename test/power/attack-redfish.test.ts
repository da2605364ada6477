// Attacks on the Redfish driver from a BMC gone bad (a hostile HTTPS server, not the contract fake): links
// and redirects that point the credentials at another host, a refusal that echoes the login body, bodies
// that are huge, endless, deep or slow. Each ends in a coded error, bounded in time, with nothing sent to
// the other host and no password in the words.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { PowerTarget } from "../../src/core/power-port.js";
import { EnforcerError } from "../../src/domain/errors.js";
import type { PowerAction } from "../../src/domain/power.js";
import { redfishDriver } from "../../src/power/redfish/redfish-driver.js";
import {
  answer,
  computerSystem,
  serviceRoot,
  startHostileBmc,
  systems,
  type HostileBmc,
} from "./hostile-bmc.js";

// `"` and `\` are what JSON escapes: a BMC echoing the login body shows them as `\"` and `\\`.
const PASSWORD = 'Pw"Rf\\attack-9e1';
const driver = redfishDriver({ limits: { connectMs: 1000, requestMs: 1500, maxBody: 1024 * 1024 } });
const servers: HostileBmc[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function bmc(handle: Parameters<typeof startHostileBmc>[0]): Promise<HostileBmc> {
  const s = await startHostileBmc(handle);
  servers.push(s);
  return s;
}

/** A host the attacker controls: it records what reaches it and answers 200 {} to everything. */
async function elsewhere(): Promise<HostileBmc> {
  return bmc((_req, res) => answer(res, 200, {}));
}

function target(s: HostileBmc): PowerTarget {
  return {
    machine: "m-1",
    address: s.address,
    username: "admin",
    password: PASSWORD,
    options: { tlsFingerprint: s.fingerprint },
  };
}

async function failure(s: HostileBmc, action: PowerAction = "cycle"): Promise<EnforcerError> {
  const t0 = Date.now();
  const e = await driver.run(target(s), action, AbortSignal.timeout(10_000)).then(
    () => assert.fail("expected the action to fail"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof EnforcerError, `not an EnforcerError: ${String(e)}`);
  assert.ok(Date.now() - t0 < 6000, `took ${Date.now() - t0} ms`);
  for (const form of secretForms())
    assert.ok(!e.message.includes(form), `password form ${form} in: ${e.message}`);
  assert.ok(!JSON.stringify(e.details).includes("Rf"), JSON.stringify(e.details));
  return e;
}

/** The password as it could show in a BMC's words: plain, JSON-escaped, URL-encoded, in a Basic header. */
function secretForms(): string[] {
  return [
    PASSWORD,
    JSON.stringify(PASSWORD).slice(1, -1),
    encodeURIComponent(PASSWORD),
    Buffer.from(`admin:${PASSWORD}`).toString("base64"),
  ];
}

/** A BMC that answers the service root, the Systems list and the system; `reset` for the rest. */
function basicBmc(resetTarget: string | (() => string)): Parameters<typeof startHostileBmc>[0] {
  return (req, res) => {
    const url = req.url ?? "";
    if (url === "/redfish/v1/") return answer(res, 200, serviceRoot());
    if (url === "/redfish/v1/Systems") return answer(res, 200, systems("/redfish/v1/Systems/1"));
    if (url === "/redfish/v1/Systems/1")
      return answer(res, 200, computerSystem(typeof resetTarget === "string" ? resetTarget : resetTarget()));
    answer(res, 204, {});
  };
}

test("attack redfish: a Reset target on another host gets no request (absolute, protocol-relative, with userinfo)", async () => {
  const evil = await elsewhere();
  for (const t of [
    `https://${evil.address}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset`,
    `//${evil.address}/reset`,
    `https://x@${evil.address}/reset`,
  ]) {
    const s = await bmc(basicBmc(t));
    const e = await failure(s);
    assert.equal(e.code, "ENF_ERR_POWER_BAD_ANSWER", `${t}: ${e.message}`);
    assert.equal(s.seen.filter((r) => r.method === "POST").length, 0, `${t}: a reset was posted`);
  }
  assert.deepEqual(evil.seen, [], "the other host saw a request");
});

test("attack redfish: a session collection, a session Location and a Systems member on another host: no credentials cross", async () => {
  const evil = await elsewhere();
  // The service root links the session collection on the attacker's host.
  const a = await bmc((req, res) =>
    req.url === "/redfish/v1/"
      ? answer(res, 200, serviceRoot(`https://${evil.address}/sessions`))
      : answer(res, 401, {}),
  );
  assert.equal((await failure(a, "status")).code, "ENF_ERR_POWER_BAD_ANSWER");
  // The session is made here, but its Location (the DELETE with the token) and the system point there.
  const b = await bmc((req, res) => {
    const url = req.url ?? "";
    if (url === "/redfish/v1/") return answer(res, 200, serviceRoot("/redfish/v1/SessionService/Sessions"));
    if (req.method === "POST" && url === "/redfish/v1/SessionService/Sessions")
      return answer(res, 201, {}, { "x-auth-token": "tok-1", location: `https://${evil.address}/s/1` });
    if (url === "/redfish/v1/Systems")
      return answer(res, 200, systems(`https://${evil.address}/redfish/v1/Systems/1`));
    answer(res, 404, {});
  });
  assert.equal((await failure(b, "status")).code, "ENF_ERR_POWER_BAD_ANSWER");
  assert.deepEqual(evil.seen, [], "the other host saw a request");
});

test("attack redfish: a refusal that echoes the login body as JSON does not carry the password (JSON-escaped)", async () => {
  // Not a Redfish error body: the driver shows the start of the text, which holds the password JSON-escaped.
  const s = await bmc((req, res, body) => {
    if (req.url === "/redfish/v1/")
      return answer(res, 200, serviceRoot("/redfish/v1/SessionService/Sessions"));
    res.writeHead(401, { "content-type": "application/json" });
    res.end(`{"refused":${body}}`);
  });
  const e = await failure(s, "status");
  assert.equal(e.code, "ENF_ERR_POWER_AUTH");
  // The same BMC echoing it as not-JSON text after a 200.
  const t = await bmc((req, res, body) => {
    if (req.url === "/redfish/v1/")
      return answer(res, 200, serviceRoot("/redfish/v1/SessionService/Sessions"));
    res.writeHead(201, { "x-auth-token": "t" });
    res.end(`you said ${body} <html>`);
  });
  await failure(t, "status");
});

test("attack redfish: an endless body, a 1 MiB deep nesting, a wide object, a slow drip and a redirect loop each end coded and bounded", async () => {
  const endless = await bmc((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once("drain", pump);
    };
    pump();
  });
  const before = process.memoryUsage().rss;
  assert.equal((await failure(endless, "status")).code, "ENF_ERR_POWER_BAD_ANSWER");
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, "memory grew with the body");

  const deep = await bmc((req, res) => {
    if (req.url === "/redfish/v1/") return answer(res, 200, serviceRoot());
    res.writeHead(200, { "content-type": "application/json" });
    res.end("[".repeat(1000 * 1000));
  });
  assert.equal((await failure(deep, "status")).code, "ENF_ERR_POWER_BAD_ANSWER");
  const deepValid = await bmc((req, res) => {
    if (req.url === "/redfish/v1/") return answer(res, 200, serviceRoot());
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`${"[".repeat(500 * 1000)}${"]".repeat(500 * 1000)}`);
  });
  await failure(deepValid, "status");

  // 10^6 members do not fit in 1 MiB; as many as fit (short names) parse and are ignored.
  const wide = await bmc((req, res) => {
    if (req.url === "/redfish/v1/") return answer(res, 200, serviceRoot());
    const members = Array.from({ length: 100_000 }, (_, i) => `"${i.toString(36)}":0`).join(",");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`{${members},"Members":[]}`);
  });
  assert.equal((await failure(wide, "status")).code, "ENF_ERR_POWER_INVALID");

  const drip = await bmc((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(" ")), 100);
    res.on("close", () => clearInterval(timer));
  });
  assert.equal((await failure(drip, "status")).code, "ENF_ERR_POWER_TIMEOUT");

  const loop = await bmc((req, res) => {
    res.writeHead(307, { location: `${req.url ?? "/"}x` });
    res.end();
  });
  assert.equal((await failure(loop, "status")).code, "ENF_ERR_POWER_BAD_ANSWER");
  assert.ok(loop.seen.length <= 4, `followed ${loop.seen.length} redirects`);
});
