import assert from "node:assert/strict";
import { test } from "node:test";
import { stepConfig, windowPassed, type ConfigLifecycle } from "./boot-config.js";
import { isEnforcerError } from "./errors.js";

const T0 = "2026-01-01T00:00:00.000Z";
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const W = 60_000;

test("draft -> armed -> triggered -> completed, serving only on the fetches", () => {
  let l: ConfigLifecycle = { state: "draft" };
  const armed = stepConfig(l, { type: "arm", at: at(0) });
  assert.deepEqual([armed.next.state, armed.serve, armed.event], ["armed", false, "armed"]);
  l = armed.next;
  const first = stepConfig(l, { type: "fetch", at: at(10), retryWindowMs: W });
  assert.deepEqual([first.next.state, first.serve, first.event], ["triggered", true, "triggered"]);
  const retry = stepConfig(first.next, { type: "fetch", at: at(30), retryWindowMs: W });
  assert.deepEqual([retry.serve, retry.event], [true, "retried"]);
  assert.equal(retry.next.state === "triggered" && retry.next.fetches, 2);
  const done = stepConfig(retry.next, { type: "complete", at: at(40) });
  assert.equal(done.next.state, "completed");
  const after = stepConfig(done.next, { type: "fetch", at: at(50), retryWindowMs: W });
  assert.deepEqual([after.serve, after.event], [false, null]);
});

test("a fetch after the retry window expires the config instead of serving it", () => {
  const trig = stepConfig(
    { state: "armed", armedAt: at(0) },
    { type: "fetch", at: at(1), retryWindowMs: W },
  ).next;
  const late = stepConfig(trig, { type: "fetch", at: at(62), retryWindowMs: W });
  assert.deepEqual([late.next.state, late.serve, late.event], ["expired", false, "expired"]);
  // A late completion callback still records that provisioning finished.
  assert.equal(stepConfig(late.next, { type: "complete", at: at(70) }).next.state, "completed");
});

test("illegal transitions throw ENF_ERR_CONFIG_TRANSITION", () => {
  const illegal: [ConfigLifecycle, Parameters<typeof stepConfig>[1]][] = [
    [{ state: "draft" }, { type: "complete", at: T0 }],
    [
      { state: "armed", armedAt: T0 },
      { type: "arm", at: T0 },
    ],
    [
      { state: "armed", armedAt: T0 },
      { type: "complete", at: T0 },
    ],
    [
      { state: "cancelled", cancelledAt: T0 },
      { type: "arm", at: T0 },
    ],
    [
      { state: "completed", armedAt: T0, triggeredAt: T0, completedAt: T0 },
      { type: "cancel", at: T0 },
    ],
    [
      { state: "expired", armedAt: T0, expiredAt: T0 },
      { type: "complete", at: T0 },
    ],
  ];
  for (const [from, input] of illegal) {
    assert.throws(
      () => stepConfig(from, input),
      (e) => isEnforcerError(e, "ENF_ERR_CONFIG_TRANSITION"),
      `${from.state}+${input.type}`,
    );
  }
});

test("draft, armed and triggered configs can be cancelled", () => {
  for (const from of [
    { state: "draft" },
    { state: "armed", armedAt: T0 },
    { state: "triggered", armedAt: T0, triggeredAt: T0, fetches: 1 },
  ] as ConfigLifecycle[]) {
    assert.equal(stepConfig(from, { type: "cancel", at: T0 }).next.state, "cancelled");
  }
});

test("a clock set back does not stretch the retry window: a fetch more than a window before the trigger is too late", () => {
  const t0 = "2026-01-01T12:00:00.000Z";
  const triggered = { state: "triggered", armedAt: t0, triggeredAt: t0, fetches: 1 } as const;
  const hourEarlier = "2026-01-01T11:00:00.000Z";
  const step = stepConfig(triggered, { type: "fetch", at: hourEarlier, retryWindowMs: 300_000 });
  assert.deepEqual([step.serve, step.event], [false, "expired"]);
  assert.equal(windowPassed(triggered, hourEarlier, 300_000), true);
  // A small step back (an NTP correction within the window) is still a retry.
  const slightly = stepConfig(triggered, {
    type: "fetch",
    at: "2026-01-01T11:59:00.000Z",
    retryWindowMs: 300_000,
  });
  assert.deepEqual([slightly.serve, slightly.event], [true, "retried"]);
});
