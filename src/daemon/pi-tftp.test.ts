// The TFTP glue for Pi boot directories over a stand-in service (named so: the real one is in
// core/pi-boot.test.ts and the namespace test): what each answer becomes on the wire, and that no name a
// client can send makes it throw.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { pino } from "pino";
import type { PiRead, PiReadRequest } from "../core/pi-boot.js";
import { EnforcerError } from "../domain/errors.js";
import { parseMac } from "../domain/mac.js";
import { BootFiles, type BootFile } from "../files/boot-files.js";
import { testCore } from "../core/testing/fixtures.js";
import { neighbourMacs } from "./neighbours.js";
import { openPiFirmware, piFiles } from "./pi-tftp.js";

const dir = mkdtempSync(join(tmpdir(), "enforcer-pi-tftp-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const firmwareDir = join(dir, "firmware");
const rootDir = join(dir, "root");
mkdirSync(join(firmwareDir, "overlays"), { recursive: true });
mkdirSync(rootDir);
writeFileSync(join(firmwareDir, "start4.elf"), "FIRMWARE");
writeFileSync(join(firmwareDir, "config.txt"), "dtparam=audio=on"); // no final newline
writeFileSync(join(rootDir, "initramfs8"), "INITRD");
const log = pino({ level: "silent" });
const PI = parseMac("dc:a6:32:01:36:c2");

function glue(answer: (req: PiReadRequest) => PiRead | Promise<PiRead>) {
  const asked: PiReadRequest[] = [];
  const open = piFiles({
    piBoot: {
      read: async (req) => {
        asked.push(req);
        return answer(req);
      },
    },
    firmware: openPiFirmware(firmwareDir, log),
    files: new BootFiles({ generated: () => undefined, root: rootDir }),
    neighbour: async (ip) => (ip === "10.0.0.5" ? PI : undefined),
    log,
  });
  return { open: (name: string, ip = "10.0.0.5") => open(Buffer.from(name, "latin1"), ip), asked };
}

async function bytes(f: Awaited<ReturnType<ReturnType<typeof glue>["open"]>>): Promise<string> {
  assert.ok(f?.ok, JSON.stringify(f));
  const file = f as Extract<BootFile, { ok: true }>;
  return Buffer.from(await file.read(0, file.size)).toString();
}

test("names outside a Pi directory are not the glue's; the service gets the parsed name and the ARP MAC", async () => {
  const g = glue(() => ({ serve: "firmware", name: "start4.elf" }));
  for (const other of ["start4.elf", "undionly.kpxe", "boot.ipxe", "zzzzzzzz/start4.elf"])
    assert.equal(await g.open(other), undefined, other);
  assert.equal(await bytes(await g.open("9FFEFDEF/start4.elf")), "FIRMWARE");
  assert.deepEqual(g.asked[0], {
    dir: { kind: "serial", serial: "9ffefdef" },
    file: "start4.elf",
    ip: "10.0.0.5",
    mac: PI,
  });
  await g.open("9ffefdef/start4.elf", "10.0.0.6");
  assert.equal(g.asked[1]?.mac, undefined, "no ARP entry: the service decides (it denies)");
});

test("config.txt is the firmware directory's own, then the rendered lines; assets from firmware, then the TFTP root", async () => {
  const g = glue((req) =>
    req.file === "config.txt"
      ? { serve: "rendered", file: "config.txt", text: "[all]\nkernel=k\n", config: "c" }
      : { serve: "asset", path: req.file, config: "c" },
  );
  assert.equal(await bytes(await g.open("9ffefdef/config.txt")), "dtparam=audio=on\n[all]\nkernel=k\n");
  assert.equal(await bytes(await g.open("9ffefdef/initramfs8")), "INITRD");
  assert.equal(await bytes(await g.open("9ffefdef/start4.elf")), "FIRMWARE");
  const missing = await g.open("9ffefdef/kernel8.img");
  assert.ok(missing && !missing.ok && missing.code === 1);
});

test("refusals become TFTP errors: denied 2, not found 1, a coded error 0 with its code", async () => {
  const denied = await glue(() => ({ refuse: "denied", message: "not yours" })).open("9ffefdef/config.txt");
  assert.deepEqual(denied, { ok: false, code: 2, message: "access violation: not yours" });
  const none = await glue(() => ({ refuse: "not-found", message: "no config" })).open("9ffefdef/start4.elf");
  assert.deepEqual(none, { ok: false, code: 1, message: "file not found: 9ffefdef/start4.elf" });
  const coded = await glue(() => {
    throw new EnforcerError("ENF_ERR_PI_BOOT_FILE", "config c: the kernel is a URL");
  }).open("9ffefdef/start4.elf");
  assert.ok(coded && !coded.ok && coded.code === 0 && /ENF_ERR_PI_BOOT_FILE/.test(coded.message));
  const deep = await glue(() => ({ serve: "firmware", name: "x" })).open("9ffefdef/a/b/c/d/e");
  assert.ok(deep && !deep.ok && deep.code === 2);
});

test("any name a client sends is answered or refused, never thrown (fast-check)", async () => {
  const g = glue((req) => ({ serve: "firmware", name: req.file }));
  const names = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
    fc.string({ maxLength: 300 }).map((s) => `9ffefdef/${s}`),
    fc.constantFrom(
      "9ffefdef/../../etc/passwd",
      "dc-a6-32-01-36-c2/overlays/../config.txt",
      "9ffefdef/\u0000x",
    ),
  );
  await fc.assert(
    fc.asyncProperty(names, async (name) => {
      const f = await g.open(name);
      if (f?.ok) f.close();
    }),
    { numRuns: 300 },
  );
});

test("the ARP table: complete entries only, and entries that disagree give no MAC", async () => {
  const table = join(dir, "arp");
  writeFileSync(
    table,
    "IP address       HW type     Flags       HW address            Mask     Device\n" +
      "10.0.0.5         0x1         0x2         dc:a6:32:01:36:c2     *        eth0\n" +
      "10.0.0.6         0x1         0x0         00:00:00:00:00:00     *        eth0\n" +
      "10.0.0.7         0x1         0x2         dc:a6:32:00:00:01     *        eth0\n" +
      "10.0.0.7         0x1         0x2         dc:a6:32:00:00:02     *        eth1\n",
  );
  const mac = neighbourMacs(table);
  assert.equal(await mac("10.0.0.5"), PI);
  assert.equal(await mac("10.0.0.6"), undefined);
  assert.equal(await mac("10.0.0.7"), undefined);
  assert.equal(await mac("10.0.0.8"), undefined);
  assert.equal(await neighbourMacs(join(dir, "no-such-table"))("10.0.0.5"), undefined);
});

test("a Pi's TFTP reads join its boot timeline by the ARP table's MAC, with no DHCP seen (--dhcp off)", async () => {
  const { core } = testCore();
  const open = piFiles({
    piBoot: { read: async () => ({ refuse: "not-found", message: "nothing armed" }) },
    firmware: undefined,
    files: new BootFiles({ generated: () => undefined, root: rootDir }),
    neighbour: async () => PI,
    seen: (ip, mac) => core.timeline.neighbour(ip, mac),
    log,
  });
  await open(Buffer.from("9ffefdef/start4.elf", "latin1"), "10.0.0.5");
  // The TFTP server reports the transfer once it ended, by the client's address only.
  core.timeline.tftp({
    kind: "tftp",
    ip: "10.0.0.5",
    file: "9ffefdef/start4.elf",
    bytes: 0,
    durationMs: 1,
    resent: 0,
    lastBlock: 0,
    outcome: "refused",
    error: "file not found",
  });
  const steps = core.timeline.attempts([PI]).flatMap((a) => a.steps);
  assert.deepEqual(
    steps.map((s) => s.kind === "tftp" && s.file),
    ["9ffefdef/start4.elf"],
  );
  assert.equal(core.timeline.stats().orphanAddresses, 0);
});
