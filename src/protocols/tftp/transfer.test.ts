import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  absoluteBlock,
  newTransfer,
  stepTransfer,
  type TransferEffect,
  type TransferEvent,
  type TransferState,
} from "./transfer.js";

function run(s: TransferState, events: TransferEvent[]): { s: TransferState; effects: TransferEffect[] } {
  const effects: TransferEffect[] = [];
  for (const e of events) {
    const [next, effect] = stepTransfer(s, e);
    s = next;
    effects.push(effect);
  }
  return { s, effects };
}
const ack = (block: number): TransferEvent => ({ type: "ack", block: block & 0xffff });

test("lock-step: OACK, ACK 0, then one block per ACK; an exact multiple of blksize ends with an empty block", () => {
  const s = newTransfer(1024, 512, 1, true);
  assert.equal(s.blocks, 3);
  const { s: end, effects } = run(s, [{ type: "start" }, ack(0), ack(1), ack(2), ack(3)]);
  assert.deepEqual(effects, [
    { type: "send-oack" },
    { type: "send-blocks", from: 1, to: 1 },
    { type: "send-blocks", from: 2, to: 2 },
    { type: "send-blocks", from: 3, to: 3 },
    { type: "finish", outcome: "complete" },
  ]);
  assert.equal(end.phase, "done");
});

test("a duplicate ACK is never answered with a resend (no Sorcerer's Apprentice)", () => {
  const { effects } = run(newTransfer(5000, 512, 1, false), [
    { type: "start" },
    ack(1),
    ack(1),
    ack(1),
    ack(0),
  ]);
  assert.deepEqual(effects.slice(2), [{ type: "none" }, { type: "none" }, { type: "none" }]);
});

test("timeouts resend the window, a bounded number of times, then fail with an error for the peer", () => {
  const { s, effects } = run(newTransfer(5000, 512, 4, false, 2), [
    { type: "start" },
    { type: "timeout" },
    { type: "timeout" },
    { type: "timeout" },
  ]);
  assert.deepEqual(effects[1], { type: "send-blocks", from: 1, to: 4 });
  assert.deepEqual(effects[3], {
    type: "finish",
    outcome: "timeout",
    error: { code: 0, message: "timed out after 2 retries" },
  });
  assert.equal(s.phase, "failed");
  assert.equal(s.resent, 8);
});

test("windowsize: a window per ACK of its last block; a gap ACK resumes after the last block in order", () => {
  const { effects } = run(newTransfer(10 * 512 + 100, 512, 4, false), [
    { type: "start" },
    ack(4),
    ack(6),
    ack(10),
    ack(11),
  ]);
  assert.deepEqual(effects, [
    { type: "send-blocks", from: 1, to: 4 },
    { type: "send-blocks", from: 5, to: 8 },
    { type: "send-blocks", from: 7, to: 10 },
    { type: "send-blocks", from: 11, to: 11 },
    { type: "finish", outcome: "complete" },
  ]);
});

test("block numbers wrap to 0: a file of more than 65535 blocks completes", () => {
  const blocks = 70_000;
  let s = newTransfer(blocks * 512 - 1, 512, 1, false);
  [s] = stepTransfer(s, { type: "start" });
  for (let b = 1; b < blocks; b++) {
    const [next, effect] = stepTransfer(s, ack(b));
    assert.equal(effect.type === "send-blocks" && effect.from, b + 1);
    s = next;
  }
  assert.deepEqual(stepTransfer(s, ack(blocks))[1], { type: "finish", outcome: "complete" });
  assert.equal(absoluteBlock(65536, 0), 65536);
  assert.equal(absoluteBlock(65540, 65535), 65535);
});

test("an ERROR right after the OACK is the BIOS size probe: a quiet end, not a failure", () => {
  const s = newTransfer(100, 512, 1, true);
  const { effects } = run(s, [{ type: "start" }, { type: "peer-error", code: 0, message: "abort" }]);
  assert.deepEqual(effects[1], { type: "finish", outcome: "aborted-after-oack" });
  const data = run(newTransfer(5000, 512, 1, false), [
    { type: "start" },
    { type: "peer-error", code: 3, message: "full" },
  ]);
  assert.deepEqual(data.effects[1], { type: "finish", outcome: "peer-error" });
});

test("property: any event sequence keeps the window inside the file and ends at most once", () => {
  const event = fc.oneof(
    fc.integer({ min: 0, max: 65535 }).map((b): TransferEvent => ({ type: "ack", block: b })),
    fc.constant<TransferEvent>({ type: "timeout" }),
    fc.constant<TransferEvent>({ type: "peer-error", code: 0, message: "x" }),
  );
  fc.assert(
    fc.property(
      fc.nat(200_000),
      fc.integer({ min: 8, max: 1468 }),
      fc.integer({ min: 1, max: 16 }),
      fc.boolean(),
      fc.array(event, { maxLength: 300 }),
      (size, bs, w, oack, events) => {
        let s = newTransfer(size, bs, w, oack);
        let finishes = 0;
        for (const e of [{ type: "start" } as TransferEvent, ...events]) {
          const [next, effect] = stepTransfer(s, e);
          if (effect.type === "send-blocks") {
            assert.ok(
              effect.from >= 1 &&
                effect.from <= effect.to &&
                effect.to <= s.blocks &&
                effect.to - effect.from < w,
            );
          }
          if (effect.type === "finish") finishes++;
          assert.ok(next.base >= s.base, "the window never moves back");
          s = next;
        }
        assert.ok(finishes <= 1);
      },
    ),
    { numRuns: 500 },
  );
});
