import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { DEFAULT_LIMITS } from "../core/ports.js";
import { loadSettings } from "./load.js";

test("defaults apply and the result is frozen", () => {
  const s = loadSettings([], {});
  assert.deepEqual(
    [s.data, s.httpPort, s.listen, s.retryWindow, s.discovery, s.remote],
    ["./data", 8080, "0.0.0.0", 300, false, []],
  );
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.remote));
});

test("file < environment < flags, with both spellings in the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-cfg-"));
  const file = join(dir, "enforcer.yaml");
  writeFileSync(file, "http-port: 9000\nretryWindow: 30\nremote:\n  - http://10.0.0.2:8080\n");
  const env = {
    ENFORCER_CONFIG: file,
    ENFORCER_HTTP_PORT: "9100",
    ENFORCER_DISCOVERY: "true",
    ENFORCER_DISCOVERY_URL: "http://img/discovery.ipxe",
  };
  const s = loadSettings(["--http-port", "9200", "--remote", "http://a:1", "--remote", "http://b:2"], env);
  assert.deepEqual(
    [s.httpPort, s.retryWindow, s.discovery, s.remote],
    [9200, 30, true, ["http://a:1", "http://b:2"]],
  );
  assert.equal(loadSettings([], env).httpPort, 9100);
  assert.deepEqual(loadSettings([], { ENFORCER_CONFIG: file }).remote, ["http://10.0.0.2:8080"]);
});

test("TFTP settings: on by default with port 69 left to the daemon; flags and limits", () => {
  const d = loadSettings([], {});
  assert.deepEqual([d.tftp, d.tftpPort, d.tftpMaxBlksize, d.tftpMaxWindowsize], [true, undefined, 1468, 64]);
  const s = loadSettings(
    ["--no-tftp", "--tftp-port", "16969", "--tftp-root", "/srv/tftp", "--tftp-max-blksize", "8192"],
    {},
  );
  assert.deepEqual([s.tftp, s.tftpPort, s.tftpRoot, s.tftpMaxBlksize], [false, 16969, "/srv/tftp", 8192]);
  assert.throws(
    () => loadSettings(["--tftp-max-blksize", "70000"], {}),
    /--tftp-max-blksize \(ENFORCER_TFTP_MAX_BLKSIZE\)/,
  );
});

test("a bad value is one clear error naming the flag and its environment variable", () => {
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [["--http-port", "99999"], {}, /--http-port \(ENFORCER_HTTP_PORT\)/],
    [["--http-port", "eighty"], {}, /--http-port/],
    [[], { ENFORCER_RETRY_WINDOW: "0" }, /--retry-window \(ENFORCER_RETRY_WINDOW\)/],
    [["--public-url", "http://a b"], {}, /--public-url/],
    [["--remote", "ftp://x"], {}, /--remote/],
    // Values the schema allows that could never go into an iPXE script: refused at start, like in the API.
    [
      ["--discovery-url", "http://img/d.ipxe?mac=${net0/mac}"],
      {},
      /--discovery-url \(ENFORCER_DISCOVERY_URL\): .*iPXE/,
    ],
    [[], { ENFORCER_DISCOVERY_URL: "http://img/a|b" }, /--discovery-url/],
    [["--remote", `http://a/${"x".repeat(2040)}`], {}, /--remote \(ENFORCER_REMOTE\): .*iPXE/],
    [["--public-url", `http://a/${"x".repeat(2040)}`], {}, /--public-url \(ENFORCER_PUBLIC_URL\): .*iPXE/],
    [["--log-level", "loud"], {}, /--log-level/],
    [["--no-such-flag"], {}, /no-such-flag/],
    [
      ["--discovery"],
      {},
      /--discovery \(ENFORCER_DISCOVERY\) needs --discovery-image DIR .* or --discovery-url URL/,
    ],
  ];
  for (const [argv, env, re] of cases) {
    assert.throws(
      () => loadSettings(argv, env),
      (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") && re.test(e.message),
      argv.join(" "),
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "enforcer-cfg-"));
  writeFileSync(join(dir, "bad.yaml"), "unknownSetting: 1\n");
  assert.throws(
    () => loadSettings(["--config", join(dir, "bad.yaml")], {}),
    /unknown setting "unknownSetting"/,
  );
  writeFileSync(join(dir, "broken.json"), "{");
  assert.throws(
    () => loadSettings(["--config", join(dir, "broken.json")], {}),
    (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_FILE"),
  );
  assert.throws(
    () => loadSettings(["--config", join(dir, "missing.yaml")], {}),
    (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_FILE"),
  );
});

test("retention and growth limits: defaults match the core's, flags and environment set them, bad values stop", () => {
  const d = loadSettings([], {});
  assert.deepEqual(
    {
      historyPerMachine: d.historyPerMachine,
      historyDays: d.historyDays,
      finishedPerMachine: d.finishedPerMachine,
      maxDiscoverySessions: d.maxDiscoverySessions,
      maxUnknownMachines: d.maxUnknownMachines,
      maxAnonymousConflicts: d.maxAnonymousConflicts,
    },
    DEFAULT_LIMITS,
  );
  const s = loadSettings(["--history-per-machine", "50", "--history-days", "7"], {
    ENFORCER_MAX_UNKNOWN_MACHINES: "100",
  });
  assert.deepEqual([s.historyPerMachine, s.historyDays, s.maxUnknownMachines], [50, 7, 100]);
  assert.throws(
    () => loadSettings(["--history-days", "0"], {}),
    (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") && /--history-days/.test(e.message),
  );
});

test("DHCP settings: off by default; proxy with known-only and a boot network; server needs a range", () => {
  const d = loadSettings([], {});
  assert.deepEqual(
    [d.dhcp, d.dhcpKnownOnly, d.dhcpInterface, d.dhcpSubnet],
    ["off", false, undefined, undefined],
  );
  const s = loadSettings(["--dhcp", "proxy", "--dhcp-known-only", "--dhcp-subnet", "10.9.0.0/24"], {
    ENFORCER_DHCP_PXE_PORT: "14011",
  });
  assert.deepEqual(
    [s.dhcp, s.dhcpKnownOnly, s.dhcpSubnet, s.dhcpPxePort],
    ["proxy", true, "10.9.0.0/24", 14011],
  );
  assert.equal(
    loadSettings([], { ENFORCER_DHCP: "proxy", ENFORCER_DHCP_INTERFACE: "eth1" }).dhcpInterface,
    "eth1",
  );
  assert.throws(
    () => loadSettings(["--dhcp", "server"], {}),
    (e) => isEnforcerError(e, "ENF_ERR_DHCP_RANGE") && /needs --dhcp-range/.test(e.message),
  );
  const srv = loadSettings(
    ["--dhcp", "server", "--dhcp-range", "10.9.0.10-10.9.0.50", "--dhcp-dns", "10.9.0.1,9.9.9.9"],
    { ENFORCER_DHCP_LEASE_TIME: "600", ENFORCER_DHCP_ROUTER: "10.9.0.1", ENFORCER_DHCP_PROBE_WAIT: "0.5" },
  );
  assert.deepEqual(
    [srv.dhcpRange, srv.dhcpLeaseTime, srv.dhcpRouter, srv.dhcpDns, srv.dhcpProbeWait],
    ["10.9.0.10-10.9.0.50", 600, "10.9.0.1", "10.9.0.1,9.9.9.9", 0.5],
  );
  assert.equal(loadSettings([], {}).dhcpLeaseTime, 3600);
  for (const [flag, bad] of [
    ["--dhcp-router", "router"],
    ["--dhcp-dns", "1.1.1.1;rm"],
    ["--dhcp-lease-time", "5"],
  ])
    assert.throws(
      () => loadSettings([flag!, bad!], {}),
      (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") && e.message.includes(flag!),
    );
  assert.throws(
    () => loadSettings(["--dhcp", "on"], {}),
    (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") && /--dhcp /.test(e.message),
  );
  for (const bad of ["10.9.0.0/33", "10.9.0.300/24"])
    assert.throws(
      () => loadSettings(["--dhcp-subnet", bad], {}),
      (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") && /--dhcp-subnet/.test(e.message),
    );
  assert.throws(
    () => loadSettings(["--dhcp-interface", "eth0", "--dhcp-subnet", "10.0.0.0/8"], {}),
    (e) => isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID"),
  );
});

test("a wrong --dhcp mode names the modes there are, not a schema term", () => {
  assert.throws(
    () => loadSettings(["--dhcp", "prox"], {}),
    (e) =>
      isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") &&
      /--dhcp \(ENFORCER_DHCP\): expected one of off, proxy, server \(got "prox"\)/.test(e.message),
  );
});

test("--dhcp-dns and --dhcp-router refuse an octet over 255 instead of sending it truncated", () => {
  assert.throws(
    () => loadSettings(["--dhcp-dns", "10.0.0.1,999.1.1.1"], {}),
    (e) =>
      isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") &&
      /--dhcp-dns .*999\.1\.1\.1 is not an IPv4 address/.test(e.message),
  );
  assert.throws(
    () => loadSettings([], { ENFORCER_DHCP_ROUTER: "10.0.0.256" }),
    (e) =>
      isEnforcerError(e, "ENF_ERR_SETTINGS_INVALID") &&
      /--dhcp-router .*10\.0\.0\.256 is not an IPv4 address/.test(e.message),
  );
  assert.equal(loadSettings(["--dhcp-dns", "10.0.0.1,9.9.9.9"], {}).dhcpDns, "10.0.0.1,9.9.9.9");
});

test("an integer setting written as a fraction or an exponent stops the start instead of being truncated", () => {
  // TypeBox's Convert alone read "1e3" as 1 and 1.5 as 1: the server started with a retry window of 1 s.
  const dir = mkdtempSync(join(tmpdir(), "enforcer-cfg-"));
  const file = join(dir, "enforcer.yaml");
  writeFileSync(file, "httpPort: 80.9\n");
  const cases: [string[], NodeJS.ProcessEnv, string][] = [
    [["--retry-window", "1e3"], {}, "--retry-window (ENFORCER_RETRY_WINDOW)"],
    [["--seen-interval", "1.5"], {}, "--seen-interval (ENFORCER_SEEN_INTERVAL)"],
    [["--http-port", "0x50"], {}, "--http-port (ENFORCER_HTTP_PORT)"],
    [[], { ENFORCER_SEEN_INTERVAL: "1e999" }, "--seen-interval (ENFORCER_SEEN_INTERVAL)"],
    [[], { ENFORCER_CONFIG: file }, "--http-port (ENFORCER_HTTP_PORT)"],
  ];
  for (const [argv, env, names] of cases)
    assert.throws(
      () => loadSettings(argv, env),
      (e: unknown) =>
        isEnforcerError(e) &&
        e.code === "ENF_ERR_SETTINGS_INVALID" &&
        e.message.startsWith(`${names}: expected a whole number`),
      JSON.stringify([argv, env]),
    );
  assert.equal(loadSettings(["--seen-interval", "60"], {}).seenInterval, 60);
  assert.equal(loadSettings([], { ENFORCER_RETRY_WINDOW: " 30 " }).retryWindow, 30);
});

test("a negative number after a flag says how to write it, and then the range says why not", () => {
  assert.throws(
    () => loadSettings(["--seen-interval", "-1"], {}),
    (e: unknown) => isEnforcerError(e) && e.message.includes("use '--seen-interval=-XYZ'"),
  );
  assert.throws(
    () => loadSettings(["--seen-interval=-1"], {}),
    (e: unknown) =>
      isEnforcerError(e) &&
      e.message.startsWith("--seen-interval (ENFORCER_SEEN_INTERVAL): Expected integer to be greater"),
  );
});
