// Commands and agent sessions with several instances over one FAKE shared store (two views of one engine,
// as two processes over etcd): a command queued through A reaches the agent polling B, and is taken once
// across instances; a discovery key issued through A is the one B hands out again and accepts.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { SharedMemoryEngine } from "../store/testing/shared-memory-store.js";
import { createCore } from "./create-core.js";
import type { CoreSettings } from "./ports.js";
import { ManualClock } from "./testing/fixtures.js";

const MAC = parseMac("52:54:00:00:15:02");

async function instances(secret: { a: Buffer; b: Buffer } = { a: randomBytes(32), b: randomBytes(32) }) {
  const engine = new SharedMemoryEngine();
  const clock = new ManualClock();
  const settings = (url: string): CoreSettings => ({
    publicUrl: url,
    retryWindowMs: 60_000,
    discovery: true,
    discoveryKernel: `${url}/tftp/discovery/vmlinuz`,
    remotes: [],
  });
  const sa = engine.view();
  const sb = engine.view();
  const a = createCore(sa, settings("http://a.test:8080"), clock, { sessionSecret: secret.a });
  const b = createCore(sb, settings("http://b.test:8080"), clock, { sessionSecret: secret.b });
  // Each claims its first block of event seqs from the shared mark before it records an event.
  // (A claim that lost to the other pauses on an unref'd timer: this keeps the test's loop alive meanwhile.)
  const alive = setInterval(() => {}, 20);
  await Promise.all([a.events.ready(), b.events.ready()]).finally(() => clearInterval(alive));
  return { engine, a, b, sa, sb, close: () => Promise.all([sa.close(), sb.close()]) };
}

async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("fake shared store: a command queued through A is taken by exactly one of two agents polling A and B at once", async () => {
  const { a, b, close } = await instances();
  try {
    await a.machines.ensure(MAC);
    for (let round = 0; round < 20; round++) {
      const c = await a.commands.enqueue(MAC, "reboot");
      await until(() => b.commands.open.of(MAC).some((x) => x.id === c.id), "the command on B");
      const [ta, tb] = await Promise.all([
        a.commandPolls.takeCommands("agent-a", MAC, 0),
        b.commandPolls.takeCommands("agent-b", MAC, 0),
      ]);
      const got = [...ta, ...tb].filter((x) => x.id === c.id);
      assert.equal(got.length, 1, `round ${round}: taken by ${got.length} polls`);
      await until(
        () => a.commands.get(c.id).state === "sent" && b.commands.get(c.id).state === "sent",
        "sent",
      );
      // Acknowledged through the other instance than the one that took it.
      const ack = ta.length > 0 ? b : a;
      await ack.commandPolls.acknowledge(MAC, c.id, true, "ok");
      await until(() => a.commands.get(c.id).state === "acknowledged", "the ack on A");
    }
    const sent = a.events.forMachine(MAC).filter((e) => e.kind === "command.sent");
    assert.equal(sent.length, 20, "one command.sent per command in the history");
  } finally {
    await close();
  }
});

test("fake shared store: an agent's long poll on B wakes when A queues its command", async () => {
  const { a, b, close } = await instances();
  try {
    await a.machines.ensure(MAC);
    await until(() => b.machines.find(MAC) !== undefined, "the machine on B");
    const started = Date.now();
    const poll = b.commandPolls.takeCommands("agent-b", MAC, 10_000);
    await new Promise((r) => setTimeout(r, 20));
    const c = await a.commands.enqueue(MAC, "reboot");
    const taken = await poll;
    assert.deepEqual(
      taken.map((x) => x.id),
      [c.id],
    );
    assert.ok(Date.now() - started < 2000, `woke after ${Date.now() - started} ms (the wait was 10 s)`);
  } finally {
    await close();
  }
});

test("fake shared store: with one session secret, a discovery key issued through A is handed out again and accepted by B", async () => {
  const secret = randomBytes(32);
  const { a, b, close } = await instances({ a: secret, b: secret });
  try {
    const first = await a.boot.discoveryScript({ mac: MAC, platform: "efi" });
    assert.equal(first.kind, "discovery");
    const key = keyOf(first);
    await until(() => b.sessions.verify(key) !== undefined, "the key on B");
    // The same boot asking again, through B: the same key (derived from the shared secret), not a new one.
    const again = await b.boot.discoveryScript({ mac: MAC, platform: "efi" });
    assert.equal(keyOf(again), key);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(a.sessions.verify(key), "A still accepts it");
  } finally {
    await close();
  }
});

function keyOf(d: unknown): string {
  const args = (d as { boot: { spec: { args: string[] } } }).boot.spec.args;
  return args.find((x) => x.startsWith("enforcer.key="))!.slice("enforcer.key=".length);
}

test("fake shared store: instances starting together on an empty store make one first admin token", async () => {
  const { a, b, close } = await instances();
  try {
    const made = await Promise.all([a.tokens.ensureInitialAdmin(), b.tokens.ensureInitialAdmin()]);
    assert.equal(made.filter((t) => t !== undefined).length, 1, "one instance made it");
    const token = made.find((t) => t !== undefined)!;
    await until(
      () => a.tokens.verify(token) !== undefined && b.tokens.verify(token) !== undefined,
      "on both",
    );
    assert.equal(a.tokens.list().length, 1);
    assert.equal(await b.tokens.ensureInitialAdmin(), undefined, "a later start makes none");
  } finally {
    await close();
  }
});
