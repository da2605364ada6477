// The examples/ profiles as a new user takes them: each created with the real CLI (`enforcer profiles create -f`)
// against a real `enforcer serve`, then previewed against a registered machine. A preview renders without
// fetching anything, so the upstream URLs the examples name are never contacted.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { startEnforcer, type EnforcerProcess } from "./support/enforcer-process.js";

const BIN = resolve("bin/enforcer.js");
const EXAMPLES = resolve("examples");

interface Case {
  file: string;
  mac: string;
  hostname: string;
  labels?: Record<string, string>;
  /** The kernel and initrd the machine loads, as the boot script names them. */
  kernel: string;
  initrd: string;
  /** What the kernel command line must carry (the installer's answers file, the image, ...). */
  args: (files: string) => string[];
  /** The provisioning files served, and what one of them must contain. */
  files: string[];
  answers: [file: string, mustContain: (files: string) => string[]];
}

const CASES: Case[] = [
  {
    file: "debian-bookworm.yaml",
    mac: "52:54:00:e0:00:01",
    hostname: "web1.lab.example",
    kernel:
      "http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux",
    initrd:
      "http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64/initrd.gz",
    args: (f) => [
      "auto=true",
      "priority=critical",
      `url=${f}preseed.cfg`,
      "hostname=web1",
      "domain=lab.example",
    ],
    files: ["preseed.cfg"],
    answers: [
      "preseed.cfg",
      (f) => [
        "d-i netcfg/get_hostname string web1.lab.example",
        "d-i partman-auto/disk string /dev/sda",
        `d-i preseed/late_command string wget -q -O- ${f}complete`,
      ],
    ],
  },
  {
    file: "ubuntu-noble.yaml",
    mac: "52:54:00:e0:00:02",
    hostname: "web2",
    kernel: "http://192.168.1.10/ubuntu-24.04-live-server-amd64/casper/vmlinuz",
    initrd: "http://192.168.1.10/ubuntu-24.04-live-server-amd64/casper/initrd",
    args: (f) => [
      "ip=dhcp",
      "url=https://releases.ubuntu.com/24.04/ubuntu-24.04.3-live-server-amd64.iso",
      "autoinstall",
      `ds=nocloud-net;s=${f}`,
    ],
    files: ["meta-data", "user-data", "vendor-data"],
    answers: ["user-data", (f) => ["hostname: web2", `- curl -fsS ${f}complete`]],
  },
  {
    file: "rocky-9.yaml",
    mac: "52:54:00:e0:00:03",
    hostname: "db1",
    kernel: "https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os/images/pxeboot/vmlinuz",
    initrd: "https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os/images/pxeboot/initrd.img",
    args: (f) => [
      "inst.repo=https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os",
      `inst.ks=${f}ks.cfg`,
      "ip=dhcp",
    ],
    files: ["ks.cfg"],
    answers: ["ks.cfg", (f) => ["network --bootproto=dhcp --hostname=db1", `curl -fsS ${f}complete`]],
  },
  {
    file: "flatcar-stable.yaml",
    mac: "52:54:00:e0:00:04",
    hostname: "k8s1",
    kernel: "https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_pxe.vmlinuz",
    initrd: "https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_pxe_image.cpio.gz",
    args: (f) => ["flatcar.first_boot=1", `ignition.config.url=${f}config.ign`],
    files: ["config.ign"],
    answers: [
      "config.ign",
      (f) => [
        '"source": "data:,k8s1"',
        `-C stable -i /tmp/config.ign`,
        `ExecStart=/usr/bin/curl -fsSo /tmp/config.ign ${f}config.ign`,
        `ExecStart=/usr/bin/curl -fsS ${f}complete`,
      ],
    ],
  },
  {
    file: "alpine.yaml",
    mac: "52:54:00:e0:00:05",
    hostname: "edge1",
    kernel: "https://dl-cdn.alpinelinux.org/alpine/v3.20/releases/x86_64/netboot/vmlinuz-lts",
    initrd: "https://dl-cdn.alpinelinux.org/alpine/v3.20/releases/x86_64/netboot/initramfs-lts",
    args: (f) => [
      "modloop=https://dl-cdn.alpinelinux.org/alpine/v3.20/releases/x86_64/netboot/modloop-lts",
      "alpine_repo=https://dl-cdn.alpinelinux.org/alpine/v3.20/main",
      "ip=dhcp",
      `apkovl=${f}enforcer.apkovl.tar.gz`,
    ],
    files: ["provision.sh"],
    answers: [
      "provision.sh",
      (f) => ["HOSTNAMEOPTS=edge1", 'DISKOPTS="-m sys /dev/sda"', `wget -q -O- ${f}complete`],
    ],
  },
  {
    // A Pi: the label makes the render apply the Pi rules (kernel and initrd are TFTP file names, one initrd).
    file: "raspberry-pi-os.yaml",
    mac: "dc:a6:32:e0:00:06",
    hostname: "pi1",
    labels: { "enforcer.dev/pi-serial": "9ffefdef" },
    kernel: "kernel8.img",
    initrd: "initramfs8",
    args: (f) => [
      "root=/dev/nfs",
      "nfsroot=192.168.1.10:/srv/nfs/raspios,vers=3,ro",
      `enforcer.provision=${f}provision`,
      "console=serial0,115200",
    ],
    files: ["provision"],
    answers: [
      "provision",
      (f) => [
        "curl -fsSL https://downloads.raspberrypi.com/raspios_lite_arm64_latest | xz -dc",
        "echo pi1 > /mnt/etc/hostname",
        `curl -fsS ${f}complete`,
      ],
    ],
  },
];

describe(
  "examples/: each profile created by the CLI and previewed against a machine",
  { timeout: 120_000 },
  () => {
    let e: EnforcerProcess;
    let env: NodeJS.ProcessEnv;
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8" });

    before(async () => {
      e = await startEnforcer();
      env = { ...process.env, ENFORCER_URL: e.base, ENFORCER_TOKEN: e.token };
    });
    after(() => e.stop());

    test("every example file is tested here, and each has a comment header saying what it installs and what to change", () => {
      const tested = new Set(CASES.map((c) => c.file));
      for (const f of readdirSync(EXAMPLES).filter((n) => n.endsWith(".yaml"))) {
        assert.ok(tested.has(f), `${f} has no case in this test`);
        const head = readFileSync(resolve(EXAMPLES, f), "utf8").split("\n").slice(0, 3).join("\n");
        assert.match(head, /^# \S/, `${f} starts with a comment`);
        assert.match(readFileSync(resolve(EXAMPLES, f), "utf8"), /^# Change: /m, `${f} says what to change`);
      }
    });

    test("the README's `profiles create -f` names a file in examples/, and its configs line that file's profile", () => {
      const readme = readFileSync("README.md", "utf8");
      const m = /enforcer profiles create -f (\S+)/.exec(readme);
      assert.ok(m, "the README has a profiles create -f line");
      const file = m[1]!;
      assert.ok(file.startsWith("examples/") && existsSync(file), `${file} exists in examples/`);
      const name = (parseYaml(readFileSync(file, "utf8")) as { name: string }).name;
      assert.match(readme, new RegExp(`enforcer configs create \\S+ ${name}\\b`));
    });

    for (const c of CASES)
      test(`${c.file}: created with profiles create -f, previewed for ${c.hostname}`, async () => {
        const path = `examples/${c.file}`;
        const name = (parseYaml(readFileSync(path, "utf8")) as { name: string }).name;
        const created = cli("profiles", "create", "-f", path, "--json");
        assert.equal(created.status, 0, created.stderr);
        assert.equal(JSON.parse(created.stdout).name, name);
        const reg = await e.api("POST", "/machines", {
          mac: c.mac,
          hostname: c.hostname,
          labels: c.labels ?? {},
        });
        assert.ok(reg.status < 300, JSON.stringify(reg.body));

        // What an operator reads: `enforcer profiles preview NAME MAC`, the scripts and the files.
        const shown = cli("profiles", "preview", name, c.mac);
        assert.equal(shown.status, 0, shown.stderr);
        const files = `${e.base}/p/preview-secret/`;
        const out = shown.stdout;
        assert.ok(out.includes(`kernel ${c.kernel}`), `kernel ${c.kernel} in:\n${out}`);
        assert.ok(
          out.split("\n").some((l) => /^initrd( --name \S+)? (\S+)$/.exec(l)?.[2] === c.initrd),
          `initrd ${c.initrd} in:\n${out}`,
        );
        for (const a of c.args(files)) assert.ok(out.includes(` ${a}`), `${a} on the kernel line:\n${out}`);
        for (const f of c.files) assert.ok(out.includes(`\n# file ${f}\n`), `file ${f} in:\n${out}`);

        // The same through the API: the rendered answers file holds this machine's values, nothing left unfilled.
        const p = await e.api<{ files: Record<string, string> }>("POST", `/profiles/${name}/preview`, {
          machine: c.mac,
        });
        assert.equal(p.status, 200, JSON.stringify(p.body));
        assert.deepEqual(Object.keys(p.body.files).sort(), [...c.files].sort());
        const [file, want] = c.answers;
        const text = p.body.files[file]!;
        for (const w of want(files))
          assert.ok(text.includes(w), `${file} has ${JSON.stringify(w)}:\n${text}`);
        assert.doesNotMatch(text, /\{\{|\{%/, `${file} has no template left`);
      });

    test("the README's flow from the example: configs create for the MAC it names, then arm", () => {
      // The Debian example's case above created `bookworm` with the README's own command.
      const cfg = cli("configs", "create", "52:54:00:12:34:56", "bookworm", "--json");
      assert.equal(cfg.status, 0, cfg.stderr);
      const armed = cli("configs", "arm", JSON.parse(cfg.stdout).id, "--json");
      assert.equal(armed.status, 0, armed.stderr);
      assert.equal(JSON.parse(armed.stdout).state, "armed");
    });

    test("the Pi rules hold for a Pi-labelled machine: the same profile with a kernel URL is refused", async () => {
      const pi = parseYaml(readFileSync("examples/raspberry-pi-os.yaml", "utf8")) as Record<string, unknown>;
      const bad = { ...pi, name: "raspios-url", kernel: "https://example.org/kernel8.img" };
      assert.equal((await e.api("POST", "/profiles", bad)).status, 201);
      const mac = "dc:a6:32:e0:00:07";
      await e.api("POST", "/machines", { mac, labels: { "enforcer.dev/pi-serial": "9ffefde0" } });
      const p = await e.api("POST", "/profiles/raspios-url/preview", { machine: mac });
      assert.equal(p.status, 422, JSON.stringify(p.body));
      assert.match(JSON.stringify(p.body), /ENF_ERR_PI_BOOT_FILE/);
    });
  },
);
