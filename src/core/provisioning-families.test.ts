// Hostile values from agent facts, labels, hostnames and variables, per OS family: each file is either
// rendered so that its real reader (sh, Python's shlex, PyYAML, JSON.parse, debconf's line format) gets the
// literal value back with the template's structure, or arming is refused with a coded error naming the value.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError, type EnforcerError } from "../domain/errors.js";
import { isIpxeSafe } from "../domain/ipxe-safe.js";
import { newMachine } from "../domain/machine.js";
import type { Mac } from "../domain/mac.js";
import type { OsFamily } from "../domain/profile.js";
import { LINE_OR_CONTROL } from "../domain/value-rules.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { COLLECTIONS } from "../store/collections.js";
import { testCore } from "./testing/fixtures.js";
import { preseedLines, pyShlex, pyYaml, runSh } from "./testing/readers.js";

const MAC = "52:54:00:00:00:01" as Mac;

/** Values an agent on the boot network could report (or an operator paste): one per attack. */
const HOSTILE: readonly string[] = [
  "eth0\nd-i preseed/late_command string touch /tmp/pwned", // newline + injected directive
  "eth0\r%post\ntouch /tmp/pwned", // CR, then a kickstart section
  'eth"0',
  "eth'0",
  "$(echo PWNED)",
  "`echo PWNED`",
  "eth0: {pwned: true}", // a YAML key
  "eth0 #pwned", // a YAML comment
  'eth0"}, "pwned": {"x": "', // a JSON member
  "eth0\u2028pwned: 1", // U+2028, a line break for Python and YAML 1.1
  "eth0\u2029pwned",
  "eth0\u0000pwned", // NUL
  "eth0\\", // a trailing backslash joins preseed lines
  "eth0; echo PWNED",
];

async function arm(family: OsFamily, provisioning: string, v: string, hostname = "web1") {
  const store = new MemoryStore();
  const machine = {
    ...newMachine(MAC, "agent", "2026-01-01T00:00:00.000Z"),
    hostname,
    labels: { role: v }, // labels are checked when set; this is the check behind that one
    facts: { nics: [{ mac: MAC, name: v }], vendor: v, product: v, disks: [{ model: v }] },
  };
  await store.commit([{ op: "put", collection: COLLECTIONS.machines, id: MAC, value: machine }]);
  const { core } = testCore({}, store);
  await core.profiles.create({
    name: "p",
    family,
    ...(family === "custom"
      ? { kernel: "http://m/k", initrds: [], cmdline: "" }
      : family === "ipxe"
        ? { ipxe: "#!ipxe\nexit" }
        : { location: "http://m/os" }),
    ...(family === "ubuntu" ? { image: "http://m/os.iso" } : {}),
    variables: { alpine_repo: "http://m/alpine" },
    provisioning,
  });
  const c = await core.configs.create({ machine: MAC, profile: "p", variables: { proxy: v } });
  try {
    return { files: (await core.configs.arm(c.id)).files! };
  } catch (err) {
    return { error: err as EnforcerError };
  }
}

interface Case {
  family: OsFamily;
  file: string;
  template: string;
  refuses: (v: string) => boolean;
  check: (text: string, v: string) => void;
}

const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

const CASES: Case[] = [
  {
    family: "debian",
    file: "preseed.cfg",
    template: [
      "d-i netcfg/choose_interface select {{ interface }}",
      "d-i netcfg/get_domain string {{ labels.role }}",
      "# disk: {{ facts.disks[0].model }}",
      "d-i mirror/http/proxy string {{ proxy }}",
      "d-i preseed/late_command string printf '%s|' {{ facts.vendor | shell }} {{ facts.product | shell }}",
      "",
    ].join("\n"),
    refuses: (v) => LINE_OR_CONTROL.test(v) || v.endsWith("\\"),
    check: (text, v) => {
      const lines = preseedLines(text);
      assert.deepEqual(
        lines.map((l) => l.slice(0, 2).join(" ")),
        [
          "d-i netcfg/choose_interface",
          "d-i netcfg/get_domain",
          "d-i mirror/http/proxy",
          "d-i preseed/late_command",
        ],
      );
      assert.deepEqual(
        lines.slice(0, 3).map((l) => l[3]),
        [v, v, v],
      );
      assert.equal(runSh(lines[3]![3]!), `${v}|${v}|`);
    },
  },
  {
    family: "ubuntu",
    file: "user-data",
    template: [
      "#cloud-config",
      "autoinstall:",
      "  version: 1",
      "  network:",
      "    ethernets:",
      "      {{ interface }}:",
      "        dhcp4: true",
      "  identity:",
      '    realname: "{{ facts.vendor }} {{ facts.product }}"',
      "    username: '{{ labels.role }}'",
      "  storage:",
      "    layout: {name: lvm, match: {model: {{ facts.disks[0].model }}}}",
      "  late-commands:",
      "    - printf '%s' {{ proxy | shell }} > /target/etc/proxy",
      "",
    ].join("\n"),
    refuses: () => false,
    check: (text, v) => {
      const doc = pyYaml(text) as Record<string, unknown> | undefined;
      assert.deepEqual(doc, {
        autoinstall: {
          version: 1,
          network: { ethernets: { [v]: { dhcp4: true } } },
          identity: { realname: `${v} ${v}`, username: v },
          storage: { layout: { name: "lvm", match: { model: v } } },
          "late-commands": [`printf '%s' ${sh(v)} > /target/etc/proxy`],
        },
      });
    },
  },
  {
    family: "rhel",
    file: "ks.cfg",
    template: [
      "network --bootproto=dhcp --device={{ interface }}",
      'user --name=admin --gecos="{{ facts.vendor }}"',
      "# {{ facts.disks[0].model }}",
      "%post",
      "printf '%s|' {{ facts.product | shell }} {{ proxy | shell }}",
      "%end",
      "",
    ].join("\n"),
    refuses: (v) => LINE_OR_CONTROL.test(v) || /[\s'"\\]/.test(v),
    check: (text, v) => {
      const lines = text.split("\n");
      assert.equal(lines.length, 7);
      assert.equal(lines[3], "%post");
      assert.equal(runSh(lines[4]!), `${v}|${v}|`);
      const network = pyShlex(lines[0]!);
      assert.deepEqual(network, ["network", "--bootproto=dhcp", `--device=${v}`]);
      assert.deepEqual(pyShlex(lines[1]!), ["user", "--name=admin", `--gecos=${v}`]);
    },
  },
  ...(["fedora-coreos", "flatcar"] as const).map((family): Case => ({
    family,
    file: "config.ign",
    template: JSON.stringify({
      ignition: { version: "3.4.0" },
      passwd: { users: [{ name: "core", gecos: "{{ facts.vendor }}" }] },
      storage: { files: [{ path: "/etc/nic", contents: { source: "data:,{{ interface | url_encode }}" } }] },
      systemd: { units: [{ name: "{{ labels.role }}.service", enabled: false }] },
    }).replace('"enabled":false', '"enabled":false,"x":{"{{ proxy }}":{{ facts.disks | json }}}'),
    refuses: () => false,
    check: (text, v) => {
      assert.deepEqual(JSON.parse(text), {
        ignition: { version: "3.4.0" },
        passwd: { users: [{ name: "core", gecos: v }] },
        storage: {
          files: [
            { path: "/etc/nic", contents: { source: `data:,${encodeURIComponent(v).replace(/%20/g, "+")}` } },
          ],
        },
        systemd: { units: [{ name: `${v}.service`, enabled: false, x: { [v]: [{ model: v }] } }] },
      });
    },
  })),
  {
    family: "alpine",
    file: "provision.sh",
    template:
      "#!/bin/sh\n# {{ facts.product | shell }}\nprintf '%s|' {{ interface | shell }} {{ labels.role | shell }}\n",
    refuses: (v) => LINE_OR_CONTROL.test(v) || v.includes("\0"), // the comment line
    check: (text, v) => assert.equal(runSh(text), `${v}|${v}|`),
  },
  {
    family: "alpine",
    file: "provision.sh",
    template: "#!/bin/sh\nprintf '%s|' {{ interface | shell }} {{ proxy | shell }}\n",
    refuses: (v) => v.includes("\0"),
    check: (text, v) => assert.equal(runSh(text), `${v}|${v}|`),
  },
  {
    family: "custom",
    file: "provision",
    template: "#!/bin/sh\necho {{ interface }}\n",
    refuses: () => true, // every hostile value has a character a shell would read
    check: () => assert.fail("rendered"),
  },
  {
    family: "custom",
    file: "provision",
    template: "nic={{ interface }}\nrole={{ labels.role }}\n",
    refuses: (v) => LINE_OR_CONTROL.test(v),
    check: (text, v) => assert.deepEqual(text.split("\n"), [`nic=${v}`, `role=${v}`, ""]),
  },
  {
    family: "ipxe",
    file: "provision",
    template: "#!ipxe\nset nic {{ interface }}\n",
    refuses: (v) => !isIpxeSafe(v),
    check: (text, v) => assert.equal(text, `#!ipxe\nset nic ${v}\n`),
  },
];

for (const c of CASES) {
  test(`${c.family} ${c.file} (${c.template
    .split("\n")
    .find((l) => l.includes("{{"))!
    .slice(0, 40)}): hostile values are escaped or refused by name`, async () => {
    for (const v of HOSTILE) {
      const r = await arm(c.family, c.template, v);
      const what = `${c.family} ${JSON.stringify(v)}`;
      if (c.refuses(v)) {
        assert.ok(r.error, `${what}: expected a refusal, got ${JSON.stringify(r.files?.[c.file])}`);
        assert.ok(
          isEnforcerError(r.error, "ENF_ERR_PROVISIONING_UNSAFE_VALUE"),
          `${what}: ${String(r.error)}`,
        );
        assert.equal(r.error.details.file, c.file, what);
        assert.match(String(r.error.details.variable), /^(interface|proxy|labels\.role|facts\.)/, what);
        assert.match(r.error.message, new RegExp(`^${c.file} line \\d+: the value of `), what);
      } else {
        assert.ok(r.files, `${what}: refused: ${String(r.error?.message)}`);
        c.check(r.files[c.file]!, v);
      }
    }
  });
}

test("ubuntu meta-data: a hostile hostname stays one YAML value (Enforcer's own template is escaped too)", async () => {
  const r = await arm("ubuntu", "#cloud-config\n", "x", "web1\ninstance-id: evil");
  assert.ok(r.files, String(r.error));
  const meta = pyYaml(r.files["meta-data"]!) as Record<string, unknown> | undefined;
  if (meta) assert.equal(meta["local-hostname"], "web1\ninstance-id: evil");
  assert.equal(r.files["meta-data"]!.split("\n").length, 3);
});

test("safe values render exactly as written, in every format", async () => {
  const r = await arm(
    "debian",
    "d-i netcfg/choose_interface select {{ interface }}\n# {{ proxy }}\n",
    "enp0s3",
  );
  assert.equal(r.files?.["preseed.cfg"], "d-i netcfg/choose_interface select enp0s3\n# enp0s3\n");
  const y = await arm(
    "ubuntu",
    '#cloud-config\nautoinstall:\n  x: {{ interface }}\n  y: "{{ proxy }}"\n',
    "enp0s3",
  );
  assert.equal(y.files?.["user-data"], '#cloud-config\nautoinstall:\n  x: enp0s3\n  y: "enp0s3"\n');
  const j = await arm("flatcar", '{"a": "{{ interface }}", "n": {{ facts.disks | size }}}', "enp0s3");
  assert.equal(j.files?.["config.ign"], '{"a": "enp0s3", "n": 1}');
  const s = await arm("alpine", "#!/bin/sh\necho {{ interface }} {{ files_url }}\n", "enp0s3");
  assert.match(
    s.files?.["provision.sh"] ?? "",
    /^#!\/bin\/sh\necho enp0s3 http:\/\/enf\.test:8080\/p\/[\w-]+\/\n$/,
  );
});

test("a rendered Ignition or cloud-init file that does not parse is refused at arm time", async () => {
  const j = await arm("fedora-coreos", '{"ignition": "{{ interface }}"', "x");
  assert.ok(isEnforcerError(j.error, "ENF_ERR_PROVISIONING_INVALID"), String(j.error));
  assert.equal(j.error.details.file, "config.ign");
  const y = await arm("ubuntu", "#cloud-config\na: [\n", "x");
  assert.ok(isEnforcerError(y.error, "ENF_ERR_PROVISIONING_INVALID"), String(y.error));
});

test("preview refuses the same value with the same coded error, and nothing is stored", async () => {
  const store = new MemoryStore();
  const machine = {
    ...newMachine(MAC, "agent", "2026-01-01T00:00:00.000Z"),
    facts: { nics: [{ mac: MAC, name: "eth0\nd-i x/y string z" }] },
  };
  await store.commit([{ op: "put", collection: COLLECTIONS.machines, id: MAC, value: machine }]);
  const { core } = testCore({}, store);
  await core.profiles.create({
    name: "p",
    family: "debian",
    location: "http://m/d",
    provisioning: "d-i netcfg/choose_interface select {{ interface }}\n",
  });
  assert.throws(
    () => core.renderer.preview("p", MAC),
    (e) =>
      isEnforcerError(e, "ENF_ERR_PROVISIONING_UNSAFE_VALUE") &&
      e.details.variable === "interface" &&
      /^preseed\.cfg line 1: the value of interface \(also facts\.nics\[0\]\.name\), "eth0\\nd-i x\/y string z"/.test(
        e.message,
      ),
  );
  assert.equal(core.configs.list().length, 0);
});
