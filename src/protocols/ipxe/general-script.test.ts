import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import { renderDiscoveryScript, renderGeneralScript } from "./general-script.js";

test("the general script asks this Enforcer, discovery, each remote, then the local disk by platform", () => {
  const s = renderGeneralScript({
    self: "http://10.0.0.1:8080",
    remotes: ["http://10.0.0.2:8080/", "http://10.0.0.3"],
  });
  const q = "${enforcer-query}";
  assert.equal(
    s,
    [
      "#!ipxe",
      "# Enforcer general boot script: own config, discovery, remote Enforcers, then the local disk.",
      "set enforcer-query mac=${netX/mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}&arch=${buildarch:uristring}&platform=${platform:uristring}",
      "echo Enforcer: ${netX/mac} ${platform} ${buildarch}",
      `chain --autofree http://10.0.0.1:8080/boot/machine?${q} || echo Enforcer: no config here`,
      `chain --autofree http://10.0.0.1:8080/boot/discovery?${q} || echo Enforcer: no discovery`,
      `chain --autofree http://10.0.0.2:8080/boot/machine?${q} || echo Enforcer: remote 1: nothing`,
      `chain --autofree http://10.0.0.3/boot/machine?${q} || echo Enforcer: remote 2: nothing`,
      "echo Enforcer: booting the local disk",
      "iseq ${platform} efi && exit 1 ||",
      "sanboot --no-describe --drive 0x80 || echo Enforcer: local disk boot failed",
      "exit 1",
      "",
    ].join("\n"),
  );
});

test("a remote URL that would inject a command is refused", () => {
  assert.throws(
    () => renderGeneralScript({ self: "http://a", remotes: ["http://b ||shell"] }),
    (e) => isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE"),
  );
});

test("the discovery script chains the configured URL", () => {
  assert.equal(
    renderDiscoveryScript("http://img/discover.ipxe", "52:54:00:00:00:01"),
    "#!ipxe\necho Enforcer: discovery for 52:54:00:00:00:01\nchain --autofree http://img/discover.ipxe\n",
  );
});
