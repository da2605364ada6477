import assert from "node:assert/strict";
import { test } from "node:test";
import type { EtcdClient } from "./etcd-client.js";
import { EtcdHealth } from "./etcd-health.js";

type Answer = { url: string; ms: number; error?: string };
const UP: Answer[] = [
  { url: "a", ms: 1 },
  { url: "b", ms: 1 },
  { url: "c", ms: 1 },
];
const NONE: Answer[] = UP.map((a) => ({ ...a, error: "etcdserver: no leader" }));

/** A FAKE client that answers the probe with what the test sets (no etcd: the thresholds are the subject). */
function probed(answers: { now: Answer[] }): EtcdClient {
  return { probeEach: async () => answers.now } as unknown as EtcdClient;
}

test("etcd health (fake client): a short silence of every endpoint (an election) is degraded, a long one unavailable, an answer ok again", async (t) => {
  const answers = { now: UP };
  const health = new EtcdHealth(probed(answers), "/p", 20, 100, 300);
  await health.start();
  t.after(() => health.stop());
  assert.equal(health.get().state, "ok");

  answers.now = NONE;
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(health.get().state, "degraded", "no endpoint answered for 120 ms of the 300 allowed");
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(health.get().state, "unavailable");
  assert.match(health.get().detail ?? "", /no leader/);

  health.report("degraded", "a commit's answer was lost");
  assert.equal(health.get().state, "unavailable", "a lost answer does not lower what the probes found");

  answers.now = UP;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(health.get().state, "ok");
});
