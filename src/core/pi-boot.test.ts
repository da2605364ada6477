// Raspberry Pi boot directories in the core: the Pi is the machine its address's ARP entry names, its
// directory must agree, config.txt triggers the armed config exactly once, the rest of that boot follows,
// and a later boot falls through.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { parseMac, type Mac } from "../domain/mac.js";
import { PI_SERIAL_LABEL } from "../domain/pi-boot.js";
import type { PiRead, PiReadRequest } from "./pi-boot.js";
import { testCore } from "./testing/fixtures.js";

const PI = parseMac("dc:a6:32:01:36:c2");
const OTHER = parseMac("dc:a6:32:0a:0b:0c");
const SERIAL = "9ffefdef";
const IP = "10.9.0.50";
/** What a Pi 4 bootloader sends in option 97: RPi4, board revision, MAC low bytes, serial. */
const GUID = Buffer.concat([
  Buffer.from([0]),
  Buffer.from("RPi4"),
  Buffer.alloc(8),
  Buffer.from(SERIAL, "hex"),
]);

async function piCore(kernel = "kernel8.img") {
  const t = testCore();
  await t.core.profiles.create({
    name: "pi",
    family: "custom",
    kernel,
    initrds: ["initramfs8"],
    cmdline: "root=/dev/nfs done={{complete_url}}",
    console: "serial0,115200",
  });
  const c = await t.core.configs.create({ machine: PI, profile: "pi" });
  await t.core.configs.arm(c.id);
  t.core.piBoot.learn(PI, GUID);
  const read = (file: string, over: Partial<PiReadRequest> = {}) =>
    t.core.piBoot.read({ dir: { kind: "serial", serial: SERIAL }, file, ip: IP, mac: PI, ...over });
  const triggers = () => t.core.events.forMachine(PI).filter((e) => e.kind === "config.triggered").length;
  return { ...t, id: c.id, read, triggers };
}

function text(r: PiRead): string {
  assert.ok("serve" in r && r.serve === "rendered", JSON.stringify(r));
  return r.text;
}

test("an armed Pi's boot: firmware, then config.txt triggers once, then cmdline, kernel and initrd", async () => {
  const { core, id, read, triggers } = await piCore();
  assert.deepEqual(await read("start4.elf"), { serve: "firmware", name: "start4.elf" });
  assert.equal(
    ((await read("cmdline.txt")) as { refuse: string }).refuse,
    "not-found",
    "nothing rendered before config.txt",
  );
  assert.match(text(await read("config.txt")), /^kernel=kernel8\.img$/m);
  assert.equal(core.configs.get(id).lifecycle.state, "triggered");
  // The firmware reads config.txt again in the same boot: same file, no second trigger or retry.
  assert.match(text(await read("config.txt")), /initramfs initramfs8 followkernel/);
  assert.deepEqual(await read("fixup4.dat"), { serve: "firmware", name: "fixup4.dat" });
  assert.match(
    text(await read("cmdline.txt")),
    /^root=\/dev\/nfs done=http:\/\/enf\.test:8080\/p\/.+\/complete console=tty0 console=serial0,115200\n$/,
  );
  assert.deepEqual(await read("kernel8.img"), { serve: "asset", path: "kernel8.img", config: id });
  assert.deepEqual(await read("initramfs8"), { serve: "asset", path: "initramfs8", config: id });
  assert.equal(triggers(), 1);
  const lifecycle = core.configs.get(id).lifecycle;
  assert.equal(lifecycle.state === "triggered" && lifecycle.fetches, 1);
});

test("after completion the next boot finds no directory: the bootloader clears the prefix and falls through", async () => {
  const { core, id, read } = await piCore();
  text(await read("config.txt"));
  await core.configs.complete(core.configs.get(id).secret);
  for (const f of ["start4.elf", "config.txt", "cmdline.txt", "kernel8.img"])
    assert.equal(((await read(f)) as { refuse: string }).refuse, "not-found", f);
});

test("after the retry window the config expires and the Pi falls through", async () => {
  const { clock, read } = await piCore();
  text(await read("config.txt"));
  clock.advance(61_000);
  assert.equal(((await read("kernel8.img")) as { refuse: string }).refuse, "not-found");
  assert.equal(((await read("config.txt")) as { refuse: string }).refuse, "not-found");
});

test("of concurrent first reads of config.txt exactly one triggers", async () => {
  const { read, triggers } = await piCore();
  const all = await Promise.all(Array.from({ length: 8 }, () => read("config.txt")));
  assert.ok(all.every((r) => "serve" in r));
  assert.equal(triggers(), 1);
});

test("another machine cannot read this Pi's directory, by serial or by MAC, and no ARP entry gets nothing", async () => {
  const { core, read } = await piCore();
  await core.machines.register(OTHER, {});
  for (const r of [
    await read("config.txt", { mac: OTHER }),
    await read("start4.elf", { mac: OTHER }),
    await read("config.txt", { mac: OTHER, dir: { kind: "mac", mac: PI } }),
    await read("config.txt", { mac: undefined }),
  ])
    assert.equal((r as { refuse: string }).refuse, "denied", JSON.stringify(r));
  // The Pi itself under another serial: not its directory.
  assert.equal(
    ((await read("config.txt", { dir: { kind: "serial", serial: "01234567" } })) as { refuse: string })
      .refuse,
    "denied",
  );
  // An unknown MAC is no machine: not found (it falls through), nothing recorded.
  const stranger = parseMac("dc:a6:32:ff:ff:ff") as Mac;
  assert.equal(((await read("start4.elf", { mac: stranger })) as { refuse: string }).refuse, "not-found");
  assert.equal(core.machines.find(stranger), undefined);
});

test("the rest of a boot goes only to the address that triggered it; the MAC directory works too", async () => {
  const { read } = await piCore();
  text(await read("config.txt", { dir: { kind: "mac", mac: PI } }));
  assert.equal(((await read("kernel8.img", { ip: "10.9.0.99" })) as { refuse: string }).refuse, "not-found");
  assert.equal(((await read("kernel8.img")) as { serve: string }).serve, "asset");
});

test("the serial from the enforcer.dev/pi-serial label, when no DHCP exchange named it", async () => {
  const t = testCore();
  await t.core.machines.register(OTHER, { labels: { [PI_SERIAL_LABEL]: "0A0B0C0D" } });
  const req = {
    dir: { kind: "serial", serial: "0a0b0c0d" },
    file: "start4.elf",
    ip: IP,
    mac: OTHER,
  } as const;
  // Known, serial agrees, no config: falls through.
  assert.equal(((await t.core.piBoot.read(req)) as { refuse: string }).refuse, "not-found");
  const unknownSerial = { ...req, dir: { kind: "serial", serial: "11111111" } } as const;
  assert.equal(((await t.core.piBoot.read(unknownSerial)) as { refuse: string }).refuse, "denied");
});

test("a Pi config with an http kernel is refused before it is used up (ENF_ERR_PI_BOOT_FILE)", async () => {
  const { core, id, read } = await piCore("http://mirror/vmlinuz");
  for (const f of ["start4.elf", "config.txt"])
    await assert.rejects(
      read(f),
      (e) => isEnforcerError(e, "ENF_ERR_PI_BOOT_FILE") && /asset cache/.test(e.message),
    );
  assert.equal(core.configs.get(id).lifecycle.state, "armed");
});

test("a machine labelled as a Pi cannot be armed with an http kernel: refused at arm time", async () => {
  const t = testCore();
  await t.core.profiles.create({ name: "pi-http", family: "custom", kernel: "http://mirror/vmlinuz" });
  await t.core.machines.register(OTHER, { labels: { [PI_SERIAL_LABEL]: "0a0b0c0d" } });
  const c = await t.core.configs.create({ machine: OTHER, profile: "pi-http" });
  await assert.rejects(t.core.configs.arm(c.id), (e) => isEnforcerError(e, "ENF_ERR_PI_BOOT_FILE"));
  assert.equal(t.core.configs.get(c.id).lifecycle.state, "draft");
});

/** Option 97 as a Pi 4 sends it, for any serial. */
function guidOf(serial: string): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from("RPi4"), Buffer.alloc(8), Buffer.from(serial, "hex")]);
}

test("a forged DHCP request naming the Pi's MAC with another serial does not take the Pi's directory away", async () => {
  const t = await piCore();
  // Anyone on the link can send a DISCOVER with the Pi's MAC in chaddr and a serial of its choosing.
  t.core.piBoot.learn(PI, guidOf("deadbeef"));
  assert.match(text(await t.read("config.txt")), /^kernel=kernel8\.img$/m, "the Pi's own serial still opens");
  assert.equal(t.triggers(), 1);
});

test("a flood of invented MACs with serials does not evict a known Pi's learned serial", async () => {
  const t = await piCore();
  for (let i = 0; i < 5000; i++) {
    const mac = parseMac(
      `02:00:00:${((i >> 16) & 0xff).toString(16).padStart(2, "0")}:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`,
    );
    t.core.piBoot.learn(mac, guidOf(i.toString(16).padStart(8, "0")));
  }
  assert.match(
    text(await t.read("config.txt")),
    /^kernel=kernel8\.img$/m,
    "the Pi's serial survives the flood",
  );
});
