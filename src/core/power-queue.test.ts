// The power queue on its own: the global cap holds runs of other machines until a slot frees, in order,
// and a machine's line never grows past its bound.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { PowerQueue } from "./power-queue.js";

/** A run that ends when its release is called. */
function held(log: string[], name: string) {
  let release: () => void = () => {};
  const run = () =>
    new Promise<string>((resolve) => {
      log.push(`start ${name}`);
      release = () => resolve(name);
    });
  return { run, release: () => release() };
}

const turn = () => new Promise((r) => setImmediate(r));

test("past the global cap a machine waits for a slot, and gets the first one freed", async () => {
  const q = new PowerQueue(4, 2);
  const log: string[] = [];
  const a = held(log, "a");
  const b = held(log, "b");
  const c = held(log, "c");
  const runs = [q.run("A", a.run), q.run("B", b.run), q.run("C", c.run)];
  await turn();
  assert.deepEqual(log, ["start a", "start b"], "two slots: C waits");
  assert.equal(q.running, 2);
  assert.equal(q.wouldWait("D"), true, "a new machine would wait too");
  b.release();
  await turn();
  await turn();
  assert.deepEqual(log, ["start a", "start b", "start c"]);
  a.release();
  c.release();
  assert.deepEqual(await Promise.all(runs), ["a", "b", "c"]);
  assert.equal(q.running, 0);
  assert.equal(q.wouldWait("A"), false, "nothing kept for machines with no actions");
});

test("a machine's line is bounded; a run that throws frees its place", async () => {
  const q = new PowerQueue(1, 64);
  const log: string[] = [];
  const first = held(log, "1");
  const p1 = q.run("A", first.run);
  const p2 = q.run("A", async () => {
    throw new Error("bmc said no");
  });
  assert.equal(q.full("A"), true);
  await assert.rejects(
    q.run("A", async () => "x"),
    (e) => isEnforcerError(e, "ENF_ERR_POWER_BUSY"),
  );
  await turn();
  first.release();
  assert.equal(await p1, "1");
  await assert.rejects(p2, /bmc said no/);
  assert.equal(await q.run("A", async () => "after"), "after");
});
