// The real firmware path through Enforcer's proxyDHCP on a layer-2 lab (test-peers.md, "A real L2 network"):
// OVMF's own EDK2 UEFI PXE client (NIC ROM empty, so no iPXE in the firmware) in QEMU on a tap in a bridge,
// the site's dnsmasq in its own namespace giving addresses only, Enforcer in proxy mode on the bridge. The
// firmware takes its address from dnsmasq and its boot file from Enforcer, loads ipxe.efi over Enforcer's TFTP;
// iPXE asks again, gets the boot.ipxe URL (not the loader: no loop), runs it and asks for its machine script.
// Needs root, QEMU and OVMF.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";

const run = promisify(execFile);
const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";
const MAC = "52:54:00:aa:0d:07";
const BIOS_MAC = "52:54:00:aa:0d:00";
const NET = "10.75.0";

/** Waits until `ok()` holds, or fails with `why()` after `ms`. */
async function waitFor(ok: () => boolean, ms: number, why: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(why());
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe(
  "OVMF's UEFI PXE client boots iPXE through Enforcer's proxyDHCP beside a site dnsmasq",
  { timeout: 300_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "enforcer-ovmf-proxy-"));
    const suffix = randomBytes(3).toString("hex");
    const lab = `enf-ol-${suffix}`;
    const site = `enf-os-${suffix}`;
    const [br, tap, tap2, vl, vs] = [
      `obr${suffix}`,
      `otp${suffix}`,
      `otb${suffix}`,
      `ovl${suffix}`,
      `ovs${suffix}`,
    ];
    const children: ChildProcess[] = [];
    let enforcerOut = "";
    let uefiStarted = 0;

    const ip = (...args: string[]) => run("ip", args);
    const start = (ns: string, cmd: string[], env?: NodeJS.ProcessEnv) => {
      const child = spawn("ip", ["netns", "exec", ns, ...cmd], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...env },
      });
      children.push(child);
      return child;
    };

    before(async () => {
      assert.equal(
        process.getuid?.(),
        0,
        "this test makes network namespaces, a bridge and a tap: run it as root (CI does)",
      );
      for (const f of [OVMF_CODE, OVMF_VARS, "/usr/bin/qemu-system-x86_64", "/usr/lib/ipxe/ipxe.efi"])
        assert.ok(
          existsSync(f),
          `${f} is missing: run scripts/ensure-peers.sh (qemu-system-x86, ovmf, ipxe)`,
        );
      await ip("netns", "add", lab);
      await ip("netns", "add", site);
      await ip("-n", lab, "link", "set", "lo", "up");
      await ip("-n", site, "link", "set", "lo", "up");
      await ip("-n", lab, "link", "add", br, "type", "bridge");
      await ip("-n", lab, "addr", "add", `${NET}.1/24`, "dev", br);
      await ip("-n", lab, "link", "set", br, "up");
      for (const t of [tap, tap2]) {
        await ip("-n", lab, "tuntap", "add", "dev", t, "mode", "tap");
        await ip("-n", lab, "link", "set", t, "master", br);
        await ip("-n", lab, "link", "set", t, "up");
      }
      await ip("-n", lab, "link", "add", vl, "type", "veth", "peer", "name", vs, "netns", site);
      await ip("-n", lab, "link", "set", vl, "master", br);
      await ip("-n", lab, "link", "set", vl, "up");
      await ip("-n", site, "addr", "add", `${NET}.2/24`, "dev", vs);
      await ip("-n", site, "link", "set", vs, "up");
      // Enforcer's broadcasts leave by this route (Node cannot name the interface).
      await ip("-n", lab, "route", "add", "255.255.255.255/32", "dev", br);
      const dnsmasq = start(site, [
        "dnsmasq",
        "--no-daemon",
        "--port=0",
        `--interface=${vs}`,
        "--bind-interfaces",
        `--dhcp-range=${NET}.50,${NET}.99,1h`,
        `--dhcp-leasefile=${dir}/leases`,
      ]);
      dnsmasq.stderr!.on("data", () => {});
      const enforcer = start(
        lab,
        [process.execPath, resolve("bin/enforcer.js"), "serve", "--dhcp", "proxy", "--dhcp-interface", br],
        {
          ENFORCER_HTTP_PORT: "8080",
          ENFORCER_PUBLIC_URL: `http://${NET}.1:8080`,
          ENFORCER_DATA: join(dir, "data"),
          ENFORCER_LOG_LEVEL: "info",
        },
      );
      const take = (d: Buffer) => (enforcerOut += d.toString());
      enforcer.stdout!.on("data", take);
      enforcer.stderr!.on("data", take);
      await waitFor(
        () => /enforcer: ready .*dhcp=proxy/.test(enforcerOut),
        20_000,
        () => `enforcer did not start: ${enforcerOut}`,
      );
      copyFileSync(OVMF_VARS, join(dir, "vars.fd"));
      uefiStarted = performance.now();
      start(lab, [
        "qemu-system-x86_64",
        "-accel",
        "tcg",
        "-m",
        "512",
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        `file:${dir}/serial.log`,
        "-no-reboot",
        "-drive",
        `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
        "-drive",
        `if=pflash,format=raw,file=${dir}/vars.fd`,
        "-netdev",
        `tap,id=n0,ifname=${tap},script=no,downscript=no`,
        "-device",
        `virtio-net-pci,netdev=n0,mac=${MAC},romfile=`,
      ]);
    });

    type Attempt = { n: number; outcome: string; steps: { label: string }[] };
    /** The latest attempt of a MAC, through `enforcer machines timeline --json` run inside the lab. */
    const timelineOf = async (mac: string, done: (a: Attempt) => boolean): Promise<Attempt> => {
      const env = {
        ...process.env,
        ENFORCER_URL: `http://${NET}.1:8080`,
        ENFORCER_TOKEN: readFileSync(join(dir, "data", "admin.token"), "utf8").trim(),
      };
      let last: Attempt | undefined;
      for (let i = 0; i < 20; i++) {
        const { stdout } = await run(
          "ip",
          [
            "netns",
            "exec",
            lab,
            process.execPath,
            resolve("bin/enforcer.js"),
            "machines",
            "timeline",
            mac,
            "--json",
          ],
          { env },
        );
        last = (JSON.parse(stdout) as { attempts: Attempt[] }).attempts.at(-1);
        if (last && done(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`the timeline of ${mac} never completed: ${JSON.stringify(last)}`);
    };

    after(async () => {
      for (const c of children.reverse())
        if (c.exitCode === null && c.signalCode === null) {
          const gone = new Promise((r) => c.once("exit", r));
          c.kill("SIGTERM");
          await gone;
        }
      for (const ns of [lab, site]) await ip("netns", "del", ns).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    });

    test("the firmware loads ipxe.efi from the proxy's answer, and iPXE runs boot.ipxe and asks for its machine", async (t) => {
      const serial = () =>
        existsSync(join(dir, "serial.log")) ? readFileSync(join(dir, "serial.log"), "latin1") : "";
      await waitFor(
        () => /machine script request/.test(enforcerOut),
        240_000,
        () =>
          `iPXE never asked for its machine script.\nenforcer:\n${enforcerOut.slice(-3000)}\nserial:\n${serial().slice(-2000)}`,
      );
      t.diagnostic(
        `power-on to the machine script request: ${Math.round(performance.now() - uefiStarted)} ms (TCG)`,
      );
      const lines = enforcerOut.split("\n");
      for (const l of lines.filter((x) => x.includes("dhcp proxy")))
        t.diagnostic(JSON.parse(l).msg as string);
      // --dhcp-interface named the bridge: its network is the boot network, its address the server's.
      assert.match(enforcerOut, new RegExp(`dhcp: proxy on ${NET}\\.0/24 as ${NET}\\.1`));
      // EDK2 asked as a UEFI PXE client and was offered ipxe.efi; iPXE asked and was offered the script.
      assert.ok(
        lines.some((l) => l.includes(`dhcp proxy offer ipxe.efi to ${MAC} (uefi-pxe)`)),
        enforcerOut,
      );
      assert.ok(
        lines.some((l) => l.includes(`boot.ipxe to ${MAC} (ipxe)`)),
        enforcerOut,
      );
      // EDK2, given no option 43, asks the boot server on 4011 after its lease, and takes the ACK there.
      assert.ok(
        lines.some((l) => l.includes(`dhcp proxy ack ipxe.efi to ${MAC} (uefi-pxe)`)),
        enforcerOut,
      );
      // No loop: the loader went over TFTP exactly once.
      assert.equal(lines.filter((l) => /tftp complete ipxe\.efi/.test(l)).length, 1, enforcerOut);
      const asked = lines.find((l) => l.includes("machine script request"));
      // boot.ipxe names the machine by its MAC in hyphen form (`${net0/mac:hexhyp}`).
      assert.ok(asked?.includes(MAC.replaceAll(":", "-")), asked);
      // The address came from the site's dnsmasq, never from Enforcer.
      assert.match(readFileSync(join(dir, "leases"), "utf8"), new RegExp(MAC));
      // The boot timeline (docs/timeline.md), read with the CLI inside the lab: the whole boot is one attempt,
      // DHCP offer -> TFTP ipxe.efi -> iPXE's DHCP -> boot.ipxe -> the machine script, attributed to the MAC.
      const attempt = await timelineOf(MAC, (a) =>
        a.steps.some((s) => s.label.startsWith("http machine-script")),
      );
      t.diagnostic(`timeline: ${attempt.steps.map((s) => s.label).join(" > ")}`);
      const labels = attempt.steps.map((s) => s.label);
      const first = (re: RegExp) => labels.findIndex((l) => re.test(l));
      const order = [
        /^dhcp uefi-pxe offer ipxe\.efi/,
        /^tftp ipxe\.efi complete/,
        /^dhcp ipxe offer http:\/\/.*\/boot\.ipxe/,
        /^http boot-script 200/,
        /^http machine-script 404 none:no-config/,
      ].map(first);
      assert.ok(
        order.every((i) => i >= 0),
        labels.join("\n"),
      );
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
        labels.join("\n"),
      );
      assert.equal(attempt.n, 1, "one attempt for the whole boot");
      assert.equal(attempt.outcome, "fell-through");
      assert.equal(labels.filter((l) => /^tftp ipxe\.efi complete/.test(l)).length, 1, "no loader loop");
    });

    test("BIOS: the NIC's iPXE ROM (SeaBIOS) is iPXE already: offered boot.ipxe, no loader, asks for its machine", async (t) => {
      const started = performance.now();
      start(lab, [
        "qemu-system-x86_64",
        "-accel",
        "tcg",
        "-m",
        "256",
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        `file:${dir}/bios-serial.log`,
        "-no-reboot",
        "-boot",
        "order=n",
        "-netdev",
        `tap,id=n1,ifname=${tap2},script=no,downscript=no`,
        "-device",
        `virtio-net-pci,netdev=n1,mac=${BIOS_MAC}`,
      ]);
      const hyphen = BIOS_MAC.replaceAll(":", "-");
      await waitFor(
        () => enforcerOut.split("\n").some((l) => l.includes("machine script request") && l.includes(hyphen)),
        180_000,
        () =>
          `the BIOS VM's iPXE never asked for its machine script.\nenforcer:\n${enforcerOut.slice(-3000)}`,
      );
      t.diagnostic(
        `power-on to the machine script request: ${Math.round(performance.now() - started)} ms (TCG)`,
      );
      const lines = enforcerOut.split("\n");
      assert.ok(
        lines.some((l) => l.includes(`boot.ipxe to ${BIOS_MAC} (ipxe)`)),
        enforcerOut,
      );
      assert.ok(
        !lines.some((l) => l.includes(`undionly.kpxe to ${BIOS_MAC}`)),
        "iPXE was offered the loader",
      );
      // Still the one ipxe.efi transfer of the UEFI VM: iPXE in the ROM fetched no loader.
      assert.equal(lines.filter((l) => /tftp complete /.test(l)).length, 1);
    });
  },
);
