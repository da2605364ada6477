// Whatever an attacker on the boot network puts in a DHCP request reaches the timeline without a throw (the
// guard would turn one into a warning: there must be none), and what the timeline keeps of it stays short.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { testCore } from "../core/testing/fixtures.js";
import { readFields } from "../protocols/dhcp/fields.js";
import { decodeDhcp, type DhcpMessage } from "../protocols/dhcp/packet.js";
import { opt, uefiDiscover } from "../protocols/dhcp/testing/hand-built.js";
import { dhcpToTimeline } from "./timeline-feed.js";

test("any decodable DHCP request reaches the timeline without a throw; kept names stay short", () => {
  const { core } = testCore();
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on("warning", onWarning);
  let seen = 0;
  try {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .constantFrom(43, 50, 53, 54, 60, 61, 77, 93, 94, 97, 175)
            .chain((code) => fc.uint8Array({ maxLength: 255 }).map((v) => opt(code, Buffer.from(v)))),
          { maxLength: 8 },
        ),
        fc.constantFrom("0.0.0.0", "10.9.0.50"),
        fc.string({ maxLength: 400 }),
        (extra, source, offered) => {
          let message: DhcpMessage;
          try {
            message = decodeDhcp(uefiDiscover(extra));
          } catch {
            return;
          }
          seen++;
          dhcpToTimeline(
            core.timeline,
            readFields(message),
            { source, ciaddr: message.ciaddr, port: "dhcp" },
            { offered, reply: "offer" },
          );
        },
      ),
      { numRuns: 2000, interruptAfterTimeLimit: 10_000, seed: 20261127 },
    );
  } finally {
    process.off("warning", onWarning);
  }
  assert.deepEqual(warnings, []);
  assert.ok(seen > 100);
  const mac = readFields(decodeDhcp(uefiDiscover([]))).mac!;
  for (const a of core.timeline.attempts([mac]))
    for (const s of a.steps)
      if (s.kind === "dhcp") {
        assert.ok((s.offered ?? "").length <= 128);
        assert.ok((s.vendorClass ?? "").length <= 64);
      }
});
