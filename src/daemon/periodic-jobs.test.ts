import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import type { Core } from "../core/create-core.js";
import type { Leadership } from "../store/election.js";
import { startPeriodicJobs } from "./periodic-jobs.js";

/** A campaign a test moves by hand. */
function campaign(start: boolean) {
  let leader = start;
  const listeners = new Set<(l: boolean) => void>();
  const handle: Leadership = {
    isLeader: () => leader,
    onChange: (cb) => (listeners.add(cb), () => listeners.delete(cb)),
    resign: async () => {},
  };
  const set = (l: boolean) => {
    leader = l;
    for (const cb of listeners) cb(l);
  };
  return { handle, set };
}

function fakeCore() {
  const runs = { retention: 0, polls: 0, deliveries: 0, stopped: 0 };
  const listeners = new Set<(e: { kind: string }) => void>();
  const core = {
    retention: { sweep: async () => (runs.retention++, { events: 0 }) },
    configs: { expireDue: async () => 0 },
    timeline: { settle: async () => undefined },
    events: {
      subscribe: (l: (e: { kind: string }) => void) => (listeners.add(l), () => listeners.delete(l)),
    },
    commands: { deliverQueued: async () => (runs.deliveries++, 0) },
    // One machine with power control whose driver can tell its state: a poll asks it once.
    power: {
      list: () => [{ machine: "m" }],
      record: () => ({ machine: "m", driver: "ipmi" }),
      can: () => true,
      busy: () => false,
      step: async () => (runs.polls++, {}),
      stop: () => runs.stopped++,
    },
  } as unknown as Core;
  const queued = () => {
    for (const l of listeners) l({ kind: "command.queued" });
  };
  return { core, runs, queued };
}

test("retention runs on the leader only: not on an instance that is not, at once on one that becomes it", async () => {
  const { core, runs } = fakeCore();
  const c = campaign(false);
  const stop = startPeriodicJobs(core, pino({ level: "silent" }), c.handle);
  try {
    await new Promise((r) => setImmediate(r));
    assert.equal(runs.retention, 0, "a follower runs no retention pass");
    c.set(true);
    await new Promise((r) => setImmediate(r));
    assert.equal(runs.retention, 1, "elected: a pass at once");
    c.set(false);
    c.set(true);
    await new Promise((r) => setImmediate(r));
    assert.equal(runs.retention, 2);
  } finally {
    stop();
  }
  c.set(true);
  assert.equal(runs.retention, 2, "stopped: leadership changes run nothing");
});

test("with the file store (always the leader) retention runs at start, as before", async () => {
  const { core, runs } = fakeCore();
  const stop = startPeriodicJobs(core, pino({ level: "silent" }));
  stop();
  assert.equal(runs.retention, 1);
});

test("the power poll and command delivery run on the leader only; stopping ends the power runs", async () => {
  for (const leads of [true, false]) {
    const { core, runs, queued } = fakeCore();
    const c = campaign(leads);
    const stop = startPeriodicJobs(core, pino({ level: "silent" }), c.handle, 3600);
    queued();
    await new Promise((r) => setImmediate(r));
    stop();
    assert.deepEqual(
      [runs.polls, runs.deliveries, runs.stopped],
      leads ? [1, 1, 1] : [0, 0, 1],
      leads ? "leader: a poll at start, a delivery per queued command" : "follower: neither",
    );
  }
  const { core, runs } = fakeCore();
  startPeriodicJobs(core, pino({ level: "silent" }), campaign(true).handle, 0)();
  assert.equal(runs.polls, 0, "--power-poll 0: no poll");
});
