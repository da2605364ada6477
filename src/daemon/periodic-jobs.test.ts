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
  const runs = { retention: 0 };
  const core = {
    retention: { sweep: async () => (runs.retention++, { events: 0 }) },
    configs: { expireDue: async () => 0 },
    timeline: { settle: async () => undefined },
  } as unknown as Core;
  return { core, runs };
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
