import assert from "node:assert/strict";
import { test } from "node:test";
import type { BootSpec } from "./boot-spec.js";
import { checkBootSpec, checkDiscoveryUrl, generalSources, MAX_CMDLINE } from "./boot-script-checks.js";
import { isEnforcerError } from "./errors.js";

const unsafe = (e: unknown) => isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE");

test("a spec is checked for EFI too: a command line only the initrd= arguments push past the limit is refused", () => {
  const initrds = [{ url: "http://m/initrd.gz", name: "initrd.gz" }];
  const fits = "x".repeat(MAX_CMDLINE - 10);
  const spec: BootSpec = { kind: "linux", kernel: "http://m/k", args: [fits], initrds };
  assert.throws(() => checkBootSpec(spec, "cfg"), unsafe);
  checkBootSpec({ ...spec, initrds: [] }, "cfg");
});

test("the general script's sources and the discovery URL must each be one safe token", () => {
  assert.deepEqual(
    generalSources({ self: "http://a", remotes: ["http://b/"] }).map((s) => s.url),
    ["http://a/boot/machine?", "http://a/boot/discovery?", "http://b/boot/machine?"],
  );
  assert.throws(() => generalSources({ self: "http://a", remotes: ["http://b ||shell"] }), unsafe);
  assert.throws(() => checkDiscoveryUrl("http://img/a|b"), unsafe);
});
