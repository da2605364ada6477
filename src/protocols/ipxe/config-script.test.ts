import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import { renderBootScript } from "./config-script.js";

const spec = {
  kind: "linux" as const,
  kernel: "http://m/vmlinuz",
  args: ["console=ttyS0", "auto=true"],
  initrds: [
    { url: "http://m/a/initrd.gz", name: "initrd.gz" },
    { url: "http://m/b/initrd.gz", name: "initrd.gz" },
  ],
};

test("pcbios: kernel, named initrds, boot", () => {
  assert.equal(
    renderBootScript(spec, { platform: "pcbios", label: "cfg-1" }),
    [
      "#!ipxe",
      "echo Enforcer: booting config cfg-1",
      "kernel http://m/vmlinuz console=ttyS0 auto=true",
      "initrd --name initrd.gz http://m/a/initrd.gz",
      "initrd --name 1-initrd.gz http://m/b/initrd.gz",
      "boot",
      "",
    ].join("\n"),
  );
});

test("efi: every initrd is named on the kernel command line, as Debian's 2019 iPXE needs", () => {
  const s = renderBootScript(spec, { platform: "efi", label: "cfg-1" });
  assert.match(
    s,
    /^kernel http:\/\/m\/vmlinuz initrd=initrd\.gz initrd=1-initrd\.gz console=ttyS0 auto=true$/m,
  );
});

test("raw iPXE bodies keep their lines under our header", () => {
  const s = renderBootScript({ kind: "ipxe", lines: ["chain http://x/memtest", "exit"] }, { label: "c" });
  assert.equal(s, "#!ipxe\necho Enforcer: booting config c\nchain http://x/memtest\nexit\n");
});

test("hostile values never reach the script: each is refused with ENF_ERR_IPXE_UNSAFE_VALUE", () => {
  const hostile = [
    "a\nshell",
    "x || reboot",
    "${platform}",
    "a&&b",
    "'q'",
    "\0",
    "é",
    "#comment",
    ";",
    "x".repeat(3000),
  ];
  for (const v of hostile) {
    const cases = [
      { ...spec, kernel: v },
      { ...spec, args: [v] },
      { ...spec, initrds: [{ url: v, name: "i" }] },
    ];
    for (const c of cases) {
      assert.throws(
        () => renderBootScript(c, { label: "c" }),
        (e) => isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE"),
      );
    }
    assert.throws(
      () => renderBootScript(spec, { label: v }),
      (e) => isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE"),
    );
  }
});

test("a kernel command line over the x86 limit of 2048 bytes is refused", () => {
  const args = Array.from({ length: 30 }, (_, i) => `arg${i}=${"v".repeat(80)}`);
  assert.throws(
    () => renderBootScript({ ...spec, args }, { label: "c" }),
    (e) => isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE"),
  );
});
