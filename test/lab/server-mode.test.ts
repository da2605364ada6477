// Issue 12, proof 3: `--dhcp server` on the layer-2 lab with NO site DHCP server. A QEMU VM (SeaBIOS with
// the NIC's iPXE ROM: the fastest real firmware here) gets its address from Enforcer's range and boots
// boot.ipxe; the lease survives an Enforcer kill -9 and restart (read from the store: another client is not
// given it, the VM gets it back); a reservation label is checked by the API and honoured; with the site's
// dnsmasq on the segment, `enforcer serve --dhcp server` refuses to start with one line.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { startL2Lab, type L2Lab } from "../support/l2-lab.js";
import { startSiteDhcp } from "../support/lab-dnsmasq.js";
import { startLabEnforcer, type LabEnforcer } from "../support/lab-enforcer.js";
import { runLabVm } from "../support/lab-vm.js";

const run = promisify(execFile);
const MAC = "52:54:00:1a:c3:01";
const OTHER = "52:54:00:1a:c3:02";

interface Lease {
  address: string;
  mac: string;
  state: string;
}

describe(
  "L2 lab: enforcer serve --dhcp server on a rack with no other DHCP server",
  { timeout: 400_000 },
  () => {
    let lab: L2Lab;
    let enf: LabEnforcer | undefined;
    let root: string;
    const serverArgs = () => [
      ...["--dhcp", "server", "--dhcp-interface", "eth0"],
      ...["--dhcp-range", `${lab.net}.100-${lab.net}.120`, "--dhcp-router", lab.enforcerAddress],
    ];
    const leases = async () => ((await enf!.api("GET", "/dhcp/leases")).body as { items: Lease[] }).items;
    /** Boots the VM until Enforcer's log says `until` about its MAC; the serial output and time taken. */
    const boot = (until: RegExp, timeoutMs = 90_000) => {
      const before = enf!.logs().length;
      return runLabVm(lab, {
        mac: MAC,
        firmware: "bios",
        timeoutMs,
        stopWhen: () => until.test(enf!.logs().slice(before)),
      });
    };

    before(async () => {
      lab = await startL2Lab();
      root = join(lab.dir, "tftp-root");
      mkdirSync(root);
      enf = await startLabEnforcer(lab, root, serverArgs());
    });
    after(async () => {
      await enf?.stop();
      await lab?.stop();
    });

    test("the VM's iPXE ROM gets an address from Enforcer's range and boots boot.ipxe", async (t) => {
      assert.match(enf!.logs(), /enforcer: ready .*dhcp=server:67 /);
      const vm = await boot(/machine script request/);
      t.diagnostic(`power-on to the machine script request: ${vm.elapsedMs} ms (TCG)`);
      const logs = enf!.logs();
      assert.ok(vm.stopped, `${logs.slice(-3000)}\n${vm.output.slice(-2000)}`);
      assert.match(logs, new RegExp(`dhcp server ack ${MAC}: ${lab.net}\\.100 for 3600 s`));
      assert.match(vm.output, new RegExp(`${lab.net}\\.100`), "iPXE shows the address it was given");
      assert.match(vm.output, /boot\.ipxe/);
      const l = (await leases()).find((x) => x.mac === MAC);
      assert.deepEqual([l?.address, l?.state], [`${lab.net}.100`, "active"]);
      // The CLI shows it too (asynchronously: the API forwarder runs in this process).
      // prettier-ignore
      const cli = await run(process.execPath, [resolve("bin/enforcer.js"), "dhcp", "leases", "--url", enf!.base, "--token", enf!.token], { timeout: 20_000 });
      assert.match(cli.stdout, new RegExp(`${lab.net}\\.100\\s+${MAC}\\s+active`));
    });

    test("the lease survives kill -9 and a restart: another client is not given it, the VM gets it back", async () => {
      enf!.process.child.kill("SIGKILL");
      await enf!.process.exited;
      await enf!.stop();
      enf = await startLabEnforcer(lab, root, serverArgs());
      assert.equal((await leases()).find((x) => x.mac === MAC)?.address, `${lab.net}.100`);
      // A real client in its own namespace asks first: the stored lease keeps .100 from it.
      const host = lab.addHost("cli");
      const script = join(lab.dir, "udhcpc.sh");
      writeFileSync(script, `#!/bin/sh\necho "UDHCPC $1 ip=$ip"\n`);
      chmodSync(script, 0o755);
      // prettier-ignore
      const u = lab.spawnIn(host, "udhcpc", "busybox", ["udhcpc", "-f", "-q", "-n", "-t", "5", "-T", "1", "-i", "eth0", "-s", script]);
      assert.equal(await u.exited, 0, u.output());
      assert.match(u.output(), new RegExp(`UDHCPC bound ip=${lab.net}\\.101`));
      const vm = await boot(new RegExp(`dhcp server (ack|renew) ${MAC}`));
      assert.ok(vm.stopped, enf!.logs().slice(-3000));
      assert.match(enf!.logs(), new RegExp(`dhcp server (ack|renew) ${MAC}: ${lab.net}\\.100 `));
    });

    test("a reservation label is checked by the API and honoured at the next boot", async () => {
      const reserve = (mac: string, address: string) =>
        enf!.api("PATCH", `/machines/${mac}`, { labels: { "enforcer.dev/ipv4": address } });
      assert.equal((await enf!.api("POST", "/machines", { mac: OTHER })).status, 201);
      assert.equal((await reserve(OTHER, `${lab.net}.151`)).status, 200);
      const taken = await reserve(MAC, `${lab.net}.151`);
      assert.equal(taken.status, 409);
      assert.match(JSON.stringify(taken.body), /ENF_ERR_DHCP_RESERVATION.*already reserved for/);
      const outside = await reserve(MAC, "10.99.0.5");
      assert.equal(outside.status, 409);
      assert.match(JSON.stringify(outside.body), /outside the boot network/);
      assert.equal((await reserve(MAC, `${lab.net}.150`)).status, 200);
      const vm = await boot(new RegExp(`dhcp server ack ${MAC}: ${lab.net}\\.150`));
      assert.ok(vm.stopped, enf!.logs().slice(-3000));
      // Its old lease is replaced: one address per MAC.
      const mine = (await leases()).filter((x) => x.mac === MAC);
      assert.deepEqual(
        mine.map((x) => x.address),
        [`${lab.net}.150`],
      );
    });

    test("with the site's dnsmasq on the segment, --dhcp server refuses to start with one line", async () => {
      await enf!.stop();
      enf = undefined;
      await startSiteDhcp(lab);
      const data = join(lab.dir, "enforcer-data-2");
      // prettier-ignore
      const p = lab.spawnIn(lab.ns.enforcer, "enforcer-refused", process.execPath, [
      resolve("bin/enforcer.js"), "serve", "--listen", lab.enforcerAddress, "--http-port", "8081", "--data", data,
      "--no-tftp", ...serverArgs(),
    ]);
      assert.equal(await p.exited, 1, p.output());
      const lines = p.output().trim().split("\n");
      assert.match(
        lines.at(-1)!,
        new RegExp(
          `^enforcer: --dhcp server: another DHCP server answers on ${lab.net}\\.0/24: ${lab.siteAddress} offered ${lab.net}\\.1\\d\\d; .*\\[ENF_ERR_DHCP_OTHER_SERVER\\]$`,
        ),
      );
      assert.doesNotMatch(p.output(), /enforcer: ready/);
    });

    test("tear-down leaves no namespace, bridge, tap or process behind", async () => {
      await lab.stop();
      assert.deepEqual(lab.leftovers(), []);
    });
  },
);
