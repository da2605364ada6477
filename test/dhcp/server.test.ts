// `enforcer serve --dhcp server` end to end on a real layer-2 link: Enforcer in one network namespace, clients
// in another joined by a veth pair. A scripted lease client (packets built with our codec, not firmware)
// sends exactly the DISCOVER, REQUEST, DECLINE a client would, and hostile ones; busybox udhcpc is a real
// client that takes a lease, renews it and releases it; dnsmasq plays another DHCP server on the segment,
// which the start-up probe must find. Needs root.
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { inNs } from "../support/netns-curl.js";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { startInNs, type NsProcess } from "../support/netns-process.js";
import type { ScriptedReply } from "../support/scripted-dhcp-io.js";
import { until } from "../support/until.js";

const run = promisify(execFile);
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "../support/scripted-lease-client.js");
const SERVER_IP = "10.77.0.1";
const BASE = `http://${SERVER_IP}:8080`;
const MAC_A = "52:54:00:77:00:0a";
const MAC_IPXE = "52:54:00:77:00:0b";
const MAC_C = "52:54:00:77:00:0c";

/** What scripted-lease-client.ts reports of a reply. */
interface Reply extends ScriptedReply {
  leaseTime?: number;
  t1?: number;
  t2?: number;
  mask?: string;
  router?: string;
  dns?: string;
  message?: string;
}

interface Lease {
  address: string;
  mac: string;
  state: string;
  expiresAt: string;
}

describe("DHCP server: enforcer serve --dhcp server in a network namespace", { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-dhcp-server-"));
  const data = join(dir, "data");
  let pair: NetnsPair | undefined;
  let enforcer: NsProcess | undefined;
  const children: ChildProcess[] = [];

  const inClient = (cmd: string[], timeout = 30_000) => inNs(pair!.clientNs, cmd, timeout);

  async function send(spec: Record<string, unknown>): Promise<Reply[]> {
    const { stdout } = await inClient([process.execPath, CLIENT, JSON.stringify(spec)]);
    return (JSON.parse(stdout) as { replies: Reply[] }).replies;
  }

  /** The API from inside the server namespace (the test's own namespace cannot reach 10.77.0.1). */
  async function api(path: string): Promise<unknown> {
    const token = readFileSync(join(data, "admin.token"), "utf8").trim();
    const js = `fetch(${JSON.stringify(`${BASE}/api/v1${path}`)},{headers:{authorization:"Bearer ${token}"}}).then(r=>r.text()).then(t=>process.stdout.write(t))`;
    const { stdout } = await run("ip", ["netns", "exec", pair!.serverNs, process.execPath, "-e", js]);
    return JSON.parse(stdout);
  }
  const leases = async () => ((await api("/dhcp/leases")) as { items: Lease[] }).items;

  function startEnforcer(extra: string[] = []): Promise<void> {
    // prettier-ignore
    enforcer = startInNs(pair!.serverNs, [
      process.execPath, resolve("bin/enforcer.js"), "serve",
      "--listen", "0.0.0.0", "--dhcp", "server", "--dhcp-range", "10.77.0.100-10.77.0.109",
      "--dhcp-lease-time", "20", "--dhcp-router", SERVER_IP, "--dhcp-dns", SERVER_IP,
      "--dhcp-probe-wait", "1", ...extra,
    ], /enforcer: ready .*dhcp=server:67 /, {
      ENFORCER_HTTP_PORT: "8080",
      ENFORCER_PUBLIC_URL: BASE,
      ENFORCER_DATA: data,
      ENFORCER_LOG_LEVEL: "info",
    });
    return enforcer.ready;
  }

  const stopEnforcer = async (signal?: NodeJS.Signals) => enforcer?.stop(signal);

  before(async () => {
    pair = await createNetnsPair("s", `${SERVER_IP}/24`);
    await run("ip", ["-n", pair.clientNs, "route", "add", "255.255.255.255/32", "dev", pair.clientIf]);
    await startEnforcer();
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await stopEnforcer("SIGKILL");
    await pair?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test("DISCOVER gets an address from the range with mask, router, DNS, lease time, T1, T2; REQUEST gets the ACK", async () => {
    const [offer, ...more] = await send({ mac: MAC_A, type: "discover" });
    assert.equal(more.length, 0);
    assert.ok(offer);
    assert.deepEqual(
      [offer.type, offer.yiaddr, offer.serverId, offer.mask, offer.router, offer.dns],
      [2, "10.77.0.100", SERVER_IP, "255.255.255.0", SERVER_IP, SERVER_IP],
    );
    assert.deepEqual([offer.leaseTime, offer.t1, offer.t2], [20, 10, 17]);
    assert.equal(offer.file, "", "a plain client gets no boot file");
    const [ack] = await send({ mac: MAC_A, type: "request", requested: offer.yiaddr, serverId: SERVER_IP });
    assert.deepEqual([ack?.type, ack?.yiaddr, ack?.leaseTime], [5, "10.77.0.100", 20]);
    const l = (await leases()).find((x) => x.mac === MAC_A);
    assert.deepEqual([l?.address, l?.state], ["10.77.0.100", "active"]);
  });

  test("iPXE gets an address and the boot.ipxe URL as its boot file", async () => {
    const [offer] = await send({ mac: MAC_IPXE, type: "discover", ipxe: true });
    assert.equal(offer?.yiaddr, "10.77.0.101");
    assert.equal(offer.file, `${BASE}/boot.ipxe`);
    assert.equal(offer.bootfileName, `${BASE}/boot.ipxe`);
    assert.equal(offer.siaddr, SERVER_IP);
    // The lease answer is on the machine's boot timeline, by the address it was given (docs/timeline.md).
    const tl = (await api(`/machines/${MAC_IPXE}/timeline`)) as {
      attempts: { steps: { kind: string; label: string; client?: string; offered?: string }[] }[];
    };
    const dhcp = tl.attempts.at(-1)?.steps.find((s) => s.kind === "dhcp");
    assert.deepEqual([dhcp?.client, dhcp?.offered], ["ipxe", `${BASE}/boot.ipxe`]);
  });

  test("hostile: a REQUEST for another MAC's lease or outside the range is NAKed; a DECLINE flood leaves addresses", async () => {
    const [taken] = await send({
      mac: MAC_C,
      type: "request",
      requested: "10.77.0.100",
      serverId: SERVER_IP,
    });
    assert.equal(taken?.type, 6, "NAK");
    assert.match(taken.message ?? "", /leased to another client/);
    const [outside] = await send({
      mac: MAC_C,
      type: "request",
      requested: "10.77.0.200",
      serverId: SERVER_IP,
    });
    assert.equal(outside?.type, 6);
    assert.match(outside.message ?? "", /outside the DHCP range/);
    const { stdout } = await inClient(
      [process.execPath, CLIENT, JSON.stringify({ flood: 40, serverId: SERVER_IP })],
      60_000,
    );
    const f = JSON.parse(stdout) as { offers: number };
    assert.ok(f.offers >= 8, `the flood got offers: ${stdout}`);
    // At most half the range is held as declined: a new client still gets an address at once.
    const [offer] = await send({ mac: "52:54:00:77:00:0d", type: "discover" });
    assert.equal(offer?.type, 2, "an offer after the DECLINE flood");
    assert.ok(
      (await leases()).some((l) => l.mac === MAC_A && l.state === "active"),
      "the real lease is untouched",
    );
  });

  test("an acknowledged lease survives kill -9: after a restart the same client gets the same address", async () => {
    await stopEnforcer("SIGKILL");
    await startEnforcer();
    const l = (await leases()).find((x) => x.mac === MAC_A);
    assert.equal(l?.address, "10.77.0.100");
    const [offer] = await send({ mac: MAC_A, type: "discover" });
    assert.equal(offer?.yiaddr, "10.77.0.100");
    const [nak] = await send({ mac: MAC_C, type: "request", requested: "10.77.0.100", serverId: SERVER_IP });
    assert.equal(nak?.type, 6, "still not given to another client");
  });

  test("busybox udhcpc takes a lease, renews it at T1 (written), and releases it on exit", async () => {
    const events = join(dir, "udhcpc-events");
    const script = join(dir, "udhcpc.sh");
    writeFileSync(
      script,
      `#!/bin/sh\ncase "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$subnet" dev "$interface";; esac\n` +
        `echo "$1 $ip $lease" >> ${events}\n`,
    );
    chmodSync(script, 0o755);
    // prettier-ignore
    const u = spawn("ip", ["netns", "exec", pair!.clientNs, "busybox", "udhcpc", "-f", "-R", "-i", pair!.clientIf, "-t", "5", "-T", "1", "-s", script], { stdio: "ignore" });
    children.push(u);
    const read = () => {
      try {
        return readFileSync(events, "utf8");
      } catch {
        return "";
      }
    };
    await until(
      "udhcpc to be bound",
      async () => (/^bound 10\.77\.0\.\d+ 20$/m.test(read()) ? true : undefined),
      20_000,
      200,
    );
    const ip = /^bound (\S+)/m.exec(read())![1]!;
    const mac = (await inClient(["cat", `/sys/class/net/${pair!.clientIf}/address`])).stdout.trim();
    const first = (await leases()).find((l) => l.mac === mac);
    assert.equal(first?.address, ip);
    await until(
      "udhcpc to renew at T1",
      async () => (/^renew /m.test(read()) ? true : undefined),
      20_000,
      200,
    );
    const renewed = (await leases()).find((l) => l.mac === mac);
    assert.equal(renewed?.address, ip);
    assert.ok(renewed.expiresAt > first.expiresAt, "the renewal at T1 was written");
    const gone = new Promise((r) => u.once("exit", r));
    u.kill("SIGTERM");
    await gone;
    await until(
      "the release to free the lease",
      async () => ((await leases()).some((l) => l.mac === mac) ? undefined : true),
      5_000,
      100,
    );
    assert.match(enforcer!.out(), new RegExp(`dhcp server released ${mac}: ${ip.replaceAll(".", "\\.")}`));
  });

  test("with another DHCP server on the segment, --dhcp server refuses to start with one line naming it", async () => {
    await stopEnforcer();
    await run("ip", ["-n", pair!.clientNs, "addr", "flush", "dev", pair!.clientIf]);
    await run("ip", ["-n", pair!.clientNs, "addr", "add", "10.77.0.2/24", "dev", pair!.clientIf]);
    // prettier-ignore
    const other = spawn("ip", ["netns", "exec", pair!.clientNs, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", `--interface=${pair!.clientIf}`, "--bind-interfaces", "--dhcp-range=10.77.0.150,10.77.0.160,1h", "--pid-file=", `--dhcp-leasefile=${join(dir, "other.leases")}`], { stdio: "ignore" });
    children.push(other);
    await new Promise((r) => setTimeout(r, 1000));
    // prettier-ignore
    const r = spawnSync("ip", ["netns", "exec", pair!.serverNs, process.execPath, resolve("bin/enforcer.js"), "serve", "--listen", "0.0.0.0", "--no-tftp", "--dhcp", "server", "--dhcp-range", "10.77.0.100-10.77.0.109", "--dhcp-probe-wait", "4"], {
      encoding: "utf8",
      env: { ...process.env, ENFORCER_HTTP_PORT: "8081", ENFORCER_PUBLIC_URL: BASE, ENFORCER_DATA: join(dir, "data2") },
      timeout: 30_000,
    });
    other.kill("SIGTERM");
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}\n${String(r.error)}`);
    assert.match(
      r.stderr,
      /^enforcer: --dhcp server: another DHCP server answers on 10\.77\.0\.0\/24: 10\.77\.0\.2 offered 10\.77\.0\.1[56]\d; not starting beside it .*\[ENF_ERR_DHCP_OTHER_SERVER\]\n$/,
    );
  });
});
