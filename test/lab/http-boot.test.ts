// Issue 12, proof 4: UEFI HTTP boot through Enforcer's proxyDHCP on the L2 lab. Debian's OVMF has EDK2's
// HttpBootDxe (its boot manager lists "UEFI HTTPv4 (MAC:…)"); its PXE boot options are switched off through
// fw_cfg (`opt/org.tianocore/IPv4PXESupport` and `IPv6PXESupport`, read by OVMF's platform code) so that
// HTTP boot is what the firmware tries first. The site's dnsmasq gives the address (a plain offer), Enforcer
// answers the `HTTPClient` DISCOVER with a proxy offer (yiaddr 0, option 60 `HTTPClient`, the loader's URL),
// which EDK2 pairs with the site's offer (HttpBootDhcp4.c, HttpBootSelectDhcpOffer: a DHCP-only offer plus a
// proxy offer with an IP-expressed URI); the firmware fetches ipxe.efi over HTTP, iPXE asks again, is offered
// boot.ipxe and asks for its machine script. Needs root and the lab's packages.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startSiteDhcp } from "../support/lab-dnsmasq.js";
import { startLabEnforcer, type LabEnforcer } from "../support/lab-enforcer.js";
import { runLabVm } from "../support/lab-vm.js";
import { startL2Lab, type L2Lab } from "../support/l2-lab.js";

const MAC = "52:54:00:aa:0e:16";
/** OVMF's switches for its PXE boot options; HTTP boot has none, so only it is left among network boots. */
const NO_PXE = [
  "-fw_cfg",
  "name=opt/org.tianocore/IPv4PXESupport,string=n",
  "-fw_cfg",
  "name=opt/org.tianocore/IPv6PXESupport,string=n",
];

describe("L2 lab: OVMF's UEFI HTTP boot through Enforcer's proxyDHCP", { timeout: 240_000 }, () => {
  let lab: L2Lab;
  let enf: LabEnforcer;

  before(async () => {
    lab = await startL2Lab();
    // IPv6 router advertisements: without them iPXE waits ~16 s for IPv6 (test/lab/README.md).
    await startSiteDhcp(lab, { ipv6Router: true });
    const root = join(lab.dir, "tftp");
    mkdirSync(root);
    enf = await startLabEnforcer(lab, root, ["--dhcp", "proxy"]);
  });
  // Enforcer first: its API forwarder's listener on 127.0.0.1 would keep this process alive.
  after(async () => {
    await enf?.stop();
    await lab?.stop();
  });

  test("the firmware takes the loader's URL from the proxy offer, fetches ipxe.efi over HTTP, iPXE chains boot.ipxe", async (t) => {
    const hyphen = MAC.replaceAll(":", "-");
    const asked = () =>
      enf
        .logs()
        .split("\n")
        .some((l) => l.includes("machine script request") && l.includes(hyphen));
    const vm = await runLabVm(lab, {
      mac: MAC,
      firmware: "uefi",
      timeoutMs: 150_000,
      qemuArgs: NO_PXE,
      stopWhen: asked,
      marks: {
        httpBoot: /Start HTTP Boot over IPv4/,
        downloaded: /Downloading\.\.\.100%/,
        ipxe: /iPXE initialising/,
      },
    });
    const lines = enf.logs().split("\n");
    const url = `${enf.labUrl}/tftp/ipxe.efi`;
    assert.ok(
      asked(),
      `iPXE never asked for its machine script.\nserial:\n${vm.output.slice(-3000)}\nenforcer:\n${enf.logs().slice(-3000)}`,
    );
    for (const [name, ms] of Object.entries(vm.marks)) t.diagnostic(`${name}: ${ms} ms after power-on (TCG)`);
    t.diagnostic(`machine script asked ${vm.elapsedMs} ms after power-on`);
    // No PXE boot option ran; EDK2 boots over HTTP from the URL in Enforcer's offer.
    assert.doesNotMatch(vm.output, /Start PXE over IPv4/);
    assert.match(vm.output, new RegExp(`URI: ${url.replace(/[.]/g, "\\.")}`));
    assert.ok(
      lines.some((l) => l.includes(`dhcp proxy offer ${url} to ${MAC} (uefi-http)`)),
      enf.logs(),
    );
    // The loader came over HTTP, not TFTP; then iPXE was offered the script, not the loader again.
    assert.ok(!lines.some((l) => /tftp complete/.test(l)), "nothing went over TFTP");
    assert.ok(
      lines.some((l) => l.includes(`boot.ipxe to ${MAC} (ipxe)`)),
      enf.logs(),
    );
    // The address came from the site's dnsmasq, never from Enforcer.
    assert.match(readFileSync(join(lab.dir, "site.leases"), "utf8"), new RegExp(MAC));
  });

  test("tear-down leaves no namespace, bridge, tap or process behind", async () => {
    await enf.stop();
    await lab.stop();
    assert.deepEqual(lab.leftovers(), []);
  });
});
