// What a new user reads from the CLI: field views where JSON used to be, plain progress in logs, a reboot
// that no agent reaches, and an export that says what it left out. The real binary against a real server.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "./support/enforcer-process.js";
import { until } from "./support/until.js";

const BIN = resolve("bin/enforcer.js");

/**
 * The server closes a keep-alive socket idle for 10 s; the test's pooled socket, reused in that very moment,
 * fails once ("fetch failed"). A second try gets a new socket.
 */
async function again<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch(() => fn());
}
const PROFILE = "name: views\nfamily: custom\nkernel: http://m/vmlinuz\ncmdline: done={{complete_url}}\n";

describe("CLI views", { timeout: 120_000 }, () => {
  let e: EnforcerProcess;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), "enforcer-cli-views-"));
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8" });
  const ok = (...args: string[]) => {
    const r = cli(...args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    e = await startEnforcer();
    env = { ...process.env, ENFORCER_URL: e.base, ENFORCER_TOKEN: e.token };
    writeFileSync(join(dir, "views.yaml"), PROFILE);
  });
  after(async () => {
    await e.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("profiles create, configs create and show, discovery status: fields, not JSON; --json unchanged", async () => {
    const created = ok("profiles", "create", "-f", join(dir, "views.yaml"));
    assert.match(created.stdout, /^name +views\nfamily +custom\nkernel +http:\/\/m\/vmlinuz\n/);
    assert.match(created.stdout, /^cmdline +done=\{\{complete_url\}\}$/m);
    assert.doesNotMatch(created.stdout, /"/);
    assert.match(created.stderr, /next: enforcer configs create <MAC> views/);

    const mac = "52:54:00:ab:00:01";
    const draft = ok("configs", "create", mac, "views", "--var", "role=db");
    const id = /^id\s+(\S+)$/m.exec(draft.stdout)![1]!;
    assert.match(draft.stdout, new RegExp(`^machine\\s+${mac}\\nprofile\\s+views\\nstate\\s+draft\\n`, "m"));
    assert.match(draft.stdout, /^variables\s+role=db$/m);
    assert.match(draft.stdout, /^boots\s+- \(rendered when armed\)$/m);
    assert.match(draft.stderr, new RegExp(`next: enforcer configs arm ${id} --wait`));

    ok("configs", "arm", id, "--json");
    const shown = ok("configs", "show", id);
    assert.match(shown.stdout, /^state\s+armed\n/m);
    assert.match(shown.stdout, /^created\s+\S+\narmed\s+\d{4}-\d\d-\d\dT/m);
    assert.match(shown.stdout, /^boots\s+http:\/\/m\/vmlinuz$/m);
    assert.match(shown.stdout, /^args\s+done=http:\/\/127\.0\.0\.1:\d+\/p\/\S+\/complete /m);
    assert.doesNotMatch(shown.stdout, /[{}"]/);
    // --json is the API's answer, byte for byte what scripts read before.
    const api = await again(() => e.api("GET", `/configs/${id}`));
    assert.equal(ok("configs", "show", id, "--json").stdout, `${JSON.stringify(api.body)}\n`);

    const status = ok("discovery", "status");
    assert.match(status.stdout, /^discovery {2}off\nurl {8}- /);
    assert.match(status.stderr, /enforcer discovery on turns it on/);
    assert.deepEqual(JSON.parse(ok("discovery", "status", "--json").stdout), { enabled: false, url: null });
  });

  test("machines register/show, remotes, profiles show: readable, and profiles show round-trips with replace", async () => {
    const mac = "52:54:00:ab:00:07";
    const reg = ok("machines", "register", mac, "--hostname", "db7", "--label", "rack=r7");
    assert.match(
      reg.stdout,
      new RegExp(`^id\\s+${mac}\\nmacs\\s+${mac}\\nhostname\\s+db7\\nlabels\\s+rack=r7\\n`),
    );
    // Facts one per line, nested ones dotted, as an agent reports them.
    const token = ok("tokens", "create", "views-facts", "agent", "--machine", mac).stdout.trim();
    const report = await again(() =>
      fetch(`${e.base}/api/v1/agent/report`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ macs: [mac], inventory: { cpu: { count: 4 }, disks: [{ name: "sda" }] } }),
      }),
    );
    assert.equal(report.status, 200);
    const shown = ok("machines", "show", mac);
    assert.match(shown.stdout, /^origin\s+operator$/m);
    assert.match(shown.stdout, /^agents\s+json:views-facts$/m);
    assert.match(shown.stdout, /^facts\.cpu\.count\s+4$/m);
    assert.match(shown.stdout, /^facts\.disks\.0\.name\s+sda$/m);

    assert.equal(ok("remotes", "list").stdout, "(none)\n");
    const set = ok("remotes", "set", "http://10.9.9.1:8080", "http://10.9.9.2:8080");
    assert.match(set.stdout, /^ORDER\s+URL\n1\s+http:\/\/10\.9\.9\.1:8080\n2\s+http:\/\/10\.9\.9\.2:8080\n$/);
    assert.deepEqual(JSON.parse(ok("remotes", "list", "--json").stdout), {
      remotes: ["http://10.9.9.1:8080", "http://10.9.9.2:8080"],
    });
    ok("remotes", "set");

    // The profile from the first test, as YAML: edit it, hand it back to replace.
    const yaml = ok("profiles", "show", "views").stdout;
    assert.match(
      yaml,
      /^# created \S+, updated \S+\nname: views\nfamily: custom\nkernel: http:\/\/m\/vmlinuz\n/,
    );
    writeFileSync(join(dir, "edited.yaml"), yaml.replace("http://m/vmlinuz", "http://m/vmlinuz-2"));
    ok("profiles", "replace", "views", "-f", join(dir, "edited.yaml"));
    assert.equal(JSON.parse(ok("profiles", "show", "views", "--json").stdout).kernel, "http://m/vmlinuz-2");
  });

  test("configs arm --wait through a pipe: one plain line per state, no \\r, no escape codes", async () => {
    const mac = "52:54:00:ab:00:02";
    const id = JSON.parse(ok("configs", "create", mac, "views", "--json").stdout).id as string;
    const waiter = spawn(process.execPath, [BIN, "configs", "arm", id, "--wait", "--timeout", "60"], { env });
    let progress = "";
    waiter.stderr.on("data", (d: Buffer) => (progress += d.toString()));
    await until("the config armed", async () =>
      (await again(() => e.api<{ state: string }>("GET", `/configs/${id}`))).body.state === "armed"
        ? true
        : undefined,
    );
    // Longer than the terminal's one-second redraw: a log would have collected ticks by now.
    await new Promise((r) => setTimeout(r, 1500));
    const script = await again(() =>
      fetch(`${e.base}/boot/machine?mac=${mac.replaceAll(":", "-")}&platform=pcbios`),
    );
    assert.equal(script.status, 200);
    const done = /done=(\S+)/.exec(await script.text())![1]!;
    assert.equal((await again(() => fetch(done))).status, 200);
    assert.equal(await new Promise((r) => waiter.on("exit", r)), 0, progress);
    assert.equal(
      progress,
      ["armed", "triggered", "completed"].map((s) => `config ${id} on ${mac}: ${s}\n`).join(""),
    );
    assert.doesNotMatch(progress, /[\r\x1b]/);
  });

  test("commands reboot that no agent reaches: queued, says what happens next, exit 7", () => {
    const mac = "52:54:00:ab:00:03";
    ok("machines", "register", mac, "--json");
    const started = Date.now();
    const r = cli("commands", "reboot", mac, "--wait", "1");
    assert.equal(r.status, 7, r.stderr);
    assert.ok(Date.now() - started >= 1000, "it waited for an agent first");
    assert.match(
      r.stdout,
      new RegExp(`^id\\s+\\S+\\nmachine\\s+${mac}\\ntype\\s+reboot\\nstate\\s+queued\\n`),
    );
    assert.match(
      r.stderr,
      new RegExp(
        `^enforcer: neither an agent nor power control reaches ${mac} now: none took the reboot within 1 s`,
      ),
    );
    assert.match(r.stderr, /stays queued.*\n.*reboots at that moment/);
    assert.match(r.stderr, /by hand, or give it power control/);
    assert.match(r.stderr, new RegExp(`enforcer power set ${mac} --driver ipmi .*--password-file F`));
    // --json: the same command record as before, and the same exit code (a script must learn it too).
    const j = cli("commands", "reboot", mac, "--wait", "0", "--json");
    assert.equal(j.status, 7);
    assert.equal(JSON.parse(j.stdout).state, "queued");
    assert.equal(cli("commands", "reboot", mac, "--wait", "soon").status, 2);
  });

  test("commands reboot with the shipped agent polling: sent to it, exit 0, no hint", async () => {
    const token = ok("tokens", "create", "views-host", "agent").stdout.trim();
    const log = join(dir, "agent.log");
    const fd = openSync(log, "w");
    const agent = spawn(process.execPath, [BIN, "agent", "--url", e.base, "--token", token], {
      env: { ...process.env, ENFORCER_REBOOT_CMD: "true" }, // a harmless stand-in for reboot -f
      stdio: ["ignore", fd, fd],
      detached: true, // its own process group, killed as a whole at the end
    });
    try {
      const host = await until("the host's report", async () => {
        if (agent.exitCode !== null) throw new Error(`agent exited: ${readFileSync(log, "utf8")}`);
        const r = await again(() =>
          e.api<{ items: { id: string; agents?: string[] }[] }>("GET", "/machines"),
        );
        return r.body.items.find((m) => m.agents?.includes("json:views-host"));
      });
      // Wait until its long poll is open: a report comes before the first poll.
      await new Promise((r) => setTimeout(r, 1000));
      const r = cli("commands", "reboot", host.id, "--wait", "20");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^state\s+(sent|acknowledged)$/m);
      assert.match(r.stdout, /^agent\s+json:views-host$/m);
      assert.equal(r.stderr, "");
    } finally {
      try {
        process.kill(-agent.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      closeSync(fd);
    }
  });

  test("commands reboot whose agent reports failure: exit 1 and the agent's reason", async () => {
    const mac = "52:54:00:ab:00:08";
    ok("machines", "register", mac, "--json");
    const token = ok("tokens", "create", "views-failing", "agent", "--machine", mac).stdout.trim();
    const agent = (path: string, body?: unknown) =>
      fetch(`${e.base}/api/v1/agent/${path}`, {
        method: body ? "POST" : "GET",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    // A JSON agent's long poll, open before the reboot is queued: it takes it at once, then says it failed.
    const poll = agent(`commands?wait=30&mac=${mac}`);
    await new Promise((r) => setTimeout(r, 500));
    const run = spawn(process.execPath, [BIN, "commands", "reboot", mac, "--wait", "20"], { env });
    let out = "";
    let err = "";
    run.stdout.on("data", (d: Buffer) => (out += d.toString()));
    run.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const taken = (await (await poll).json()) as { items: { id: string }[] };
    assert.equal(taken.items.length, 1);
    const ack = await agent(`commands/${taken.items[0]!.id}?mac=${mac}`, {
      ok: false,
      detail: "no \x1b[31mpower",
    });
    assert.equal(ack.status, 200);
    assert.equal(await new Promise((r) => run.on("exit", r)), 1, err);
    assert.match(out, /^state\s+failed$/m);
    assert.equal(err, `enforcer: the reboot of ${mac} failed: no ?[31mpower\n`);
  });

  test("a reader that leaves early (`| head`) ends the command quietly with 0, not an EPIPE stack trace", async () => {
    const run = spawn(process.execPath, [BIN, "profiles", "list"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    run.stdout.destroy();
    let err = "";
    run.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => run.on("exit", r));
    assert.equal(err, "");
    assert.equal(code, 0);
  });

  test("export says how many machines it left out; --all includes them; a registered bare MAC is kept", async () => {
    ok("machines", "register", "52:54:00:ab:00:04", "--json");
    // Two machines that only booted: state, not setup.
    for (const m of ["52-54-00-ab-00-05", "52-54-00-ab-00-06"])
      assert.equal((await again(() => fetch(`${e.base}/boot/machine?mac=${m}`))).status, 404);
    const all = (await again(() => e.api<{ total: number }>("GET", "/machines?limit=1"))).body.total;
    const r = ok("export");
    assert.match(r.stdout, /- mac: 52:54:00:ab:00:04\n/);
    assert.doesNotMatch(r.stdout, /52:54:00:ab:00:0[56]/);
    const left = Number(/^export: left out (\d+) machine\(s\) nobody registered/.exec(r.stderr)?.[1]);
    assert.ok(left >= 2, r.stderr);
    assert.match(r.stderr, /--all includes them/);
    const everything = ok("export", "--all", "--json");
    const doc = JSON.parse(everything.stdout) as { machines: { mac: string }[] };
    assert.equal(doc.machines.length, all);
    assert.ok(doc.machines.some((m) => m.mac === "52:54:00:ab:00:05"));
    assert.equal(everything.stderr, "");
    // A provisioning line over 80 characters: the file keeps each line as it is (`|`), not folded into
    // `>` with a blank line between every two lines.
    ok("profiles", "create", "-f", "examples/debian-bookworm.yaml");
    const hash = readFileSync("examples/debian-bookworm.yaml", "utf8").match(
      /^ *(d-i passwd\/root-password-crypted .*)$/m,
    )![1]!;
    assert.ok(hash.length > 80, hash);
    const yaml = ok("export").stdout;
    assert.match(yaml, /^    provisioning: \|\n/m);
    assert.ok(yaml.includes(`\n      ${hash}\n      d-i `), yaml);
    assert.match(ok("profiles", "show", "bookworm").stdout, /^provisioning: \|/m);
    writeFileSync(join(dir, "all.yaml"), ok("export", "--all").stdout);
    assert.match(ok("apply", "-f", join(dir, "all.yaml")).stdout, /no changes/);
  });
});
