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
