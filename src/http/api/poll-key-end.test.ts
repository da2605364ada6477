// A long poll was authorised once, when it began. A discovery key that ended while its poll waited (the
// machine booted its config) still took the next command queued for the installed host.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

const M = "52:54:00:cc:00:40";

test("a poll whose discovery key ended while it waited takes no command", async () => {
  const t = await testApp({ discovery: true, discoveryKernel: "http://img/vmlinuz" });
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const key = /enforcer\.key=(\S+)/.exec((await t.http.inject(`/boot/machine?mac=${M}`)).body)![1]!;
  const auth = { authorization: `Bearer ${key}` };
  const report = await t.http.inject({
    method: "POST",
    url: "/api/v1/agent/report",
    headers: auth,
    payload: { macs: [M], inventory: { cpu: { model: "x" } } },
  });
  assert.equal(report.statusCode, 200, report.body);
  const poll = t.http.inject({ method: "GET", url: "/api/v1/agent/commands?wait=5", headers: auth });
  await new Promise((r) => setTimeout(r, 50));
  t.clock.advance(1000);
  const c = await t.core.configs.create({ machine: M, profile: "linux" });
  await t.core.configs.arm(c.id);
  assert.equal((await t.core.boot.machineScript({ mac: M as never })).kind, "config");
  const cmd = await t.core.commands.enqueue(M, "reboot");
  const answer = await poll;
  const taken = answer.statusCode === 200 ? (answer.json().items as unknown[]) : [];
  assert.deepEqual(taken, [], answer.body);
  assert.equal(t.core.commands.get(cmd.id).state, "queued", "left for the installed host's agent");
});

test("a poll whose agent token was revoked while it waited takes no command", async () => {
  const t = await testApp();
  const M2 = "52:54:00:cc:00:41";
  await t.core.machines.register(M2 as never, {});
  const made = await t.core.tokens.create("host", "agent");
  await t.core.credentials.bind(made.info, M2 as never, t.clock.now().toISOString());
  const auth = { authorization: `Bearer ${made.token}` };
  const poll = t.http.inject({
    method: "GET",
    url: `/api/v1/agent/commands?wait=5&mac=${M2}`,
    headers: auth,
  });
  await new Promise((r) => setTimeout(r, 50));
  await t.core.tokens.revoke(made.info.id);
  const cmd = await t.core.commands.enqueue(M2, "reboot");
  const answer = await poll;
  const taken = answer.statusCode === 200 ? (answer.json().items as unknown[]) : [];
  assert.deepEqual(taken, [], answer.body);
  assert.equal(t.core.commands.get(cmd.id).state, "queued");
});
