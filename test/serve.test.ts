import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmodSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";

import { join, resolve } from "node:path";
import { test } from "node:test";
import { startEnforcer } from "./support/enforcer-process.js";

test("a bad setting prints one line naming it and exits 2", () => {
  for (const [args, env, re] of [
    [
      ["--http-port", "70000"],
      {},
      /^enforcer: --http-port \(ENFORCER_HTTP_PORT\): .* \[ENF_ERR_SETTINGS_INVALID\]\n$/,
    ],
    [[], { ENFORCER_PUBLIC_URL: "not a url" }, /^enforcer: --public-url \(ENFORCER_PUBLIC_URL\)/],
    [["--bogus"], {}, /^enforcer: Unknown option '--bogus'/],
  ] as const) {
    const r = spawnSync(process.execPath, [resolve("bin/enforcer.js"), "serve", ...args], {
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

test("SIGTERM stops cleanly after in-flight writes, and a restart has every acknowledged change", async () => {
  const first = await startEnforcer();
  const created = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      first.api("POST", "/profiles", { name: `p${i}`, family: "custom", kernel: "http://m/k" }),
    ),
  );
  assert.ok(created.every((r) => r.status === 201));
  await fetch(`${first.base}/boot/machine?mac=52:54:00:aa:bb:cc&platform=pcbios`);
  assert.equal(await first.stop(), 0);
  const second = await startEnforcer([], { data: first.data });
  const profiles = await second.api<{ items: unknown[] }>("GET", "/profiles");
  assert.equal(profiles.body.items.length, 20);
  const m = await second.api<{ platform: string }>("GET", "/machines/52-54-00-AA-BB-CC");
  assert.equal(m.body.platform, "pcbios");
  assert.equal(await second.stop(), 0);
});

test("the start line tells where machines boot from", async () => {
  const e = await startEnforcer();
  assert.match(
    e.logs(),
    new RegExp(
      `enforcer: ready http=${e.port} tftp=off dhcp=off boot=http://127\\.0\\.0\\.1:${e.port}/boot\\.ipxe data=\\S+ ui=http://127\\.0\\.0\\.1:${e.port}/ui/\n`,
    ),
  );
  await e.stop();
});

test("over real HTTP, 50 concurrent fetches of one armed config trigger it exactly once", async () => {
  const e = await startEnforcer();
  await e.api("POST", "/profiles", {
    name: "p",
    family: "custom",
    kernel: "http://m/k",
    cmdline: "x={{complete_url}}",
  });
  const c = await e.api<{ id: string }>("POST", "/configs", { machine: "52:54:00:00:00:50", profile: "p" });
  await e.api("POST", `/configs/${c.body.id}/arm`);
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => fetch(`${e.base}/boot/machine?mac=525400000050&platform=pcbios`)),
  );
  assert.ok(answers.every((r) => r.status === 200));
  const events = await e.api<{ items: { kind: string }[] }>("GET", "/machines/52:54:00:00:00:50/events");
  const kinds = events.body.items.map((x) => x.kind);
  assert.equal(kinds.filter((k) => k === "config.triggered").length, 1);
  assert.equal(kinds.filter((k) => k === "config.retried").length, 49);
  await e.stop();
});

test("TFTP: an explicit port that is taken stops the start with one line; --no-tftp starts without it", async () => {
  const taken = createSocket("udp4");
  await new Promise<void>((r) => taken.bind(0, "127.0.0.1", r));
  const port = String(taken.address().port);
  const r = spawnSync(
    process.execPath,
    [
      resolve("bin/enforcer.js"),
      "serve",
      "--listen",
      "127.0.0.1",
      "--http-port",
      "0",
      "--tftp-port",
      port,
      "--data",
      mkdtempSync(join(tmpdir(), "enf-")),
    ],
    { encoding: "utf8" },
  );
  taken.close();
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^enforcer: --tftp-port ${port}: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\) \\[ENF_ERR_TFTP_BIND\\]\\n$`,
    ),
  );
  const e = await startEnforcer();
  assert.match(e.logs(), /tftp=off/);
  await e.stop();
});

test("first start: an admin token is shown once and written 0600; a restart keeps it and shows none", async () => {
  const first = await startEnforcer();
  assert.match(
    first.logs(),
    /enforcer: first start, admin token \(also in .*admin\.token, mode 0600\):\n {2}enf_[a-z0-9]{10}_\S{43}\n/,
  );
  assert.ok(first.logs().includes(first.token));
  assert.equal(statSync(join(first.data, "admin.token")).mode & 0o777, 0o600);
  assert.equal((await first.api("GET", "/tokens")).status, 200);
  assert.equal(await first.stop(), 0);
  // The data directory holds secrets: owner only, and loosened modes are tightened again at start.
  const store = join(first.data, "store");
  for (const d of [first.data, store]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
  for (const d of [first.data, store]) chmodSync(d, 0o755);
  for (const f of ["admin.token", ...readdirSync(store).map((n) => join("store", n))])
    chmodSync(join(first.data, f), 0o644);
  const second = await startEnforcer([], { data: first.data });
  assert.ok(!second.logs().includes("admin token"));
  assert.equal((await second.api("GET", "/tokens")).status, 200, "the first token still works");
  for (const d of [first.data, store]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
  for (const f of ["admin.token", ...readdirSync(store).map((n) => join("store", n))])
    assert.equal(statSync(join(first.data, f)).mode & 0o777, 0o600, f);
  assert.match(second.logs(), /took group and other permissions away/);
  await second.stop();
});

test("DHCP: --dhcp server without a range, or a range off the boot network, stops with one line; --dhcp proxy with no boot network it can find stops with one line", () => {
  const serve = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        resolve("bin/enforcer.js"),
        "serve",
        "--listen",
        "127.0.0.1",
        "--http-port",
        "0",
        "--no-tftp",
        ...args,
      ],
      { encoding: "utf8", env: { ...process.env, ENFORCER_DATA: mkdtempSync(join(tmpdir(), "enf-")) } },
    );
  const server = serve("--dhcp", "server");
  assert.equal(server.status, 1, server.stderr);
  assert.match(server.stderr, /^enforcer: --dhcp server needs --dhcp-range .*\[ENF_ERR_DHCP_RANGE\]\n$/);
  const off = serve(
    ...["--dhcp", "server", "--dhcp-subnet", "127.0.0.0/8", "--dhcp-range", "10.1.0.5-10.1.0.9"],
    ...["--dhcp-port", "0", "--dhcp-probe-wait", "0"],
  );
  assert.equal(off.status, 1, off.stderr);
  assert.match(
    off.stderr,
    /^enforcer: --dhcp-range 10.1.0.5-10.1.0.9: 10.1.0.5 is outside the boot network 127.0.0.0\/8 \[ENF_ERR_DHCP_RANGE\]\n$/,
  );
  // Loopback is no boot network: the proxy needs to be told which one.
  const proxy = serve("--dhcp", "proxy", "--dhcp-pxe-port", "0", "--dhcp-port", "0");
  assert.equal(proxy.status, 1, proxy.stderr);
  assert.match(proxy.stderr, /--dhcp-interface or --dhcp-subnet.*\[ENF_ERR_DHCP_NETWORK\]\n$/);
  assert.equal(proxy.stderr.trim().split("\n").length, 1, proxy.stderr);
});
