// Each invented machine could keep a full history (--history-per-machine, 200 events) of its own reports:
// 10,000 unknown machines x 200 events x ~0.6 KB is over a gigabyte, against the "about 1.3 KB per unknown
// machine" security.md promised. A machine only anonymous clients spoke for now keeps UNKNOWN_HISTORY events.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { testCore } from "./testing/fixtures.js";
import { UNKNOWN_HISTORY } from "./unknown-machines.js";

test("an invented machine's reports keep a short history; a machine an operator claimed keeps its full one", async () => {
  const { core } = testCore();
  const invented = parseMac("02:00:00:00:0f:01");
  const claimed = parseMac("02:00:00:00:0f:02");
  await core.machines.register(claimed, { hostname: "db1" });
  for (let i = 0; i < 120; i++) {
    for (const mac of [invented, claimed])
      await core.agentReports.report({ kind: "discovery", mac }, [mac], { n: i });
  }
  const kept = core.events.forMachine(invented).length;
  assert.ok(kept <= 2 * UNKNOWN_HISTORY, `${kept} events kept for the invented machine`);
  assert.equal(core.events.forMachine(claimed).length, 121, "the claimed machine keeps them all (under 200)");
});
