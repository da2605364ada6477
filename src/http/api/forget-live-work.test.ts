// Forgetting a machine left its drafts and queued commands behind for good (neither is ever pruned): the
// draft kept its profile "in use", and a reboot queued long ago went to whatever later booted with the MAC.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

const M = "52:54:00:cc:00:50";

test("forgetting a machine cancels its drafts and fails its queued commands", async () => {
  const t = await testApp();
  await t.core.profiles.create({ ...CUSTOM_PROFILE, name: "once" });
  await t.core.machines.register(M as never, {});
  const draft = await t.core.configs.create({ machine: M, profile: "once" });
  const cmd = await t.core.commands.enqueue(M, "reboot");
  const del = await t.api({ method: "DELETE", url: `/api/v1/machines/${M}` });
  assert.equal(del.statusCode, 204, del.body);
  assert.equal(t.core.configs.get(draft.id).lifecycle.state, "cancelled");
  assert.equal(t.core.commands.get(cmd.id).state, "failed");
  const kinds = t.core.events.forMachine(M).map((e) => e.kind);
  assert.ok(kinds.includes("config.cancelled") && kinds.includes("command.failed"), kinds.join());
  // The MAC boots again later (a new machine record): nothing of the old one's work reaches it.
  await t.core.boot.machineScript({ mac: M as never });
  assert.deepEqual(await t.core.commandPolls.takeCommands("json:x", M, 0), []);
  const gone = await t.api({ method: "DELETE", url: "/api/v1/profiles/once" });
  assert.equal(gone.statusCode, 204, gone.body);
});
