// One discovery key (anyone gets one for an invented MAC) attached every unheld MAC its inventory listed:
// 1,900 a report, 380,000 in 36 s on the real server, each report slower than the last (388 ms of event
// loop at the end: HTTP and TFTP stalled for everyone). A machine now holds at most MAX_MACHINE_MACS.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac, type Mac } from "../domain/mac.js";
import { MAX_MACHINE_MACS } from "./machine-intake.js";
import { testCore } from "./testing/fixtures.js";

const mac = (v: number): Mac =>
  parseMac(
    `06:${[v >> 16, (v >> 8) & 255, v & 255, 0, 1].map((x) => x.toString(16).padStart(2, "0")).join(":")}`,
  );

test("reports cannot attach MACs to a machine without bound", async () => {
  const { core } = testCore();
  const self = parseMac("02:00:00:00:0c:01");
  for (let r = 0; r < 5; r++) {
    const macs = Array.from({ length: 1000 }, (_, i) => mac(r * 1000 + i));
    await core.agentReports.report({ kind: "discovery", mac: self }, [self], { macs });
  }
  const m = core.machines.get(self);
  assert.equal(m.macs.length, MAX_MACHINE_MACS);
  assert.equal(m.macs[0], self, "its own MAC stays first");
  assert.equal(core.machines.find(mac(4999)), undefined, "a MAC past the cap is not taken");
  // A real machine that later has one of the MACs the report listed past the cap is its own machine.
  const other = mac(3000);
  await core.agentReports.report({ kind: "discovery", mac: other }, [other], {});
  assert.equal(core.machines.find(other)?.id, other);
});
