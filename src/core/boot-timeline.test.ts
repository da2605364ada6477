// The timeline service: attribution by address, what is persisted (known machines, once, no repeats), config
// events joining the attempt, and the caps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const MAC = "52:54:00:aa:00:01";
const IP = "192.0.2.10";

const pxeOffer = {
  kind: "dhcp",
  client: "uefi-pxe",
  port: "dhcp",
  offered: "ipxe.efi",
  reply: "offer",
} as const;
const loader = {
  kind: "tftp",
  file: "ipxe.efi",
  bytes: 1000,
  size: 1000,
  durationMs: 9,
  resent: 0,
  lastBlock: 1,
  outcome: "complete",
} as const;
const bootScript = {
  kind: "http",
  what: "boot-script",
  path: "/boot.ipxe",
  status: 200,
  durationMs: 1,
} as const;
const fellThrough = {
  kind: "http",
  what: "machine-script",
  path: "/boot/machine",
  status: 404,
  durationMs: 1,
  decision: "none",
  reason: "no-config",
} as const;
const settle = () => new Promise((r) => setImmediate(r));
const recorded = (core: ReturnType<typeof testCore>["core"], id: string) =>
  core.events.forMachine(id).filter((e) => e.kind === "boot.attempt");

test("DHCP names the MAC of an address: TFTP and boot.ipxe from it join that MAC's attempt", () => {
  const { core } = testCore();
  core.timeline.dhcp({ ...pxeOffer, mac: MAC, ip: "0.0.0.0" });
  // The firmware's REQUEST to the site's server carries its address (option 50): no step, only the mapping.
  core.timeline.dhcp({
    kind: "dhcp",
    client: "uefi-pxe",
    port: "dhcp",
    skip: "not-for-proxy",
    mac: MAC,
    ip: IP,
  });
  core.timeline.tftp({ ...loader, ip: IP });
  core.timeline.http({ ...bootScript, ip: IP });
  const [a] = core.timeline.attempts([MAC]);
  assert.deepEqual(
    a!.steps.map((s) => s.kind),
    ["dhcp", "tftp", "http"],
  );
});

test("steps from an address no one named wait, and join the MAC the machine script names", () => {
  const { core } = testCore();
  core.timeline.tftp({ ...loader, ip: IP });
  core.timeline.http({ ...bootScript, ip: IP });
  assert.equal(core.timeline.stats().orphanAddresses, 1);
  core.timeline.http({ ...fellThrough, ip: IP, mac: MAC });
  const [a] = core.timeline.attempts([MAC]);
  assert.equal(a!.steps.length, 3);
  assert.equal(a!.outcome, "fell-through");
  assert.equal(core.timeline.stats().orphanAddresses, 0);
});

test("a known machine's finished attempt is persisted once; a repeated fall-through writes nothing", async () => {
  const { core, clock } = testCore();
  await core.machines.register(parseMac(MAC), {});
  const boot = () => {
    core.timeline.tftp({ ...loader, ip: IP });
    core.timeline.http({ ...bootScript, ip: IP });
    core.timeline.http({ ...fellThrough, ip: IP, mac: MAC });
  };
  boot();
  await settle();
  await core.timeline.settle();
  assert.equal(recorded(core, MAC).length, 1);
  const e = recorded(core, MAC)[0]!;
  assert.equal(e.detail?.outcome, "fell-through");
  assert.equal(e.detail?.hint, "fell-through");
  assert.ok(JSON.stringify(e).length < 600, `${JSON.stringify(e).length} bytes`);
  clock.advance(3600_000);
  boot();
  await settle();
  await core.timeline.settle();
  assert.equal(core.timeline.attempts([MAC]).length, 2);
  assert.equal(recorded(core, MAC).length, 1, "the same fall-through is not written again");
  assert.equal(core.timeline.stats().repeatsNotPersisted, 1);
});

test("an unknown MAC's attempts are never persisted", async () => {
  const { core } = testCore();
  core.timeline.http({ ...fellThrough, ip: IP, mac: "02:00:00:00:00:01" });
  await settle();
  assert.equal(core.timeline.stats().persisted, 0);
  assert.equal(core.events.count(), 0);
});

test("a quiet attempt is persisted by settle, with its stop and hint (proxy offer ignored)", async () => {
  const { core, clock } = testCore();
  await core.machines.register(parseMac(MAC), {});
  core.timeline.dhcp({ ...pxeOffer, mac: MAC });
  await core.timeline.settle();
  assert.equal(recorded(core, MAC).length, 0, "not while the firmware may still fetch");
  clock.advance(60_000);
  await core.timeline.settle();
  const [e] = recorded(core, MAC);
  assert.equal(e?.detail?.hint, "proxy-offer-ignored");
  assert.equal(e?.detail?.outcome, "stopped");
});

test("caps: invented MACs past the cap forget the least recently active", () => {
  const { core } = testCore();
  for (let i = 0; i < 600; i++) {
    const mac = `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    core.timeline.http({ ...fellThrough, ip: `10.0.${i >> 8}.${i & 255}`, mac });
  }
  assert.equal(core.timeline.stats().machines, 512);
  assert.equal(core.timeline.stats().droppedMachines, 88);
});

test("a known machine's summaries are written at most once a minute; the newest waiting one follows", async () => {
  const { core, clock } = testCore();
  await core.machines.register(parseMac(MAC), {});
  // Anyone can name a known MAC: attempts that each stop at a different missing file.
  for (let i = 0; i < 20; i++) {
    core.timeline.http({ ...fellThrough, ip: IP, mac: MAC });
    core.timeline.tftp({
      ...loader,
      ip: IP,
      file: `missing-${i}.efi`,
      outcome: "refused",
      error: "File not found",
    });
    clock.advance(1000);
  }
  await settle();
  await core.timeline.settle();
  assert.equal(recorded(core, MAC).length, 1, "one write in the first minute");
  clock.advance(60_000);
  await core.timeline.settle();
  const rec = recorded(core, MAC);
  assert.equal(rec.length, 2, "the newest waiting attempt once the minute passed");
  assert.match(String(rec[1]!.detail?.path), /missing-19\.efi/);
  assert.ok(core.timeline.stats().waitingLost > 0);
});

test("the step budget holds whatever the MACs: long attempts evict the least recently active MACs", () => {
  const { core } = testCore();
  for (let m = 0; m < 300; m++) {
    const mac = `02:00:00:01:${(m >> 8).toString(16).padStart(2, "0")}:${(m & 255).toString(16).padStart(2, "0")}`;
    core.timeline.http({ ...fellThrough, ip: IP, mac });
    for (let s = 0; s < 60; s++)
      core.timeline.http({
        kind: "http",
        what: "provisioning-file",
        path: `/p/…/${s}${"x".repeat(200)}`,
        status: 404,
        durationMs: 1,
        ip: IP,
        mac,
      });
  }
  const s = core.timeline.stats();
  assert.ok(s.steps <= 8000, `${s.steps} steps`);
  assert.ok(s.machines < 300 && s.droppedMachines === 300 - s.machines);
  // Names are cut: a path from the network keeps at most 96 characters.
  const [a] = core.timeline.attempts(["02:00:00:01:01:2b"]);
  assert.ok(a!.steps.every((st) => st.kind !== "http" || st.path.length <= 96));
});

test("names from the network lose C1 control characters too (U+009B is a terminal's CSI, like ESC [)", () => {
  const { core } = testCore();
  // A TFTP name and option 60 are read as latin1: the bytes 0x80-0x9f arrive as U+0080-U+009F.
  core.timeline.dhcp({ ...pxeOffer, vendorClass: "PXEClient\u009b2J\u0085", mac: MAC, ip: IP });
  core.timeline.tftp({
    ...loader,
    file: "ipxe\u009b31m.efi",
    outcome: "refused",
    error: "no \u009b0m",
    ip: IP,
  });
  const steps = core.timeline.attempts([MAC])[0]!.steps;
  for (const s of steps) assert.doesNotMatch(JSON.stringify(s), /[\u0080-\u009f]/, JSON.stringify(s));
  assert.equal((steps[1] as { file: string }).file, "ipxe?31m.efi");
});

test("with --listen :: (dual-stack) TFTP and HTTP name an IPv4 client ::ffff:a.b.c.d: DHCP's a.b.c.d is the same client", () => {
  const { core } = testCore();
  core.timeline.dhcp({ ...pxeOffer, mac: MAC, ip: IP });
  core.timeline.tftp({ ...loader, ip: `::ffff:${IP}` });
  core.timeline.http({ ...bootScript, ip: `::ffff:${IP}` });
  const [a] = core.timeline.attempts([MAC]);
  assert.deepEqual(
    a!.steps.map((s) => s.kind),
    ["dhcp", "tftp", "http"],
  );
  assert.equal(core.timeline.stats().orphanAddresses, 0);
});

test("what a client names (TFTP file, vendor class) reaches the timeline without terminal or bidi controls", () => {
  const { core } = testCore();
  // Bytes as the codecs decode them (latin1): 0x9b is the 8-bit CSI that xterm obeys; U+202E flips the text.
  core.timeline.dhcp({ ...pxeOffer, mac: MAC, ip: IP, vendorClass: "PXEClient\u009b2J\u202e" });
  core.timeline.tftp({ ...loader, ip: IP, file: "\u009b31mEVIL\u009b0m\u2066.efi", outcome: "refused" });
  const [a] = core.timeline.attempts([MAC]);
  const text = JSON.stringify(a);
  assert.ok(
    !/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/.test(text),
    `controls reached the timeline: ${text}`,
  );
  assert.ok(text.includes("?31mEVIL?0m?.efi"), "the name stays recognisable, controls shown as ?");
});

test("a completion commits its attempt's summary with it (one commit, one fdatasync) and it is written once", async () => {
  const { core, store } = testCore();
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  await core.machines.register(parseMac(MAC), {});
  const c = await core.configs.create({ machine: parseMac(MAC), profile: "linux" });
  await core.configs.arm(c.id);
  core.timeline.http({ ...bootScript, ip: IP });
  assert.equal((await core.boot.machineScript({ mac: parseMac(MAC) })).kind, "config");
  core.timeline.http({
    ...fellThrough,
    status: 200,
    decision: "config",
    reason: undefined,
    ip: IP,
    mac: MAC,
  });
  await settle();
  const commits: string[][] = [];
  store.onApplied((ops) =>
    commits.push(
      ops.map((o) => (o.op === "put" ? String((o.value as { kind?: string }).kind ?? o.collection) : "del")),
    ),
  );
  await core.configs.complete(core.configs.get(c.id).secret);
  await settle();
  await core.timeline.settle();
  assert.deepEqual(commits, [["configs", "config.completed", "boot.attempt"]]);
  const [e] = recorded(core, MAC);
  assert.equal(recorded(core, MAC).length, 1);
  assert.equal(e?.detail?.outcome, "provisioned");
  assert.match(String(e?.detail?.path), /> config\.completed$/);
});

test("the summaries of one turn of the event loop go in one commit (a storm's first requests), each written once", async () => {
  const { core, store, clock } = testCore();
  const macs = Array.from({ length: 20 }, (_, i) => `52:54:00:bb:00:${i.toString(16).padStart(2, "0")}`);
  for (const mac of macs) await core.machines.register(parseMac(mac), {});
  const commits: number[] = [];
  store.onApplied((ops) => commits.push(ops.length));
  for (const mac of macs) core.timeline.http({ ...fellThrough, ip: IP, mac });
  await core.timeline.settle();
  assert.deepEqual(commits, [20], "one commit of 20 boot.attempt events");
  for (const mac of macs) assert.equal(recorded(core, mac).length, 1);
  // The same fall-through of each, an hour later (a new attempt): nothing more is written.
  clock.advance(3600_000);
  for (const mac of macs) core.timeline.http({ ...fellThrough, ip: IP, mac });
  await settle();
  await core.timeline.settle();
  assert.deepEqual(commits, [20]);
  assert.equal(core.timeline.stats().repeatsNotPersisted, 20);
});
