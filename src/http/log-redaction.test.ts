import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { CUSTOM_PROFILE, testCore } from "../core/testing/fixtures.js";
import { buildHttpServer } from "./server.js";

test("a refused request under a live secret URL logs the refusal without the secret", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (l: string) => void lines.push(l) });
  const { core } = testCore();
  const app = buildHttpServer(core, { logger });
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "echo {{ hostname }}\n" });
  const c = await core.configs.create({ machine: "52:54:00:00:00:01", profile: "linux" });
  await core.configs.arm(c.id);
  await app.inject("/boot/machine?mac=52:54:00:00:00:01"); // triggered: the secret is live
  const r = await app.inject(`/p/${c.secret}/no-such-file`);
  assert.equal(r.statusCode, 404);
  const refused = lines.filter((l) => l.includes('"refused"'));
  assert.equal(refused.length, 1, lines.join(""));
  assert.match(refused[0]!, /\/p\/\[secret\]\/no-such-file/);
  assert.ok(!lines.join("").includes(c.secret), lines.join(""));
  await app.close();
});

test("arming refused for an unsafe value logs the refusal without the value (a config variable may be a hash)", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (l: string) => void lines.push(l) });
  const { core } = testCore();
  const app = buildHttpServer(core, { logger });
  const { token } = await core.tokens.create("op", "operator");
  await core.profiles.create({
    ...CUSTOM_PROFILE,
    provisioning: "#!/bin/sh\necho root:{{ pw }} | chpasswd -e\n",
  });
  const hash = '$6$salt"x\\$' + "h".repeat(80);
  const c = await core.configs.create({
    machine: "52:54:00:00:00:01",
    profile: "linux",
    variables: { pw: hash },
  });
  const r = await app.inject({
    method: "POST",
    url: `/api/v1/configs/${c.id}/arm`,
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.statusCode, 422, r.body);
  assert.equal(r.json().details.variable, "pw", "the operator is still told which value");
  const refused = lines.filter((l) => l.includes('"refused"'));
  assert.equal(refused.length, 1, lines.join(""));
  assert.match(refused[0]!, /ENF_ERR_PROVISIONING_UNSAFE_VALUE.*the value of pw/);
  assert.ok(!refused[0]!.includes("$6$salt"), refused[0]);
  await app.close();
});
