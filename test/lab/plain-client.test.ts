// A client that is not PXE (busybox udhcpc in its own namespace on the lab's bridge) gets its address from
// the site server only, while dnsmasq's proxyDHCP is on the same segment: a proxy never answers it.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startL2Lab, type L2Lab, type LabProcess } from "../support/l2-lab.js";
import { startDnsmasqProxy, startSiteDhcp } from "../support/lab-dnsmasq.js";

// udhcpc runs this on every event; it prints what the lease says instead of configuring anything.
const SCRIPT = `#!/bin/sh
echo "UDHCPC $1 ip=$ip serverid=$serverid router=$router siaddr=$siaddr boot_file=$boot_file"
`;

describe("L2 lab: a plain DHCP client (busybox udhcpc)", { timeout: 120_000 }, () => {
  let lab: L2Lab;
  let site: LabProcess;
  let proxy: LabProcess;

  before(async () => {
    lab = await startL2Lab();
    site = await startSiteDhcp(lab);
    proxy = await startDnsmasqProxy(lab, { ipxeBootUrl: `http://${lab.enforcerAddress}:8080/boot.ipxe` });
  });
  after(() => lab?.stop());

  test("gets an address, router and no boot file from the site server; the proxy stays silent", async () => {
    const script = join(lab.dir, "udhcpc.sh");
    writeFileSync(script, SCRIPT);
    chmodSync(script, 0o755);
    const host = lab.addHost("cli");
    const started = Date.now();
    // -f foreground, -q quit once bound, -n fail instead of backgrounding, 5 tries 1 s apart.
    const client = lab.spawnIn(host, "udhcpc", "busybox", [
      "udhcpc",
      "-f",
      "-q",
      "-n",
      "-t",
      "5",
      "-T",
      "1",
      "-i",
      "eth0",
      "-s",
      script,
    ]);
    assert.equal(await client.exited, 0, client.output());
    console.log(`# udhcpc bound after ${Date.now() - started} ms`);
    const bound = /UDHCPC bound ip=(\S+) serverid=(\S*) router=(\S*) siaddr=(\S*) boot_file=(\S*)/.exec(
      client.output(),
    );
    assert.ok(bound, client.output());
    const [, ip, serverid, router, , bootFile] = bound;
    assert.match(ip!, new RegExp(`^${lab.net.replace(/\./g, "\\.")}\\.1\\d\\d$`));
    assert.equal(serverid, lab.siteAddress);
    assert.equal(router, lab.siteAddress);
    assert.equal(bootFile, "");
    const mac = /DHCPACK\(eth0\) \S+ (\S+)/.exec(site.output())?.[1];
    assert.ok(mac, site.output());
    assert.ok(readFileSync(join(lab.dir, "site.leases"), "utf8").includes(`${mac} ${ip}`));
    // The proxy is bound on the same segment; it logs every client it answers, and it answered not this one.
    assert.ok(!proxy.output().includes(mac!), proxy.output());
  });

  test("tear-down leaves no namespace, bridge, tap or process behind", async () => {
    const pids = [site.child.pid!, proxy.child.pid!];
    await lab.stop();
    assert.deepEqual(lab.leftovers(), []);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
