// The enforcer CLI end to end against a running server: the real binary on both sides.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "./support/enforcer-process.js";

const BIN = resolve("bin/enforcer.js");
const MAC = "52:54:00:cc:00:01";

describe("enforcer CLI", { timeout: 120_000 }, () => {
  let e: EnforcerProcess;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), "enforcer-cli-"));
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8" });

  before(async () => {
    e = await startEnforcer();
    env = { ...process.env, ENFORCER_URL: e.base, ENFORCER_TOKEN: e.token };
  });
  after(() => e.stop());

  test("create a profile from a file, a config, arm it; tables by default, JSON with --json", () => {
    const file = join(dir, "profile.yaml");
    writeFileSync(
      file,
      "name: cli-linux\nfamily: custom\nkernel: http://m/vmlinuz\ncmdline: done={{complete_url}}\n",
    );
    const created = cli("profiles", "create", "-f", file, "--json");
    assert.equal(created.status, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).name, "cli-linux");
    const table = cli("profiles", "list");
    assert.match(table.stdout, /^NAME\s+FAMILY\s+LOCATION\s+UPDATEDAT\ncli-linux\s+custom\s+-\s+\S+\n$/);
    const cfg = JSON.parse(cli("configs", "create", MAC, "cli-linux", "--json").stdout);
    const armed = cli("configs", "arm", cfg.id, "--json");
    assert.equal(JSON.parse(armed.stdout).state, "armed");
    assert.match(
      cli("configs", "list", "--state", "armed").stdout,
      new RegExp(`${cfg.id}\\s+${MAC}\\s+cli-linux\\s+armed`),
    );
    // The machine list shows each machine's state and filters by it.
    const list = cli("machines", "list", "--state", "armed").stdout;
    assert.match(list, new RegExp(`${MAC}\\s+\\S+\\s+armed`));
    assert.doesNotMatch(cli("machines", "list", "--state", "completed").stdout, new RegExp(MAC));
  });

  test("machines list --label repeated: only machines with every label (AND), counted right", () => {
    const reg = (mac: string, ...labels: string[]) => {
      const r = cli("machines", "register", mac, ...labels.flatMap((l) => ["--label", l]), "--json");
      assert.equal(r.status, 0, r.stderr);
    };
    reg("52:54:00:cc:10:01", "rack=r7", "role=db");
    reg("52:54:00:cc:10:02", "rack=r7", "role=web");
    reg("52:54:00:cc:10:03", "rack=r8", "role=db");
    const ids = (...args: string[]) => {
      const r = cli("machines", "list", ...args, "--json");
      assert.equal(r.status, 0, r.stderr);
      const page = JSON.parse(r.stdout) as { items: { id: string }[]; total: number };
      return { ids: page.items.map((m) => m.id), total: page.total };
    };
    assert.deepEqual(ids("--label", "rack=r7", "--label", "role=db"), {
      ids: ["52:54:00:cc:10:01"],
      total: 1,
    });
    assert.deepEqual(ids("--label", "role=db", "--label", "rack=r8"), {
      ids: ["52:54:00:cc:10:03"],
      total: 1,
    });
    assert.deepEqual(ids("--label", "rack=r7", "--label", "role=none"), { ids: [], total: 0 });
    assert.deepEqual(ids("--label", "rack=r7"), {
      ids: ["52:54:00:cc:10:01", "52:54:00:cc:10:02"],
      total: 2,
    });
    // Paging applies to the machines that have every label.
    assert.deepEqual(ids("--label", "rack=r7", "--label", "role=web", "--limit", "1"), {
      ids: ["52:54:00:cc:10:02"],
      total: 1,
    });
    // Each subcommand has its own options: one that belongs to another is a usage error, and help says so.
    assert.equal(cli("machines", "show", "52:54:00:cc:10:01", "--label", "a=b").status, 2);
    const help = cli("machines", "list", "--help");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--label <key=value>.*every label/s);
  });

  test("--url, --token and --json work before the resource, before the action or after it", () => {
    const after = cli("profiles", "list", "--json");
    assert.equal(after.status, 0, after.stderr);
    const names = JSON.parse(after.stdout).items.map((p: { name: string }) => p.name);
    for (const args of [
      ["--json", "profiles", "list"],
      ["profiles", "--json", "list"],
    ]) {
      const r = cli(...args);
      assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.deepEqual(
        JSON.parse(r.stdout).items.map((p: { name: string }) => p.name),
        names,
      );
    }
    // A flag given early is used, not dropped: a wrong --url ahead of the action means unreachable (6).
    const unreachable = cli("--url", "http://127.0.0.1:9", "machines", "list");
    assert.equal(unreachable.status, 6, unreachable.stderr);
    const badToken = cli("machines", "--token", "nope", "list");
    assert.equal(badToken.status, 3, badToken.stderr);
    // `agent` has its own --url and --token (the program's twins): written after it, they still reach it.
    // (With a token it runs, retrying the unreachable URL until stopped; without one it is a usage error, 2.)
    const agent = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, "agent", ...args], {
        env: { ...env, ENFORCER_TOKEN: "" },
        encoding: "utf8",
        timeout: 3000,
      });
    assert.equal(agent("--url", "http://127.0.0.1:9").status, 2);
    const running = agent("--url", "http://127.0.0.1:9", "--token", "t");
    assert.doesNotMatch(running.stderr, /needs an agent token/);
    assert.match(running.stderr, /report failed, retrying/);
  });

  test("exit codes mean something: usage 2, auth 3, not found 4, conflict 5, unreachable 6", () => {
    assert.equal(cli("frobnicate").status, 2);
    assert.equal(cli("configs", "show").status, 2);
    const unknown = cli("machines", "frobnicate");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^enforcer: machines: unknown action "frobnicate" \(list, show, /);
    const help = cli("--help");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /serve .*\n(.*\n)*.*Exit codes: 0 ok/);
    const bad = spawnSync(process.execPath, [BIN, "machines", "list"], {
      env: { ...env, ENFORCER_TOKEN: "enf_bad" },
      encoding: "utf8",
    });
    assert.equal(bad.status, 3);
    assert.match(bad.stderr, /\[ENF_ERR_AUTH_INVALID\]/);
    assert.equal(cli("machines", "show", "52:54:00:00:99:99").status, 4);
    assert.equal(cli("profiles", "create", "-f", join(dir, "profile.yaml")).status, 5);
    assert.equal(cli("machines", "list", "--url", "http://127.0.0.1:1").status, 6);
  });

  test("events --json follows the stream; arm --wait shows progress and ends when the config completes", async () => {
    // --after 0 replays from the start, so the follower misses nothing however late it connects.
    const follower = spawn(
      process.execPath,
      [BIN, "events", "--json", "--machine", "52:54:00:cc:00:02", "--after", "0"],
      {
        env,
      },
    );
    let streamed = "";
    follower.stdout.on("data", (d: Buffer) => (streamed += d.toString()));
    await new Promise((r) => setTimeout(r, 500));
    const cfg = JSON.parse(cli("configs", "create", "52:54:00:cc:00:02", "cli-linux", "--json").stdout);
    const waiter = spawn(process.execPath, [BIN, "configs", "arm", cfg.id, "--wait", "--timeout", "30"], {
      env,
    });
    let progress = "";
    waiter.stderr.on("data", (d: Buffer) => (progress += d.toString()));
    // The waiter is a new process: wait until it has armed the config, however slow the machine is.
    for (let i = 0; i < 200; i++) {
      if ((await e.api<{ state: string }>("GET", `/configs/${cfg.id}`)).body.state === "armed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const script = await fetch(`${e.base}/boot/machine?mac=52-54-00-cc-00-02&platform=pcbios`);
    assert.equal(script.status, 200);
    const done = /done=(\S+)/.exec(await script.text())![1]!;
    assert.equal((await fetch(done)).status, 200);
    const code = await new Promise((r) => waiter.on("exit", r));
    assert.equal(code, 0, progress);
    assert.match(progress, /triggered/);
    assert.match(progress, /completed/);
    follower.kill("SIGINT");
    await new Promise((r) => follower.on("exit", r));
    const kinds = streamed
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).kind);
    assert.deepEqual(
      kinds.filter((k) => k.startsWith("config.")),
      ["config.created", "config.armed", "config.triggered", "config.completed"],
    );
  });

  test("apply shows the difference, changes only that, and is idempotent; export round-trips", () => {
    const file = join(dir, "rack.yaml");
    writeFileSync(
      file,
      [
        "profiles:",
        "  - name: rack-debian",
        "    family: debian",
        "    location: http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64",
        "    provisioning: 'd-i netcfg/get_hostname string {{ hostname }}'",
        "remotes: [http://10.9.9.9:8080]",
        "machines:",
        "  - mac: 52-54-00-dd-00-01",
        "    hostname: web1.rack.example",
        "    labels: { rack: r1 }",
      ].join("\n"),
    );
    const dry = cli("apply", "-f", file, "--dry-run");
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /^\+ profile rack-debian\n~ remotes: \[\] -> \[http:\/\/10\.9\.9\.9:8080\]\n\+ machine 52-54-00-dd-00-01\n3 change\(s\) not applied \(--dry-run\)\n$/,
    );
    assert.match(cli("apply", "-f", file).stdout, /applied 3 change\(s\)/);
    const again = cli("apply", "-f", file);
    assert.match(
      again.stdout,
      /^= profile rack-debian\n= remotes\n= machine 52:54:00:dd:00:01\nno changes\n$/,
    );
    const exported = cli("export");
    assert.match(exported.stdout, /name: rack-debian/);
    assert.match(exported.stdout, /hostname: web1\.rack\.example/);
    writeFileSync(join(dir, "exported.yaml"), exported.stdout);
    assert.match(cli("apply", "-f", join(dir, "exported.yaml")).stdout, /no changes/);
  });

  test("conflicts: two agent tokens claiming one serial raise a conflict; list it, dismiss it, once", async () => {
    const report = async (token: string, mac: string) => {
      const r = await fetch(`${e.base}/api/v1/agent/report`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ macs: [mac], inventory: { serial: "SN-SHARED" } }),
      });
      assert.equal(r.status, 200);
      return (await r.json()) as { machine: string; conflicts: string[] };
    };
    const tokenOf = (name: string) => cli("tokens", "create", name, "agent").stdout.trim();
    await report(tokenOf("host-e1"), "52:54:00:ee:00:01");
    const second = await report(tokenOf("host-e2"), "52:54:00:ee:00:02");
    assert.equal(second.conflicts.length, 1);
    const [id] = second.conflicts;
    const list = cli("conflicts", "list");
    assert.equal(list.status, 0, list.stderr);
    assert.match(
      list.stdout,
      new RegExp(`${id}\\s+52:54:00:ee:00:02\\s+52:54:00:ee:00:01\\s+serial SN-SHARED\\s+agent token`),
    );
    assert.equal(cli("conflicts", "resolve", id!).status, 2, "--merge or --dismiss is required");
    const done = cli("conflicts", "resolve", id!, "--dismiss");
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /stay separate/);
    assert.equal(cli("conflicts", "resolve", id!, "--merge").status, 5);
    assert.match(cli("conflicts", "list").stdout, /^\(none\)\n$/);
    assert.match(cli("conflicts", "list", "--all").stdout, /dismissed/);
    // An agent token bound at creation: the list shows its machine.
    assert.equal(cli("tokens", "create", "host-e3", "agent", "--machine", "52-54-00-ee-00-03").status, 0);
    assert.match(cli("tokens", "list").stdout, /host-e3\s+agent\s+52:54:00:ee:00:03/);
  });
});
