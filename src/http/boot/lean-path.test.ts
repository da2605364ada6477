// The lean boot path (docs/performance.md): a machine seen a moment ago writes nothing and logs nothing; what
// changes still lands (the seen stamp at the interval, a new UUID, a trigger) with its one log line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { CUSTOM_PROFILE, testCore } from "../../core/testing/fixtures.js";
import type { StoreOp } from "../../store/store.js";
import { buildHttpServer } from "../server.js";

const MAC = "52:54:00:00:00:01";
const Q = `mac=52-54-00-00-00-01&platform=efi&arch=x86_64`;

function app() {
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
  const t = testCore({ seenIntervalMs: 60_000 });
  const commits: StoreOp[][] = [];
  const commit = t.store.commit.bind(t.store);
  t.store.commit = (ops: StoreOp[]) => {
    commits.push(ops);
    return commit(ops);
  };
  const http = buildHttpServer(t.core, { logger });
  const asked = () => lines.filter((l) => l.includes('"machine script request"'));
  return { ...t, http, lines, commits, asked };
}

test("a known machine asking again within --seen-interval writes nothing and logs nothing; after it, the stamp lands", async () => {
  const { http, core, clock, commits, asked } = app();
  assert.equal((await http.inject(`/boot/machine?${Q}`)).statusCode, 404);
  assert.equal(commits.length, 1, "the new machine is recorded");
  assert.equal(asked().length, 1);
  const seen = core.machines.get(MAC).lastSeen;
  clock.advance(30_000);
  for (let i = 0; i < 5; i++) assert.equal((await http.inject(`/boot/machine?${Q}`)).statusCode, 404);
  assert.equal(commits.length, 1, "nothing written for a machine seen 30 s ago");
  assert.equal(asked().length, 1, "no line for a fall-through that changed nothing");
  assert.equal(core.machines.get(MAC).lastSeen, seen);
  clock.advance(30_000);
  assert.equal((await http.inject(`/boot/machine?${Q}`)).statusCode, 404);
  assert.equal(commits.length, 2, "the seen stamp is written once the interval has passed");
  assert.notEqual(core.machines.get(MAC).lastSeen, seen);
  assert.equal(asked().length, 2);
  await http.close();
});

test("within the interval, what a request reports that is new is still stored at once", async () => {
  const { http, core, commits } = app();
  await http.inject(`/boot/machine?${Q}`);
  await http.inject(`/boot/machine?${Q}&uuid=11111111-2222-3333-4444-555555555555&serial=SN1`);
  assert.equal(commits.length, 2);
  const m = core.machines.get(MAC);
  assert.deepEqual([m.uuid, m.serial], ["11111111-2222-3333-4444-555555555555", "SN1"]);
  await http.inject(`/boot/machine?mac=52-54-00-00-00-01&platform=pcbios&arch=x86_64`);
  assert.equal(commits.length, 3, "a platform change is written");
  assert.equal(core.machines.get(MAC).platform, "pcbios");
});

test("an armed config seen a moment ago is still triggered exactly once, and logged", async () => {
  const { http, core, asked } = app();
  await http.inject(`/boot/machine?${Q}`);
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "host={{ hostname }}\n" });
  const c = await core.configs.create({ machine: MAC, profile: "linux" });
  await core.configs.arm(c.id);
  const answers = await Promise.all(Array.from({ length: 8 }, () => http.inject(`/boot/machine?${Q}`)));
  assert.equal(answers.filter((r) => r.statusCode === 200).length, 8, "retries within the window get it");
  assert.equal(core.configs.get(c.id).lifecycle.state, "triggered");
  const triggered = core.events.forMachine(MAC, 0, Number.MAX_SAFE_INTEGER);
  assert.equal(triggered.filter((e) => e.kind === "config.triggered").length, 1);
  assert.ok(
    asked().some((l) => l.includes('"answer":"config"')),
    asked().join(""),
  );
});

test("a request's logger is made when it writes: refusals still carry the request id", async () => {
  const { http, lines } = app();
  assert.equal((await http.inject("/boot/machine?mac=nope")).statusCode, 400);
  const refused = lines.filter((l) => l.includes('"refused"'));
  assert.equal(refused.length, 1, lines.join(""));
  assert.match(refused[0]!, /"reqId":"req-\w+"/);
});
