// The DHCP responder answers only while this instance leads its boot network's election (a FAKE election
// here: the test says who leads). The real server on loopback, ports picked by the kernel (replies then go
// straight back to the sender), requests hand-built as firmware sends them.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { test } from "node:test";
import { pino } from "pino";
import { loadSettings } from "../config/load.js";
import { DhcpLeaseService } from "../core/dhcp-lease-service.js";
import { ManualClock } from "../core/testing/fixtures.js";
import { uefiDiscover } from "../protocols/dhcp/testing/hand-built.js";
import { decodeDhcp } from "../protocols/dhcp/packet.js";
import { alwaysLeader } from "../store/election.js";
import { FakeElection } from "../store/testing/fake-election.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { startDhcp, type DhcpService, type DhcpWiring } from "./dhcp.js";
import { dhcpElectionName } from "./dhcp-leadership.js";
import { DhcpTotals } from "./dhcp-totals.js";
import { parseIpv4Cidr } from "../domain/ipv4-net.js";

const NET = "127.0.0.0/8";
const NAME = "dhcp/127.0.0.0-8";

/** A logger whose messages the test reads. */
function capturedLog() {
  const lines: string[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s).msg as string) });
  return { log, lines };
}

const wiring = (extra: Partial<DhcpWiring> = {}): DhcpWiring => ({
  bootUrl: "http://127.0.0.1:8080",
  machine: () => undefined,
  loaders: new Set(["undionly.kpxe", "ipxe.efi"]),
  ...extra,
});

/** A UDP client on loopback: sends a datagram, collects what comes back. */
async function client(): Promise<{ sock: Socket; replies: Buffer[] }> {
  const sock = createSocket("udp4");
  const replies: Buffer[] = [];
  sock.on("message", (m) => replies.push(m));
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return { sock, replies };
}

/** Sends `msg` to `port` and waits `ms`; answers how many replies arrived meanwhile. */
async function ask(c: { sock: Socket; replies: Buffer[] }, msg: Buffer, port: number, ms = 150) {
  const before = c.replies.length;
  await new Promise<void>((r, j) => c.sock.send(msg, port, "127.0.0.1", (e) => (e ? j(e) : r())));
  await new Promise((r) => setTimeout(r, ms));
  return c.replies.slice(before);
}

test("dhcp election name: the boot network's CIDR, a key path without a slash inside", () => {
  assert.equal(dhcpElectionName(parseIpv4Cidr("10.0.0.0/24")!), "dhcp/10.0.0.0-24");
});

test("proxy with a fake election: a follower drops and counts requests, the leader answers, each change logged once", async () => {
  const settings = loadSettings(
    ["--dhcp", "proxy", "--dhcp-subnet", NET, "--dhcp-port", "0", "--dhcp-pxe-port", "0"],
    {},
  );
  const election = new FakeElection();
  const { log, lines } = capturedLog();
  const totals = new DhcpTotals();
  const dhcp = (await startDhcp(settings, wiring({ election }), log, totals)) as DhcpService;
  const c = await client();
  try {
    assert.deepEqual(election.campaigns, [NAME]);
    assert.equal(dhcp.lead.leading(), false);
    assert.ok(lines.includes(`dhcp: following ${NET}`), lines.join("\n"));
    // Followers stay bound and silent.
    assert.deepEqual(await ask(c, uefiDiscover(), dhcp.ports[0]!), []);
    assert.deepEqual(await ask(c, uefiDiscover(), dhcp.ports[1]!), []);
    assert.equal(totals.followerDropped, 2);
    assert.equal(totals.answers.size, 0, "a follower's requests reach no policy");

    election.lead(NAME, true);
    const [offer] = await ask(c, uefiDiscover(), dhcp.ports[0]!);
    assert.ok(offer, "the leader answers");
    assert.equal(decodeDhcp(offer).file, "ipxe.efi");
    assert.equal(totals.followerDropped, 2);

    // A leader that loses the lead (its keepalive failed) is silent from its very next packet.
    election.lead(NAME, false);
    assert.deepEqual(await ask(c, uefiDiscover(), dhcp.ports[0]!), []);
    assert.equal(totals.followerDropped, 3);
    assert.equal(totals.lead?.leading(), false);
    election.lead(NAME, false);
    election.lead(NAME, true);
    assert.deepEqual(
      lines.filter((l) => /^dhcp: (leading|following)/.test(l)),
      [`dhcp: following ${NET}`, `dhcp: leading ${NET}`, `dhcp: following ${NET}`, `dhcp: leading ${NET}`],
    );
  } finally {
    c.sock.close();
    await dhcp.close();
  }
  assert.deepEqual(election.resigned, [NAME], "a clean stop resigns (hands over before the lease's TTL)");
  assert.equal(totals.lead, undefined);
});

test("proxy without an election (the file store): leads at once, answers as before, nothing counted as dropped", async () => {
  const settings = loadSettings(
    ["--dhcp", "proxy", "--dhcp-subnet", NET, "--dhcp-port", "0", "--dhcp-pxe-port", "0"],
    {},
  );
  const { log, lines } = capturedLog();
  const totals = new DhcpTotals();
  const dhcp = (await startDhcp(settings, wiring(), log, totals)) as DhcpService;
  const c = await client();
  try {
    assert.equal(dhcp.lead.leading(), true);
    assert.ok(lines.includes(`dhcp: leading ${NET}`));
    assert.equal((await ask(c, uefiDiscover(), dhcp.ports[0]!)).length, 1);
    assert.equal(totals.followerDropped, 0);
  } finally {
    c.sock.close();
    await dhcp.close();
  }
  assert.equal(alwaysLeader.campaign("x").isLeader(), true);
});

test("server mode with a fake election: a follower offers nothing (no lease event counted); the leader offers", async () => {
  const settings = loadSettings(
    [
      ...["--dhcp", "server", "--dhcp-subnet", NET, "--dhcp-port", "0"],
      ...["--dhcp-range", "127.9.0.10-127.9.0.20", "--dhcp-probe-wait", "0"],
    ],
    {},
  );
  const election = new FakeElection();
  const { log } = capturedLog();
  const totals = new DhcpTotals();
  const store = new MemoryStore();
  const leases = new DhcpLeaseService(store, new ManualClock());
  const dhcp = (await startDhcp(settings, wiring({ election, leases }), log, totals)) as DhcpService;
  const c = await client();
  try {
    assert.equal(dhcp.mode, "server");
    assert.deepEqual(await ask(c, uefiDiscover(), dhcp.ports[0]!), []);
    assert.equal(totals.followerDropped, 1);
    assert.equal(totals.leaseEvents.size, 0);
    election.lead(NAME, true);
    const [offer] = await ask(c, uefiDiscover(), dhcp.ports[0]!);
    assert.ok(offer, "the leader offers");
    assert.equal(decodeDhcp(offer).yiaddr, "127.9.0.10");
  } finally {
    c.sock.close();
    await dhcp.close();
  }
});
