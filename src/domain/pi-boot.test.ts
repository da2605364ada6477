// Raspberry Pi boot names and files: which TFTP names are a Pi's directory, its serial from option 97, and
// the config.txt and cmdline.txt an armed config renders to.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "./errors.js";
import { parsePiRequest, piBootFiles, piSerialsFromGuid } from "./pi-boot.js";
import type { BootSpec } from "./boot-spec.js";

test("a serial or MAC directory is a Pi's; anything else is the ordinary boot files'", () => {
  assert.deepEqual(parsePiRequest("9ffefdef/start4.elf"), {
    dir: { kind: "serial", serial: "9ffefdef" },
    file: "start4.elf",
  });
  assert.deepEqual(parsePiRequest("DC-A6-32-01-36-C2/overlays/vc4-kms-v3d-pi4.dtbo"), {
    dir: { kind: "mac", mac: "dc:a6:32:01:36:c2" },
    file: "overlays/vc4-kms-v3d-pi4.dtbo",
  });
  for (const other of ["start4.elf", "undionly.kpxe", "discovery/vmlinuz", "9ffefde/x", "9ffefdeg/x", "/x"])
    assert.equal(parsePiRequest(other), undefined, other);
  for (const hostile of [
    "9ffefdef/",
    "9ffefdef/.hidden",
    "9ffefdef/a//b",
    "9ffefdef/a/b/c/d/e",
    `9ffefdef/${"a".repeat(200)}`,
  ])
    assert.ok(parsePiRequest(hostile) && "refused" in parsePiRequest(hostile)!, hostile);
});

test("the serial from option 97: the RPi4 layout (both byte orders) and the old serial-four-times one", () => {
  const serial = Buffer.from("efcdab89", "hex");
  const rpi4 = Buffer.concat([
    Buffer.from([0]),
    Buffer.from("RPi4"),
    Buffer.from("1131c000", "hex"),
    Buffer.from("320136c2", "hex"),
    serial,
  ]);
  assert.deepEqual(piSerialsFromGuid(rpi4).sort(), ["89abcdef", "efcdab89"]);
  assert.deepEqual(piSerialsFromGuid(rpi4.subarray(1)).sort(), ["89abcdef", "efcdab89"]);
  const old = Buffer.concat([Buffer.from([0]), ...Array(4).fill(Buffer.from("12345678", "hex"))]);
  assert.deepEqual(piSerialsFromGuid(old).sort(), ["12345678", "78563412"]);
  assert.deepEqual(piSerialsFromGuid(Buffer.alloc(17, 7).fill(0, 0, 1).fill(9, 5, 6)), []);
  assert.deepEqual(piSerialsFromGuid(Buffer.alloc(3)), []);
  assert.deepEqual(piSerialsFromGuid(undefined), []);
});

const spec = (over: Partial<Extract<BootSpec, { kind: "linux" }>> = {}): BootSpec => ({
  kind: "linux",
  kernel: "pi/kernel8.img",
  initrds: [{ url: "initramfs8", name: "initramfs8" }],
  args: ["console=serial0,115200", "root=/dev/nfs", "enforcer.done=http://h/p/s/complete"],
  ...over,
});

test("an armed config renders config.txt lines, cmdline.txt and the kernel and initrd by their names", () => {
  const f = piBootFiles(spec(), "c1");
  assert.equal(
    f.configTail,
    "# Enforcer: config c1, rendered for one boot of this Pi\n[all]\nkernel=kernel8.img\n" +
      "initramfs initramfs8 followkernel\ncmdline=cmdline.txt\n",
  );
  assert.equal(f.cmdline, "console=serial0,115200 root=/dev/nfs enforcer.done=http://h/p/s/complete\n");
  assert.deepEqual(
    [...f.assets],
    [
      ["kernel8.img", "pi/kernel8.img"],
      ["initramfs8", "initramfs8"],
    ],
  );
  assert.doesNotMatch(piBootFiles(spec({ initrds: [] }), "c2").configTail, /initramfs/);
});

test("what a Pi cannot load over TFTP is refused with ENF_ERR_PI_BOOT_FILE", () => {
  for (const [why, s] of [
    ["an http kernel", spec({ kernel: "http://mirror/vmlinuz" })],
    ["an https initrd", spec({ initrds: [{ url: "https://m/i", name: "i" }] })],
    [
      "two initrds",
      spec({
        initrds: [
          { url: "a", name: "a" },
          { url: "b", name: "b" },
        ],
      }),
    ],
    ["a kernel called config.txt", spec({ kernel: "x/config.txt" })],
    ["a kernel path with ..", spec({ kernel: "../etc/shadow" })],
    ["an iPXE script", { kind: "ipxe", lines: ["exit"] } as BootSpec],
  ] as const)
    assert.throws(
      () => piBootFiles(s, "c"),
      (e) => isEnforcerError(e, "ENF_ERR_PI_BOOT_FILE"),
      why,
    );
});
