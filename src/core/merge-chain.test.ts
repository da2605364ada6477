import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { testCore } from "./testing/fixtures.js";

const A = parseMac("52:54:00:00:02:0a");
const B = parseMac("52:54:00:00:02:0b");
const C = parseMac("52:54:00:00:02:0c");
const UUID_B = "6f1e0d2c-0000-4000-8000-00000000000b";
const ADMIN = { kind: "token", id: "t-admin", name: "admin", role: "admin" } as const;

test("merge chains: A merged into B, then B into C; A's discovery key follows to C", async () => {
  const { core, clock } = testCore();
  await core.machines.register(B, { hostname: "b" });
  await core.machines.register(C, { hostname: "c" });
  await core.agentReports.report(ADMIN, [B], { uuid: UUID_B });
  const key = { kind: "discovery", mac: A, machine: A, issuedAt: clock.now().toISOString() } as const;
  const ab = await core.agentReports.report(key, [A], { uuid: UUID_B });
  await core.conflicts.resolve(ab.conflicts[0]!, "merge", "op");
  const bc = await core.agentReports.report(ADMIN, [B, C], {});
  await core.conflicts.resolve(bc.conflicts[0]!, "merge", "op");
  assert.equal(core.machines.get(A).id, C);
  assert.equal(core.conflicts.mergedInto(A), B, "the first merge is still on record");
  const r = await core.agentReports.report(key, [A], { uuid: UUID_B });
  assert.equal(r.machine.id, C);
  assert.equal(core.credentials.forCommands(key, undefined), C);
});

test("a MAC merged twice (its machine forgotten in between) follows its newest merge", async () => {
  const { core, clock } = testCore();
  const D = parseMac("52:54:00:00:02:0d");
  await core.machines.register(B, { hostname: "b" });
  await core.machines.register(D, { hostname: "d" });
  await core.machines.register(A, { hostname: "a" });
  const ab = await core.agentReports.report(ADMIN, [A, B], {});
  await core.conflicts.resolve(ab.conflicts[0]!, "merge", "op");
  clock.advance(1000);
  await core.machines.forget(B, () => false);
  // A's MAC is free again: a new record A, which clashes with D and is merged into it.
  await core.machines.register(A, { hostname: "a2" });
  clock.advance(1000);
  const ad = await core.agentReports.report(ADMIN, [A, D], {});
  await core.conflicts.resolve(ad.conflicts[0]!, "merge", "op");
  assert.equal(core.conflicts.mergedInto(A), D);
  const key = { kind: "discovery", mac: A, machine: A, issuedAt: clock.now().toISOString() } as const;
  assert.equal(core.credentials.forCommands(key, undefined), D);
});
