import assert from "node:assert/strict";
import { test } from "node:test";
import type { BootSpec } from "../../domain/boot-spec.js";
import type { Mac } from "../../domain/mac.js";
import { renderBootScript } from "./config-script.js";
import { renderDecision } from "./decision-script.js";
import { renderDiscoveryScript } from "./general-script.js";

const spec: BootSpec = {
  kind: "linux",
  kernel: "http://m/vmlinuz",
  args: ["quiet"],
  initrds: [{ url: "http://m/initrd.gz", name: "initrd.gz" }],
};
const mac = "52:54:00:00:00:01" as Mac;

test("a config decision renders as the config's script for the request's platform, labelled with its id", () => {
  const s = renderDecision({ kind: "config", config: "cfg-1", spec }, "efi");
  assert.equal(s, renderBootScript(spec, { platform: "efi", label: "cfg-1" }));
  assert.match(s, /^kernel http:\/\/m\/vmlinuz initrd=initrd\.gz quiet$/m);
});

test("discovery renders as a chain to the configured script, or as the discovery image's boot", () => {
  const chain = renderDecision(
    { kind: "discovery", boot: { kind: "chain", url: "http://img/d.ipxe", mac } },
    "pcbios",
  );
  assert.equal(chain, renderDiscoveryScript("http://img/d.ipxe", mac));
  const image = renderDecision({ kind: "discovery", boot: { kind: "image", spec } }, "pcbios");
  assert.match(image, /^echo Enforcer: booting config discovery$/m);
});
