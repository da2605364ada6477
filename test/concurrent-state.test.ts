// Concurrent requests against a real server from outside, then the same questions after a restart on the same
// data: the indexes a restart rebuilds from a scan must answer what the live ones (kept from the change feed) did.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "./support/enforcer-process.js";

const mac = (i: number) => `52:54:00:cc:00:${i.toString(16).padStart(2, "0")}`;
const PROFILE = {
  name: "linux",
  family: "custom",
  kernel: "http://mirror/vmlinuz",
  cmdline: "console=ttyS0",
};

interface Machine {
  id: string;
  macs: string[];
  state: string;
}
interface Config {
  id: string;
  machine: string;
  lifecycle: { state: string };
}

async function as(e: EnforcerProcess, token: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${e.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json().catch(() => undefined)) as unknown };
}

/** What an operator sees: every machine with its MACs and state, every config's state, every command's. */
async function seen(e: EnforcerProcess) {
  const machines = (await e.api<{ items: Machine[] }>("GET", "/machines?limit=1000")).body.items;
  const configs = (await e.api<{ items: Config[] }>("GET", "/configs")).body.items;
  const commands = (await e.api<{ items: { id: string; state: string }[] }>("GET", "/commands")).body.items;
  return {
    machines: machines.map((m) => [m.id, [...m.macs].sort(), m.state]).sort(),
    configs: configs.map((c) => [c.id, c.machine, c.lifecycle.state]).sort(),
    commands: commands.map((c) => [c.id, c.state]).sort(),
  };
}

test("concurrent claims, forgets, arms and cancels over HTTP: one owner per MAC, one armed config, same after a restart", async () => {
  const e = await startEnforcer();
  try {
    assert.equal((await e.api("POST", "/profiles", PROFILE)).status, 201);
    // Three agents claim the same twenty MACs at once: each MAC ends up with exactly one machine.
    const tokens: string[] = [];
    for (const name of ["a1", "a2", "a3"])
      tokens.push((await e.api<{ token: string }>("POST", "/tokens", { name, role: "agent" })).body.token);
    const reports = await Promise.all(
      Array.from({ length: 20 }, (_, x) =>
        tokens.map((t, i) =>
          as(e, t, "POST", "/agent/report", { macs: [mac(10 + i), mac(100 + x)], inventory: {} }),
        ),
      ).flat(),
    );
    assert.ok(reports.every((r) => r.status === 200));
    // Forget, boot and a queued command for the same machines at once.
    for (let i = 0; i < 10; i++) await e.api("POST", "/machines", { mac: mac(50 + i) });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => [
        e.api("DELETE", `/machines/${mac(50 + i)}`),
        fetch(`${e.base}/boot/machine?mac=${mac(50 + i).replaceAll(":", "-")}`),
        e.api("POST", "/commands", { machine: mac(50 + i), type: "reboot" }),
      ]).flat(),
    );
    // Arm, cancel and arm again of the same drafts at once; ten drafts of one machine armed at once.
    const drafts: string[] = [];
    for (let i = 0; i < 10; i++)
      drafts.push(
        (await e.api<Config>("POST", "/configs", { machine: mac(70 + i), profile: "linux" })).body.id,
      );
    await Promise.all(
      drafts.flatMap((id) => [
        e.api("POST", `/configs/${id}/arm`),
        e.api("POST", `/configs/${id}/cancel`),
        e.api("POST", `/configs/${id}/arm`),
      ]),
    );
    const many = await Promise.all(
      Array.from({ length: 10 }, () =>
        e.api<Config>("POST", "/configs", { machine: mac(90), profile: "linux" }),
      ),
    );
    const armed = await Promise.all(many.map((c) => e.api("POST", `/configs/${c.body.id}/arm`)));
    assert.equal(armed.filter((r) => r.status === 200).length, 1, "one of ten drafts of a machine is armed");

    const before = await seen(e);
    const owners = new Map<string, number>();
    for (const [, macs] of before.machines)
      for (const m of macs as string[]) owners.set(m, (owners.get(m) ?? 0) + 1);
    assert.deepEqual(
      [...owners].filter(([, n]) => n > 1),
      [],
      "no MAC in two machines",
    );
    for (let x = 0; x < 20; x++) assert.equal(owners.get(mac(100 + x)), 1, "every claimed MAC has its owner");
    const holding = before.configs.filter(([, , s]) => s === "armed" || s === "triggered").map(([, m]) => m);
    assert.equal(new Set(holding).size, holding.length, "no machine held by two configs");
    for (const id of drafts)
      assert.equal(
        before.configs.find(([c]) => c === id)?.[2],
        "cancelled",
        "a cancel wins over an arm either way",
      );

    assert.equal(await e.stop(), 0);
    const again = await startEnforcer([], { data: e.data });
    try {
      assert.deepEqual(await seen(again), before, "what the API answers is the same after a restart");
    } finally {
      await again.stop();
    }
  } finally {
    await e.stop();
  }
});

test("over HTTP, a report raising a conflict shows all its events on the live stream, in order", async () => {
  const e = await startEnforcer();
  const ac = new AbortController();
  try {
    const ids: number[] = [];
    const stream = await fetch(`${e.base}/api/v1/events`, {
      headers: { authorization: `Bearer ${e.token}` },
      signal: ac.signal,
    });
    const reading = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of stream.body!)
        for (const m of dec.decode(chunk as Uint8Array).matchAll(/^id: (\d+)/gm)) ids.push(Number(m[1]));
    })().catch(() => undefined);
    const t1 = (await e.api<{ token: string }>("POST", "/tokens", { name: "x1", role: "agent" })).body.token;
    const t2 = (await e.api<{ token: string }>("POST", "/tokens", { name: "x2", role: "agent" })).body.token;
    const uuid = "4c4c4544-0000-1000-8000-000000000077";
    await as(e, t1, "POST", "/agent/report", { macs: [mac(1)], inventory: { uuid } });
    const r = await as(e, t2, "POST", "/agent/report", { macs: [mac(2)], inventory: { uuid } });
    assert.equal((r.body as { conflicts: string[] }).conflicts.length, 1);
    const want: number[] = [];
    for (const m of [mac(1), mac(2)]) {
      const h = await e.api<{ items: { seq: number }[] } | { seq: number }[]>("GET", `/machines/${m}/events`);
      want.push(...(Array.isArray(h.body) ? h.body : h.body.items).map((x) => x.seq));
    }
    want.sort((a, b) => a - b);
    for (let i = 0; i < 50 && ids.length < want.length; i++) await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(ids, want, "every stored event came live, in order");
    ac.abort();
    await reading;
  } finally {
    ac.abort();
    await e.stop();
  }
});
