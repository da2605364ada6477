// Issue 15, the DHCP proof on the layer-2 lab: two Enforcer instances on one etcd (a member in the lab's site
// namespace) serve the same boot network with `--dhcp proxy`, from two namespaces on the bridge (.2 and .3).
// A scripted PXE client (not firmware) broadcasts a DISCOVER on port 67 and gets exactly one answer, from the
// instance that leads; SIGKILL that instance's process and the client is answered by the other within seconds.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { startL2Lab, type L2Lab, type LabProcess } from "../support/l2-lab.js";
import { startLabEnforcer, type LabEnforcer } from "../support/lab-enforcer.js";
import { until } from "../support/until.js";
import { requireEtcd } from "../../src/store/testing/etcd-peer.js";

interface Reply {
  serverId?: string;
  bootfileName?: string;
}

describe(
  "L2 lab: two instances on one etcd, one proxyDHCP answer, fail-over on SIGKILL",
  { timeout: 180_000 },
  () => {
    let lab: L2Lab;
    let etcd: LabProcess;
    const enforcers: LabEnforcer[] = [];
    let client: string;

    /** Starts one etcd member on the site's lab address (ports inside the lab's own namespace: no clash). */
    async function startLabEtcd(): Promise<LabProcess> {
      const url = (port: number) => `http://${lab.siteAddress}:${port}`;
      // prettier-ignore
      const p = lab.spawnIn(lab.ns.site, "etcd", "etcd", [
      "--name", "lab", "--data-dir", join(lab.dir, "etcd"), "--logger", "zap", "--log-level", "warn",
      "--listen-client-urls", url(2379), "--advertise-client-urls", url(2379),
      "--listen-peer-urls", url(2380), "--initial-advertise-peer-urls", url(2380),
      "--initial-cluster", `lab=${url(2380)}`,
    ]);
      await until(
        "etcd in the lab to be healthy",
        async () => {
          if (p.child.exitCode !== null) throw new Error(`etcd exited ${p.child.exitCode}:\n${p.output()}`);
          const check = lab.spawnIn(lab.ns.site, "etcdctl", "etcdctl", [
            "--endpoints",
            url(2379),
            "endpoint",
            "health",
          ]);
          return (await check.exited) === 0 ? true : undefined;
        },
        15_000,
        200,
      );
      return p;
    }

    /** The scripted client's DISCOVER, broadcast; the replies heard within `waitMs`. */
    async function ask(waitMs: number): Promise<Reply[]> {
      const c = lab.spawnIn(client, "scripted-pxe", process.execPath, [
        resolve("dist/test/support/scripted-dhcp-client.js"),
        "uefi-x64",
        "discover",
        "255.255.255.255",
        "67",
        String(waitMs),
      ]);
      assert.equal(await c.exited, 0, c.output());
      return (JSON.parse(c.output().trim().split("\n").at(-1)!) as { replies: Reply[] }).replies;
    }

    before(async () => {
      requireEtcd();
      lab = await startL2Lab();
      const root = join(lab.dir, "tftp-root");
      mkdirSync(root);
      etcd = await startLabEtcd();
      const args = [
        "--dhcp",
        "proxy",
        "--dhcp-interface",
        "eth0",
        "--store",
        `etcd://${lab.siteAddress}:2379`,
      ];
      enforcers.push(await startLabEnforcer(lab, root, args));
      const second = `${lab.net}.3`;
      const ns = lab.addHost("enf2", second);
      client = lab.addHost("cli");
      for (const n of [ns, client])
        assert.equal(
          await lab.spawnIn(n, "ip", "ip", ["route", "add", "255.255.255.255/32", "dev", "eth0"]).exited,
          0,
        );
      // Every instance holds the same session.secret and power.key (docs/store.md); the admin token is in the shared store.
      const data2 = join(lab.dir, "enforcer2-data");
      mkdirSync(data2);
      for (const f of ["session.secret", "power.key", "admin.token"])
        copyFileSync(join(enforcers[0]!.data, f), join(data2, f));
      enforcers.push(await startLabEnforcer(lab, root, args, { ns, address: second, name: "enforcer2" }));
    });
    after(async () => {
      for (const e of enforcers) await e.stop();
      await lab?.stop();
    });

    test("exactly one instance answers the broadcast: the one whose ready line says it leads", async () => {
      const roles = enforcers.map((e) => /dhcp=proxy:67,4011:(leading|following)/.exec(e.logs())?.[1]);
      assert.deepEqual(
        [...roles].sort(),
        ["following", "leading"],
        enforcers.map((e) => e.logs()).join("\n"),
      );
      const leader = enforcers[roles.indexOf("leading")]!;
      const address = new URL(leader.labUrl).hostname;
      for (let n = 0; n < 3; n++) {
        const replies = await ask(1500);
        assert.equal(replies.length, 1, JSON.stringify(replies));
        assert.equal(replies[0]!.serverId, address);
        assert.equal(replies[0]!.bootfileName, "ipxe.efi");
      }
    });

    test("SIGKILL of the leader's process: the client is answered by the other within a few seconds, never by both", async () => {
      const leaderAt = enforcers.findIndex((e) => /dhcp=proxy:67,4011:leading/.test(e.logs()));
      const leader = enforcers[leaderAt]!;
      const other = enforcers[1 - leaderAt]!;
      leader.process.child.kill("SIGKILL");
      await leader.process.exited;
      const killed = Date.now();
      let replies: Reply[] = [];
      while (Date.now() - killed < 15_000) {
        replies = await ask(500);
        assert.ok(replies.length <= 1, JSON.stringify(replies));
        if (replies.length === 1) break;
      }
      const took = Date.now() - killed;
      console.log(
        `# lab take-over after SIGKILL: first answer ${took} ms after the kill (asked every 0.5 s)`,
      );
      assert.equal(replies[0]?.serverId, new URL(other.labUrl).hostname, JSON.stringify(replies));
      assert.ok(took < 6_000, `took ${took} ms`);
      assert.match(other.logs(), /dhcp: leading /);
    });

    test("tear-down leaves no namespace, bridge, tap or process behind", async () => {
      const pids = [etcd.child.pid!, ...enforcers.map((e) => e.child.pid!)];
      for (const e of enforcers) await e.stop();
      await lab.stop();
      assert.deepEqual(lab.leftovers(), []);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
    });
  },
);
