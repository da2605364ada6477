// Raspberry Pi network boot end to end, with a scripted Raspberry Pi bootloader (no Pi can run here): the real
// `enforcer serve --dhcp proxy --pi-firmware DIR` in one network namespace, the "Pi" in another joined by a
// veth pair whose MAC is the Pi's. The script follows the documented sequence: a DHCP DISCOVER with the Pi's
// vendor class and option 97, then TFTP reads (curl, a real TFTP client) of `<serial>/start4.elf`, config.txt,
// the firmware, the initrd, cmdline.txt and the kernel, in the order a real Pi 4 was seen to read them
// (raspberrypi/rpi-eeprom issue #87). Needs root.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { encodePxeOptions } from "../../src/protocols/dhcp/pxe-options.js";
import { inNs, nsApi, nsTftp } from "../support/netns-curl.js";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { startInNs, type NsProcess } from "../support/netns-process.js";
import type { PxeReply as Reply } from "../support/scripted-dhcp-io.js";

const run = promisify(execFile);
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "../support/scripted-pi-client.js");
const SERVER_IP = "10.77.0.1";
const PI_IP = "10.77.0.50";
const OTHER_IP = "10.77.0.60";
const PI_MAC = "dc:a6:32:01:36:c2";
const OTHER_MAC = "dc:a6:32:0a:0b:0c";
const SERIAL = "9ffefdef";
const OTHER_SERIAL = "0a0b0c0d";
/** What dnsmasq sends for pxe-service=0,"Raspberry Pi Boot" (udhcpc.test.ts checks it against dnsmasq). */
const PI_MENU = encodePxeOptions({
  discoveryControl: 3,
  menuPrompt: { timeout: 0, text: "PXE" },
  bootMenu: [{ type: 0, description: "Raspberry Pi Boot" }],
}).toString("hex");

/** The fields of API answers this test reads. */
interface ApiBody {
  id: string;
  lifecycle: { state: string; fetches?: number };
}

describe(
  "scripted Raspberry Pi bootloader (no Pi can run here) against enforcer serve --dhcp proxy",
  { timeout: 180_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "enforcer-pi-"));
    const firmware = join(dir, "firmware");
    const root = join(dir, "tftp");
    const got = join(dir, "got");
    let pair: NetnsPair | undefined;
    let enforcer: NsProcess | undefined;
    let token = "";
    let configId = "";
    /** The completion URL the rendered cmdline.txt carries: what the booted OS calls. */
    let completeUrl = "";
    const files: Record<string, Buffer> = {};

    /** The API from inside the server namespace; TFTP reads from the client's. */
    const api = (method: string, path: string, body?: unknown) =>
      nsApi<ApiBody>(pair!.serverNs, "http://127.0.0.1:8080", token)(method, path, body);
    const tftp = (name: string, iface?: string) => nsTftp(pair!.clientNs, SERVER_IP, got)(name, iface);

    async function read(name: string, from?: string): Promise<Buffer> {
      const r = await tftp(name, from);
      assert.ok(r.ok, `${name}: ${JSON.stringify(r)}`);
      return r.data;
    }

    async function discover(): Promise<Reply[]> {
      const { stdout } = await inNs(pair!.clientNs, [process.execPath, CLIENT, PI_MAC, SERIAL, "1500"]);
      return (JSON.parse(stdout) as { replies: Reply[] }).replies;
    }

    before(async () => {
      mkdirSync(join(firmware, "overlays"), { recursive: true });
      mkdirSync(root);
      mkdirSync(got);
      // Stand-ins for the operator's copy of the Pi firmware (the boot partition) and the profile's kernel.
      for (const [name, size] of [
        ["start4.elf", 300_000],
        ["fixup4.dat", 5_400],
        ["bcm2711-rpi-4-b.dtb", 52_000],
        ["overlays/overlay_map.dtb", 5_000],
        ["kernel8.img", 700_000],
      ] as const) {
        files[name] = randomBytes(size);
        writeFileSync(join(firmware, name), files[name]!);
      }
      files["initramfs8"] = randomBytes(400_000);
      writeFileSync(join(root, "initramfs8"), files["initramfs8"]);
      writeFileSync(join(firmware, "config.txt"), "# the firmware directory's own\ndtparam=audio=on");

      pair = await createNetnsPair("pi", `${SERVER_IP}/24`);
      const c = pair.clientNs;
      await run("ip", ["-n", c, "link", "set", "dev", pair.clientIf, "address", PI_MAC]);
      await run("ip", ["-n", c, "route", "add", "255.255.255.255/32", "dev", pair.clientIf]);
      // Another machine on the same link: a macvlan with its own MAC. Each address answers ARP only on its own
      // interface, or the Pi's interface would answer for the other's address (ARP flux) and lend it its MAC.
      await run("ip", [
        "-n",
        c,
        "link",
        "add",
        "link",
        pair.clientIf,
        "name",
        "other0",
        "address",
        OTHER_MAC,
        "type",
        "macvlan",
        "mode",
        "bridge",
      ]);
      await inNs(c, ["sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"]);

      // prettier-ignore
      enforcer = startInNs(pair.serverNs, [
        process.execPath, resolve("bin/enforcer.js"), "serve", "--dhcp", "proxy", "--listen", "0.0.0.0",
        "--pi-firmware", firmware, "--tftp-root", root,
      ], /enforcer: ready .*tftp=69 dhcp=proxy:67,4011/, {
        ENFORCER_HTTP_PORT: "8080",
        ENFORCER_PUBLIC_URL: `http://${SERVER_IP}:8080`,
        ENFORCER_DATA: join(dir, "data"),
        ENFORCER_LOG_LEVEL: "info",
        ENFORCER_RETRY_WINDOW: "600",
      });
      await enforcer.ready;
      token = readFileSync(join(dir, "data", "admin.token"), "utf8").trim();
      // The Pi's profile: a custom kernel from the firmware directory, an initrd from the TFTP root.
      const profile = await api("POST", "/profiles", {
        name: "pi-nfs",
        family: "custom",
        kernel: "kernel8.img",
        initrds: ["initramfs8"],
        cmdline: "root=/dev/nfs ip=dhcp enforcer.done={{complete_url}}",
        console: "serial0,115200",
      });
      assert.equal(profile.status, 201, JSON.stringify(profile.body));
      const other = await api("POST", "/machines", {
        mac: OTHER_MAC,
        labels: { "enforcer.dev/pi-serial": OTHER_SERIAL },
      });
      assert.equal(other.status, 201, JSON.stringify(other.body));
      const created = await api("POST", "/configs", { machine: PI_MAC, profile: "pi-nfs" });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      configId = created.body.id;
      assert.equal((await api("POST", `/configs/${configId}/arm`)).status, 200);
    });

    after(async () => {
      await enforcer?.stop();
      await pair?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    test("the Pi's DISCOVER gets a proxy offer: PXEClient, option 43 'Raspberry Pi Boot', option 66, no address", async () => {
      const replies = await discover();
      assert.equal(replies.length, 1, JSON.stringify(replies));
      const r = replies[0]!;
      assert.equal(r.type, 2);
      assert.equal(r.yiaddr, "0.0.0.0");
      assert.equal(r.vendorClass, "PXEClient");
      assert.equal(r.opt43, PI_MENU);
      assert.equal(r.tftpServer, SERVER_IP);
      assert.equal(r.siaddr, SERVER_IP);
      assert.equal(r.serverId, SERVER_IP);
      assert.equal(r.bootfileName, undefined, "the Pi asks for fixed names: no boot file");
      assert.ok(r.opt97Echoed);
      // The site's DHCP server gives the Pi its address; here the test does.
      await run("ip", ["-n", pair!.clientNs, "addr", "add", `${PI_IP}/24`, "dev", pair!.clientIf]);
      await run("ip", ["-n", pair!.clientNs, "addr", "add", `${OTHER_IP}/24`, "dev", "other0"]);
      await run("ip", ["-n", pair!.clientNs, "link", "set", "other0", "up"]);
    });

    test("the documented sequence: start4.elf, config.txt, firmware, cmdline.txt, kernel, initrd, from the armed config", async () => {
      const started = performance.now();
      assert.deepEqual(await read(`${SERIAL}/start4.elf`), files["start4.elf"]);
      const config = (await read(`${SERIAL}/config.txt`)).toString();
      assert.equal((await api("GET", `/configs/${configId}`)).body.lifecycle.state, "triggered");
      assert.deepEqual(await read(`${SERIAL}/start4.elf`), files["start4.elf"]);
      assert.deepEqual(await read(`${SERIAL}/fixup4.dat`), files["fixup4.dat"]);
      // Then start4.elf, in the order a Pi 4 was seen to read (rpi-eeprom#87): config.txt again (the same file,
      // the same boot), the initrd before the .dtb, an overlay, cmdline.txt, the kernel last.
      for (let i = 0; i < 2; i++) assert.equal((await read(`${SERIAL}/config.txt`)).toString(), config);
      assert.deepEqual(await read(`${SERIAL}/initramfs8`), files["initramfs8"]);
      assert.deepEqual(await read(`${SERIAL}/bcm2711-rpi-4-b.dtb`), files["bcm2711-rpi-4-b.dtb"]);
      assert.equal((await read(`${SERIAL}/config.txt`)).toString(), config);
      assert.deepEqual(await read(`${SERIAL}/overlays/overlay_map.dtb`), files["overlays/overlay_map.dtb"]);
      const cmdline = (await read(`${SERIAL}/cmdline.txt`)).toString();
      assert.deepEqual(await read(`${SERIAL}/kernel8.img`), files["kernel8.img"]);
      console.log(`# pi boot files over TFTP: ${Math.round(performance.now() - started)} ms`);

      assert.match(
        config,
        /^# the firmware directory's own\ndtparam=audio=on\n/,
        "the operator's config.txt first",
      );
      assert.match(
        config,
        new RegExp(
          `# Enforcer: config ${configId}, rendered for one boot of this Pi\\n\\[all\\]\\nkernel=kernel8\\.img\\ninitramfs initramfs8 followkernel\\ncmdline=cmdline\\.txt\\n$`,
        ),
      );
      const m = /^root=\/dev\/nfs ip=dhcp enforcer\.done=(\S+) console=tty0 console=serial0,115200\n$/.exec(
        cmdline,
      );
      assert.ok(m, cmdline);
      completeUrl = m[1]!;
      assert.match(completeUrl, new RegExp(`^http://${SERVER_IP}:8080/p/[\\w-]{20,}/complete$`));
      const c = (await api("GET", `/configs/${configId}`)).body;
      assert.equal(c.lifecycle.fetches, 1, "triggered once");
    });

    test("another machine on the link cannot read this Pi's rendered files, by its serial or its MAC", async () => {
      for (const name of [
        `${SERIAL}/config.txt`,
        `${SERIAL}/cmdline.txt`,
        `${SERIAL}/kernel8.img`,
        "dc-a6-32-01-36-c2/cmdline.txt",
      ]) {
        const r = await tftp(name, "other0");
        // curl's exit 69: the server answered TFTP error 2, access violation.
        assert.ok(!r.ok && r.code === 69, `${name}: ${JSON.stringify(r)}`);
      }
      // Its own directory is its own: known, serial agrees, nothing armed, so nothing there (it falls through).
      const own = await tftp(`${OTHER_SERIAL}/start4.elf`, "other0");
      assert.ok(!own.ok && own.code === 68, JSON.stringify(own));
      assert.match(
        enforcer!.out(),
        /tftp pi: 9ffefdef\/config\.txt for 10\.77\.0\.60: directory 9ffefdef is not the serial of dc:a6:32:0a:0b:0c/,
      );
      // It leaves the link: its interface would hear the proxy's broadcast answers to the Pi a second time.
      await run("ip", ["-n", pair!.clientNs, "link", "set", "other0", "down"]);
    });

    test("hostile names (../, very long, non-hex, hidden, deep) get a TFTP error and nothing crashes", async () => {
      for (const name of [
        `${SERIAL}/../../etc/passwd`,
        `../${SERIAL}/config.txt`,
        `${SERIAL}/${"a".repeat(300)}`,
        "zzzzzzzz/start4.elf",
        `${SERIAL}/.config.txt`,
        `${SERIAL}/a/b/c/d/e`,
        `${"f".repeat(8)}/config.txt`,
      ]) {
        const r = await tftp(name);
        assert.equal(r.ok, false, name);
      }
      assert.equal(enforcer!.child.exitCode, null, "Enforcer still runs");
      assert.equal((await discover()).length, 1, "and still answers");
    });

    test("completion, then the next boot finds no directory and no root start4.elf: the Pi goes to its next boot mode", async () => {
      await inNs(pair!.clientNs, ["curl", "-sS", "--max-time", "10", "-X", "POST", completeUrl]);
      assert.equal((await api("GET", `/configs/${configId}`)).body.lifecycle.state, "completed");
      assert.equal((await discover()).length, 1);
      const probe = await tftp(`${SERIAL}/start4.elf`);
      assert.ok(!probe.ok && probe.code === 68, `serial directory: ${JSON.stringify(probe)}`);
      const rootProbe = await tftp("start4.elf");
      assert.ok(!rootProbe.ok && rootProbe.code === 68, `root: ${JSON.stringify(rootProbe)}`);
      const again = await tftp(`${SERIAL}/config.txt`);
      assert.ok(!again.ok && again.code === 68, JSON.stringify(again));
    });
  },
);
