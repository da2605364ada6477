import assert from "node:assert/strict";
import { test } from "node:test";
import type { BootConfig } from "../domain/boot-config.js";
import { armingUrl, rebaseFile, rebaseSpec } from "./spec-rebase.js";

const SECRET = "s3cr3t-abc";
const linux = (
  kernel: string,
  args: string[],
  initrds: string[] = [],
): Pick<BootConfig, "spec" | "secret"> => ({
  secret: SECRET,
  spec: {
    kind: "linux",
    kernel,
    args,
    initrds: initrds.map((url) => ({ url, name: url.split("/").pop()! })),
  },
});

test("a config armed through A names A's URL; served through B it names B's, everywhere A's appeared", () => {
  const c = linux(
    "http://a.test:8080/assets/0123456789abcdef/vmlinuz",
    ["console=ttyS0", `url=http://a.test:8080/p/${SECRET}/preseed.cfg`, "mirror=http://deb.example/debian"],
    ["http://a.test:8080/assets/fedcba9876543210/initrd.gz"],
  );
  assert.equal(armingUrl(c), "http://a.test:8080");
  assert.deepEqual(rebaseSpec(c, "http://b.test:8080"), {
    kind: "linux",
    kernel: "http://b.test:8080/assets/0123456789abcdef/vmlinuz",
    args: [
      "console=ttyS0",
      `url=http://b.test:8080/p/${SECRET}/preseed.cfg`,
      "mirror=http://deb.example/debian",
    ],
    initrds: [{ url: "http://b.test:8080/assets/fedcba9876543210/initrd.gz", name: "initrd.gz" }],
  });
  assert.equal(
    rebaseFile(c, `late_command wget http://a.test:8080/p/${SECRET}/complete\n`, "http://b.test:8080"),
    `late_command wget http://b.test:8080/p/${SECRET}/complete\n`,
  );
});

test("served by the instance that armed it (or behind one shared URL) the spec is the same object", () => {
  const c = linux("http://a.test:8080/assets/0123456789abcdef/vmlinuz", []);
  assert.equal(rebaseSpec(c, "http://a.test:8080"), c.spec);
  assert.equal(rebaseFile(c, "text", "http://a.test:8080"), "text");
});

test("upstream URLs only (no cache), a Pi's TFTP names, another config's secret: the arming URL comes from the provisioning URL or is unknown", () => {
  const upstream = linux("http://mirror/vmlinuz", [`done=http://a.test:8080/p/${SECRET}/complete`]);
  assert.equal(armingUrl(upstream), "http://a.test:8080");
  assert.equal((rebaseSpec(upstream, "http://b.test") as { kernel: string }).kernel, "http://mirror/vmlinuz");
  const pi = linux("assets/0123456789abcdef/kernel8.img", ["root=/dev/nfs"]);
  assert.equal(armingUrl(pi), undefined);
  assert.equal(rebaseSpec(pi, "http://b.test"), pi.spec);
  const other = linux("http://mirror/vmlinuz", ["done=http://a.test:8080/p/another-secret/complete"]);
  assert.equal(armingUrl(other), undefined, "only this config's own secret names the arming instance");
  const ipxe: Pick<BootConfig, "spec" | "secret"> = {
    secret: SECRET,
    spec: { kind: "ipxe", lines: [`chain http://a.test:8080/p/${SECRET}/next.ipxe`] },
  };
  assert.deepEqual(rebaseSpec(ipxe, "http://b.test"), {
    kind: "ipxe",
    lines: [`chain http://b.test/p/${SECRET}/next.ipxe`],
  });
});
