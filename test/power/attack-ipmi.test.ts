// Attacks on the IPMI driver's ipmitool call: credentials and addresses that look like options, shell or
// format strings reach a recording stand-in for ipmitool exactly as one argument each (the password never in
// argv); the real ipmitool's environment (which holds the password) is readable by its owner only.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parsePowerInput } from "../../src/domain/power-input.js";
import { isEnforcerError } from "../../src/domain/errors.js";
import { ipmiDriver } from "../../src/power/ipmi/ipmi-driver.js";

const dir = mkdtempSync(join(tmpdir(), "attack-ipmi-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in ipmitool: writes its argv (NUL-separated) and environment to files, answers "Chassis Power is on". */
function recordingTool(): { tool: string; argv: () => string[]; env: () => string[] } {
  const tool = join(dir, "ipmitool");
  writeFileSync(
    tool,
    `#!/bin/sh\nprintf '%s\\0' "$@" > '${dir}/argv'\nenv -0 > '${dir}/env'\necho 'Chassis Power is on'\n`,
  );
  chmodSync(tool, 0o700);
  const read = (f: string) => readFileSync(join(dir, f), "utf8").split("\0").slice(0, -1);
  return { tool, argv: () => read("argv"), env: () => read("env") };
}

const HOSTILE_USERS = [" -o ProxyCmd=x", "a b", "user@host", "%n%s%x", "$(id)", "`id`", "a;b|c&d", "\\'\""];
const HOSTILE_PASSWORDS = [
  "-o x",
  "--",
  "-E-Lx",
  "-H 1.2.3.4",
  "%n%n%n%n",
  "$(reboot)",
  "p w@x:y/z",
  "a'b\"c\\d",
];

test("attack ipmi: option-, shell- and format-looking users and passwords reach ipmitool as one argument each, the password only in its environment", async () => {
  const rec = recordingTool();
  const driver = ipmiDriver({ ipmitool: rec.tool });
  for (const [i, username] of HOSTILE_USERS.entries()) {
    const password = HOSTILE_PASSWORDS[i % HOSTILE_PASSWORDS.length]!;
    const input = parsePowerInput({ driver: "ipmi", address: "10.0.0.9:6230", username, password });
    const r = await driver.run(
      {
        machine: "m",
        address: input.address!,
        username: input.username!,
        password: input.password!,
        options: {},
      },
      "status",
      AbortSignal.timeout(5000),
    );
    assert.equal(r.state, "on");
    const argv = rec.argv();
    assert.equal(argv[argv.indexOf("-U") + 1], username, `user ${username}: ${JSON.stringify(argv)}`);
    assert.equal(argv[argv.indexOf("-H") + 1], "10.0.0.9");
    assert.deepEqual(argv.slice(-3), ["chassis", "power", "status"]);
    assert.ok(argv.includes("-E"));
    assert.ok(
      !argv.some((a) => a.includes(password)),
      `password ${password} in argv ${JSON.stringify(argv)}`,
    );
    const env = rec.env();
    assert.ok(env.includes(`IPMI_PASSWORD=${password}`), "the password is not in IPMI_PASSWORD");
    // Nothing of ours leaks to the tool beyond PATH, the locale and the password.
    const names = env
      .map((e) => e.slice(0, e.indexOf("=")))
      .filter((n) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(n));
    assert.deepEqual(names.sort(), ["IPMI_PASSWORD", "LC_ALL", "PATH"]);
  }
});

test("attack ipmi: addresses that would read as options or carry a user are refused before any tool runs", () => {
  for (const address of [
    "-oProxyCommand=x",
    "--",
    "-H",
    "a b",
    "admin@10.0.0.1",
    "10.0.0.1:-1",
    "10.0.0.1:0",
    "[::1]:x",
    "[::1%eth0]",
    "10.0.0.1/24",
    "10.0.0.1#x",
    "host?x",
    "%2f",
    "..",
    "a..b",
    "-a.example",
  ]) {
    assert.throws(
      () => parsePowerInput({ driver: "ipmi", address, username: "admin", password: "x" }),
      (e) => isEnforcerError(e, "ENF_ERR_POWER_INVALID"),
      address,
    );
  }
  for (const username of ["-U", "-oX", "a\nb", "a\rb", "a\0b", "é", "a".repeat(17)]) {
    assert.throws(
      () => parsePowerInput({ driver: "ipmi", address: "10.0.0.1", username, password: "x" }),
      (e) => isEnforcerError(e, "ENF_ERR_POWER_INVALID"),
      JSON.stringify(username),
    );
  }
});

test("attack ipmi: the real ipmitool's environment (it holds the password) is its owner's only; its argv never holds it", async () => {
  const silent = createSocket("udp4");
  await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
  const password = "EnvOnly-3b9f1c";
  const ac = new AbortController();
  const run = ipmiDriver().run(
    { machine: "m", address: `127.0.0.1:${silent.address().port}`, username: "admin", password, options: {} },
    "status",
    ac.signal,
  );
  let child: string | undefined;
  for (let i = 0; i < 100 && !child; i++) {
    await new Promise((r) => setTimeout(r, 50));
    child = readdirSync("/proc").find((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        return /^\d+ \(ipmitool\) \S (\d+)/.exec(stat)?.[1] === String(process.pid);
      } catch {
        return false;
      }
    });
  }
  try {
    assert.ok(child, "no ipmitool child seen (is ipmitool installed? scripts/ensure-peers.sh)");
    const st = statSync(`/proc/${child}/environ`);
    assert.equal(st.mode & 0o077, 0, `environ mode ${(st.mode & 0o777).toString(8)}`);
    assert.equal(st.uid, process.getuid?.(), "ipmitool runs as another user (setuid?)");
    assert.ok(!readFileSync(`/proc/${child}/cmdline`, "utf8").includes(password));
  } finally {
    ac.abort();
    await run.catch(() => undefined);
    silent.close();
  }
});
