// Issue 10, item 2: a discovery key or an agent token speaks only for its own machine. Each variant of the
// attack goes through the real routes: a discovery boot on the open endpoint, then reports with its key.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

const A = "52:54:00:aa:00:0a";
const B = "52:54:00:bb:00:0b";
const B2 = "52:54:00:bb:00:2b";
const UUID_B = "bbbbbbbb-0000-4000-8000-00000000000b";
const FACTS_B = { uuid: UUID_B, serial: "SN-B", cpu: { model: "real B" }, macs: [B, B2] };

type App = Awaited<ReturnType<typeof testApp>>;

/** An app with Enforcer's own discovery image on, and machine B discovered, inventoried and armed. */
async function withArmedB() {
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd.gz",
  });
  const keyB = await discoveryKey(t, B);
  const r = await report(t, keyB, { macs: [B, B2], inventory: FACTS_B });
  assert.equal(r.statusCode, 200, r.body);
  await t.core.profiles.create({
    ...CUSTOM_PROFILE,
    provisioning: "#!/bin/sh\necho {{ facts.cpu.model | shell }}\n",
  });
  const c = await t.core.configs.create({ machine: B, profile: "linux" });
  await t.core.configs.arm(c.id);
  return { ...t, config: c.id, before: structuredClone(t.core.machines.get(B)) };
}

/** The key a discovery boot on the open endpoint hands out for `mac`. */
async function discoveryKey(t: App, mac: string): Promise<string> {
  const script = await t.http.inject(`/boot/machine?mac=${mac}&platform=efi`);
  assert.equal(script.statusCode, 200, script.body);
  return /enforcer\.key=(\S+)/.exec(script.body)![1]!;
}

function report(t: App, credential: string, payload: object, query = "") {
  return t.http.inject({
    method: "POST",
    url: `/api/v1/agent/report${query}`,
    payload,
    headers: { authorization: `Bearer ${credential}` },
  });
}

/** B is exactly as it was, its config is still armed and not served to A, and a conflict is listed. */
async function assertBUntouched(t: Awaited<ReturnType<typeof withArmedB>>, clash: string) {
  const b = t.core.machines.get(B);
  assert.deepEqual(b.macs, t.before.macs, "B's MACs unchanged");
  assert.deepEqual(b.facts, t.before.facts, "B's facts unchanged");
  assert.deepEqual([b.uuid, b.serial], [t.before.uuid, t.before.serial]);
  assert.equal(t.core.machines.find(A as never)?.id, A, "A is its own machine");
  const served = await t.http.inject(`/boot/machine?mac=${A}&platform=efi`);
  assert.doesNotMatch(served.body, /mirror\/vmlinuz/, "B's armed config is not served to A");
  assert.equal(t.core.configs.get(t.config).lifecycle.state, "armed", "B's config not triggered");
  const list = await t.as("viewer", "/api/v1/conflicts");
  assert.equal(list.statusCode, 200);
  const items = list.json().items as { machine: string; other: string; identities: { value: string }[] }[];
  assert.ok(
    items.some((c) => c.machine === A && c.other === B && c.identities.some((i) => i.value === clash)),
    `a conflict A/B over ${clash} is listed: ${list.body}`,
  );
}

test("a discovery key for a new MAC cannot merge into another machine through its inventory", async () => {
  const t = await withArmedB();
  const key = await discoveryKey(t, A);
  const r = await report(t, key, { macs: [A], inventory: { macs: [B] } });
  assert.equal(r.json().machine, A);
  await assertBUntouched(t, B);
});

test("a discovery key cannot overwrite another machine's facts by listing its MAC", async () => {
  const t = await withArmedB();
  const key = await discoveryKey(t, A);
  const r = await report(t, key, { macs: [A, B], inventory: { cpu: { model: "evil" } } });
  assert.equal(r.json().machine, A);
  await assertBUntouched(t, B);
  assert.deepEqual(t.core.machines.get(A).macs, [A], "A got no MAC of B's");
});

test("an existing machine's key cannot pull another machine's MAC over to itself", async () => {
  const t = await withArmedB();
  await t.http.inject(`/boot/machine?mac=${A}`); // A exists (seen, no facts): it still gets discovery
  const key = await discoveryKey(t, A);
  const r = await report(t, key, { macs: [A], inventory: { macs: [B, B2] } });
  assert.equal(r.json().machine, A);
  await assertBUntouched(t, B2);
  const boot = await t.http.inject(`/boot/machine?mac=${B}&platform=efi`);
  assert.match(boot.body, /mirror\/vmlinuz/, "B still gets its own config, not the disk");
});

test("another machine's UUID or serial is not attached, and B's record does not change", async () => {
  const t = await withArmedB();
  const key = await discoveryKey(t, A);
  const r = await report(t, key, { macs: [A], inventory: { uuid: UUID_B, serial: "SN-B" } });
  assert.equal(r.json().machine, A);
  const a = t.core.machines.get(A);
  assert.deepEqual([a.uuid, a.serial], [undefined, undefined]);
  await assertBUntouched(t, UUID_B);
});

test("the same UUID on a new MAC is a conflict the operator merges; then the MAC joins the old machine", async () => {
  const t = await withArmedB();
  const key = await discoveryKey(t, A);
  await report(t, key, { macs: [A], inventory: { uuid: UUID_B } });
  assert.equal(t.core.machines.list().total, 2, "no silent merge");
  const conflict = (await t.as("viewer", `/api/v1/conflicts?machine=${B}`)).json().items[0];
  assert.deepEqual(conflict.identities, [{ kind: "uuid", value: UUID_B }]);
  const events = (await t.as("viewer", `/api/v1/machines/${B}/events`)).json().items;
  assert.ok(events.some((e: { kind: string }) => e.kind === "machine.conflict"));
  const viewer = await t.as("viewer", {
    method: "POST",
    url: `/api/v1/conflicts/${conflict.id}/resolve`,
    payload: { action: "merge" },
  });
  assert.equal(viewer.statusCode, 403);
  const merged = await t.as("operator", {
    method: "POST",
    url: `/api/v1/conflicts/${conflict.id}/resolve`,
    payload: { action: "merge" },
  });
  assert.deepEqual([merged.statusCode, merged.json().state], [200, "merged"], merged.body);
  assert.deepEqual(t.core.machines.get(A).id, B);
  assert.deepEqual(t.core.machines.get(B).macs, [B, B2, A]);
  assert.equal(t.core.machines.list().total, 1);
  const again = await t.as("operator", {
    method: "POST",
    url: `/api/v1/conflicts/${conflict.id}/resolve`,
    payload: { action: "dismiss" },
  });
  assert.deepEqual([again.statusCode, again.json().code], [409, "ENF_ERR_CONFLICT_RESOLVED"]);
  // After the merge A's key speaks for B, which owns the UUID: no new conflict.
  assert.equal((await report(t, key, { macs: [A], inventory: FACTS_B })).statusCode, 200);
  assert.equal((await t.as("viewer", "/api/v1/conflicts")).json().items.length, 0);
});

test("dismiss keeps the machines apart, and the same clash is not raised again", async () => {
  const t = await withArmedB();
  const key = await discoveryKey(t, A);
  await report(t, key, { macs: [A], inventory: { serial: "SN-B" } });
  const [c] = (await t.as("viewer", "/api/v1/conflicts")).json().items;
  const r = await t.as("operator", {
    method: "POST",
    url: `/api/v1/conflicts/${c.id}/resolve`,
    payload: { action: "dismiss" },
  });
  assert.equal(r.json().state, "dismissed");
  await report(t, key, { macs: [A], inventory: { serial: "SN-B" } });
  assert.equal((await t.as("viewer", "/api/v1/conflicts")).json().items.length, 0);
  assert.equal(t.core.machines.get(A).serial, undefined, "still not attached");
  const missing = await t.as("operator", {
    method: "POST",
    url: "/api/v1/conflicts/nope/resolve",
    payload: { action: "dismiss" },
  });
  assert.deepEqual([missing.statusCode, missing.json().code], [404, "ENF_ERR_CONFLICT_NOT_FOUND"]);
});

test("an agent token is bound to the machine it first reports for", async () => {
  const t = await withArmedB();
  const token = t.tokens.agent;
  const first = await report(t, token, { macs: [A], inventory: { cpu: { model: "a" } } });
  assert.deepEqual([first.statusCode, first.json().machine], [200, A]);
  // It now speaks for A only: B's MAC in a report is a conflict, not a merge.
  const other = await report(t, token, { macs: [B], inventory: { cpu: { model: "evil" } } });
  assert.equal(other.json().machine, A);
  await assertBUntouched(t, B);
  const cmd = await t.core.commands.enqueue(B, "reboot");
  const poll = await t.as("agent", `/api/v1/agent/commands?wait=0&mac=${B}`);
  assert.deepEqual([poll.statusCode, poll.json().code], [403, "ENF_ERR_AUTH_FORBIDDEN"]);
  const ack = await t.as("agent", {
    method: "POST",
    url: `/api/v1/agent/commands/${cmd.id}?mac=${B}`,
    payload: { ok: true },
  });
  assert.equal(ack.statusCode, 403);
  assert.equal(t.core.commands.get(cmd.id).state, "queued", "B's command untouched");
  const own = await t.core.commands.enqueue(A, "reboot");
  const mine = await t.as("agent", `/api/v1/agent/commands?wait=0&mac=${A}`);
  assert.deepEqual(
    mine.json().items.map((c: { id: string }) => c.id),
    [own.id],
  );
});

test("an agent token that has not reported yet cannot poll another machine's commands", async () => {
  const t = await withArmedB();
  const cmd = await t.core.commands.enqueue(B, "reboot");
  const poll = await t.as("agent", `/api/v1/agent/commands?wait=0&mac=${B}`);
  assert.deepEqual([poll.statusCode, poll.json().code], [403, "ENF_ERR_AUTH_FORBIDDEN"]);
  assert.equal(t.core.commands.get(cmd.id).state, "queued");
});

test("the open boot route does not stamp another machine's UUID or serial on a new MAC", async () => {
  const t = await withArmedB();
  await t.http.inject(`/boot/machine?mac=${A}&uuid=${UUID_B}&serial=SN-B`);
  const a = t.core.machines.get(A);
  assert.deepEqual([a.uuid, a.serial], [undefined, undefined]);
  await t.http.inject(`/boot/machine?mac=${A}&uuid=aaaaaaaa-0000-4000-8000-00000000000a&serial=SN-A`);
  assert.deepEqual(
    [t.core.machines.get(A).uuid, t.core.machines.get(A).serial],
    ["aaaaaaaa-0000-4000-8000-00000000000a", "SN-A"],
  );
});

test("forgetting a machine drops its open conflicts with it", async () => {
  const t = await withArmedB();
  const key = await discoveryKey(t, A);
  await report(t, key, { macs: [A], inventory: { macs: [B2] } });
  assert.equal((await t.as("viewer", "/api/v1/conflicts")).json().items.length, 1);
  assert.equal((await t.as("operator", { method: "DELETE", url: `/api/v1/machines/${A}` })).statusCode, 204);
  assert.equal((await t.as("viewer", "/api/v1/conflicts?state=all")).json().items.length, 0);
  assert.deepEqual(t.core.machines.get(B).macs, [B, B2]);
});

test("an agent token can be bound to its machine when it is created", async () => {
  const t = await withArmedB();
  const refused = await t.api({
    method: "POST",
    url: "/api/v1/tokens",
    payload: { name: "ops", role: "operator", machine: A },
  });
  assert.deepEqual([refused.statusCode, refused.json().code], [400, "ENF_ERR_TOKEN_INVALID"]);
  assert.ok(!t.core.tokens.list().some((x) => x.name === "ops"), "no token left behind");
  const created = await t.api({
    method: "POST",
    url: "/api/v1/tokens",
    payload: { name: "host-a", role: "agent", machine: A.replaceAll(":", "-") },
  });
  assert.deepEqual([created.statusCode, created.json().machine], [201, A]);
  const token = created.json().token as string;
  // Its first report names B first: it still speaks for A, and B is untouched.
  const r = await report(t, token, { macs: [B, A], inventory: { cpu: { model: "a" } } });
  assert.equal(r.json().machine, A);
  await assertBUntouched(t, B);
  const listed = (await t.api("/api/v1/tokens"))
    .json()
    .items.find((x: { name: string }) => x.name === "host-a");
  assert.equal(listed.machine, A);
});

test("a discovery key cannot grow its machine's MAC list without bound by inventing MACs report after report", async () => {
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd.gz",
  });
  const key = await discoveryKey(t, A);
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  for (let r = 0; r < 3; r++) {
    const macs = Array.from({ length: 1500 }, (_, i) => `0e:${hex(r)}:${hex(i >> 8)}:${hex(i & 255)}:00:07`);
    const res = await report(t, key, { macs: [A], inventory: { macs } });
    assert.equal(res.statusCode, 200, res.body);
  }
  const m = t.core.machines.get(A);
  assert.ok(m.macs.length <= 64, `machine holds ${m.macs.length} MACs`);
  assert.equal(m.macs[0], A, "its own MAC stays first");
  await t.http.close();
});
