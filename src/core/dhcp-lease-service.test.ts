import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseDhcpRange } from "../domain/dhcp-range.js";
import type { LeaseTableSetup } from "../domain/dhcp-lease-table.js";
import { isEnforcerError } from "../domain/errors.js";
import { parseIpv4Cidr } from "../domain/ipv4-net.js";
import { parseMac } from "../domain/mac.js";
import { COLLECTIONS } from "../store/collections.js";
import type { StoreExpect, StoreOp } from "../store/store.js";
import { BrokenStore, MemoryStore } from "../store/testing/fake-stores.js";
import { SharedMemoryEngine } from "../store/testing/shared-memory-store.js";
import { DhcpLeaseService } from "./dhcp-lease-service.js";
import { ManualClock, testCore } from "./testing/fixtures.js";

const NET = parseIpv4Cidr("10.9.0.0/24")!;
const SETUP: LeaseTableSetup = {
  network: NET,
  range: parseDhcpRange("10.9.0.10-10.9.0.19", NET),
  serverAddress: "10.9.0.1",
  leaseMs: 3_600_000,
  offerMs: 30_000,
  declineMs: 600_000,
};
const MAC = "52:54:00:00:00:01";
const SELECT = { messageType: 3, mac: MAC, ciaddr: "0.0.0.0", serverId: "10.9.0.1" };

/** A store whose commits wait until the test lets them through. */
class GatedStore extends MemoryStore {
  gate: (() => void) | undefined;
  override async commit(ops: StoreOp[]): Promise<void> {
    await new Promise<void>((r) => (this.gate = r));
    return super.commit(ops);
  }
}

test("lease service: the ACK waits for its lease to be committed; a renewal within half a lease writes nothing", async () => {
  const store = new GatedStore();
  const clock = new ManualClock();
  const s = new DhcpLeaseService(store, clock);
  s.configure(SETUP);
  const offer = await s.handle({ messageType: 1, mac: MAC, ciaddr: "0.0.0.0" });
  assert.deepEqual(offer.answer, { reply: "offer", yiaddr: "10.9.0.10", leaseSeconds: 3600 });
  let answered = false;
  const ack = s.handle({ ...SELECT, requestedIp: "10.9.0.10" }).then((o) => ((answered = true), o));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(answered, false, "no ACK before the lease is durable");
  store.gate!();
  assert.equal((await ack).event, "ack");
  assert.equal(store.get<{ mac: string }>(COLLECTIONS.dhcpLeases, "10.9.0.10")?.mac, MAC);
  clock.advance(60_000);
  const renew = await s.handle({ messageType: 3, mac: MAC, ciaddr: "10.9.0.10" });
  assert.deepEqual(
    [renew.event, renew.answer],
    ["renew", { reply: "ack", yiaddr: "10.9.0.10", leaseSeconds: 3540 }],
  );
  assert.equal(store.commits.length, 1, "the early renewal wrote nothing");
  // A store that cannot write means no ACK: the request is counted as unstored and answered with nothing.
  const broken = new DhcpLeaseService(new BrokenStore(), clock);
  broken.configure(SETUP);
  const refused = await broken.handle({ ...SELECT, requestedIp: "10.9.0.11" });
  assert.equal(refused.answer, undefined);
  assert.equal(refused.event, "unstored");
  assert.match(refused.detail, /ENF_ERR_STORE_IO/);
});

/** A store whose commits wait for the test, with the expectations each commit stated. */
class HeldStore extends MemoryStore {
  private readonly held: (() => void)[] = [];
  override async commit(ops: StoreOp[], expect?: readonly StoreExpect[]): Promise<void> {
    await new Promise<void>((r) => this.held.push(r));
    return super.commit(ops, expect);
  }
  /** Lets the oldest held commit through. */
  release(): void {
    this.held.shift()!();
  }
}

test("lease service: two instances on one store never give one address twice, even both leading at once (split moment)", async () => {
  const store = new HeldStore();
  const clock = new ManualClock();
  const a = new DhcpLeaseService(store, clock);
  const b = new DhcpLeaseService(store, clock);
  a.configure(SETUP);
  b.configure({ ...SETUP, serverAddress: "10.9.0.2" });
  const macB = "52:54:00:00:00:02";
  // Each offers the first free address to its own client (offers live in each instance's memory).
  assert.equal((await a.handle({ messageType: 1, mac: MAC, ciaddr: "0.0.0.0" })).detail, "10.9.0.10");
  assert.equal((await b.handle({ messageType: 1, mac: macB, ciaddr: "0.0.0.0" })).detail, "10.9.0.10");
  // Both REQUEST it before either lease is stored: both commits expect the address's lease absent.
  const ackA = a.handle({ ...SELECT, requestedIp: "10.9.0.10" });
  const ackB = b.handle({ ...SELECT, mac: macB, serverId: "10.9.0.2", requestedIp: "10.9.0.10" });
  await new Promise((r) => setTimeout(r, 10));
  store.release();
  store.release();
  const [outA, outB] = await Promise.all([ackA, ackB]);
  assert.equal(outA.event, "ack");
  assert.equal(outB.event, "unstored");
  assert.equal(outB.answer, undefined, "no ACK for the address another instance stored first");
  assert.match(outB.detail, /ENF_ERR_STORE_CONFLICT/);
  assert.equal(store.get<{ mac: string }>(COLLECTIONS.dhcpLeases, "10.9.0.10")?.mac, MAC);
  assert.equal(store.commits.length, 1);
  // B's table follows the store: its client, retrying, is offered the next address.
  assert.equal((await b.handle({ messageType: 1, mac: macB, ciaddr: "0.0.0.0" })).detail, "10.9.0.11");
});

test("lease service: a new leader reads the leases the old one stored; a client rebinding keeps its address", async () => {
  const store = new MemoryStore();
  const clock = new ManualClock();
  const old = new DhcpLeaseService(store, clock);
  old.configure(SETUP);
  await old.handle({ messageType: 1, mac: MAC, ciaddr: "0.0.0.0" });
  assert.equal((await old.handle({ ...SELECT, requestedIp: "10.9.0.10" })).event, "ack");
  // The other instance (its own server address) takes over after the first one died.
  const next = new DhcpLeaseService(store, clock);
  next.configure({ ...SETUP, serverAddress: "10.9.0.2" });
  clock.advance(40 * 60_000);
  const rebind = await next.handle({ messageType: 3, mac: MAC, ciaddr: "10.9.0.10" });
  assert.deepEqual(
    [rebind.event, rebind.answer],
    ["ack", { reply: "ack", yiaddr: "10.9.0.10", leaseSeconds: 3600 }],
  );
  const reboot = await next.handle({ messageType: 3, mac: MAC, ciaddr: "0.0.0.0", requestedIp: "10.9.0.10" });
  assert.equal(reboot.answer?.reply, "ack");
  // Another client is not given that address.
  const other = await next.handle({
    messageType: 1,
    mac: "52:54:00:00:00:03",
    ciaddr: "0.0.0.0",
    requestedIp: "10.9.0.10",
  });
  assert.equal(other.detail, "10.9.0.11");
});

test("lease service: the reservation label is refused through the machine API when it cannot be honoured", async () => {
  const { core } = testCore();
  core.dhcpLeases.configure(SETUP);
  const reserve = (mac: string, address: string) =>
    core.machines.register(parseMac(mac), { labels: { "enforcer.dev/ipv4": address } });
  await reserve("52:54:00:00:00:02", "10.9.0.50");
  for (const [address, why] of [
    ["10.9.0.50", /already reserved for 52:54:00:00:00:02/],
    ["10.8.0.5", /outside the boot network/],
    ["10.9.0.1", /Enforcer's own address/],
    ["ten", /not an IPv4 address/],
  ] as const)
    await assert.rejects(
      reserve(MAC, address),
      (e) => isEnforcerError(e, "ENF_ERR_DHCP_RESERVATION") && why.test(e.message),
      address,
    );
  assert.equal(core.machines.find(parseMac(MAC)), undefined, "nothing stored for a refused reservation");
  // Honoured at DHCP time: the reserved machine is offered its address, outside the range.
  const o = await core.dhcpLeases.handle({ messageType: 1, mac: "52:54:00:00:00:02", ciaddr: "0.0.0.0" });
  assert.equal(o.answer?.reply === "offer" && o.answer.yiaddr, "10.9.0.50");
});

test("lease service (fast-check): any request, hostile fields included, is decided without throwing", async () => {
  const s = new DhcpLeaseService(new MemoryStore(), new ManualClock());
  s.configure(SETUP);
  const addr = fc.oneof(
    fc.constantFrom("10.9.0.10", "10.9.0.1", "0.0.0.0", "10.9.0.255"),
    fc.ipV4(),
    fc.string(),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.record(
        {
          messageType: fc.integer({ min: 0, max: 255 }),
          mac: fc.oneof(fc.constantFrom(MAC, "52:54:00:00:00:03"), fc.string()),
          ciaddr: addr,
          requestedIp: addr,
          serverId: addr,
          hostname: fc.string(),
        },
        { requiredKeys: ["mac", "ciaddr"] },
      ),
      async (req) => {
        const out = await s.handle(req);
        assert.ok(out.event);
      },
    ),
    { numRuns: 500 },
  );
});

test("lease service: an INFORM is acknowledged without an address and writes nothing", async () => {
  const store = new MemoryStore();
  const s = new DhcpLeaseService(store, new ManualClock());
  s.configure(SETUP);
  const out = await s.handle({ messageType: 8, mac: MAC, ciaddr: "10.9.0.77" });
  assert.deepEqual([out.answer, out.event], [{ reply: "inform-ack" }, "inform"]);
  assert.equal(store.commits.length, 0);
});

test("lease service: a client hopping between addresses (or leasing and releasing) cannot make every packet a durable write", async () => {
  const store = new MemoryStore();
  const clock = new ManualClock();
  const s = new DhcpLeaseService(store, clock);
  s.configure(SETUP);
  // A whole rack powering up at once: every address of the range leased, every ACK written.
  for (let i = 0; i < 10; i++) {
    const mac = `52:54:00:00:01:${i.toString(16).padStart(2, "0")}`;
    const o = await s.handle({ ...SELECT, mac, requestedIp: `10.9.0.1${i}` });
    assert.equal(o.event, "ack", `${mac} got its lease`);
  }
  for (let i = 0; i < 10; i++)
    await s.handle({
      messageType: 7,
      mac: `52:54:00:00:01:0${i}`,
      ciaddr: `10.9.0.1${i}`,
      serverId: "10.9.0.1",
    });
  // One hostile MAC: SELECTING REQUESTs alternating between two free addresses, then REQUEST and RELEASE.
  const before = store.commits.length;
  let ignored = 0;
  for (let i = 0; i < 500; i++) {
    const o = await s.handle({
      ...SELECT,
      mac: "02:00:00:00:00:66",
      requestedIp: i % 2 ? "10.9.0.10" : "10.9.0.11",
    });
    await s.handle({
      messageType: 7,
      mac: "02:00:00:00:00:66",
      ciaddr: o.answer && "yiaddr" in o.answer ? o.answer.yiaddr : "",
      serverId: "10.9.0.1",
    });
    if (o.event === "throttled" && o.answer === undefined) ignored++;
  }
  const written = store.commits.length - before;
  assert.ok(written <= 100, `1000 hostile packets made ${written} durable writes`);
  assert.ok(ignored >= 200, "requests past the write budget get no answer (the client retries)");
  // Meanwhile a client renewing the lease it holds (at T1, a write) still gets its ACK.
  const holder = "52:54:00:00:02:01";
  assert.equal((await s.handle({ ...SELECT, mac: holder, requestedIp: "10.9.0.15" })).event, "ack");
  clock.advance(1_800_000);
  assert.equal((await s.handle({ messageType: 3, mac: holder, ciaddr: "10.9.0.15" })).event, "ack");
  // The budget refills with time: a lease time later a client gets its lease again.
  clock.advance(3_600_000);
  assert.equal((await s.handle({ ...SELECT, mac: MAC, requestedIp: "10.9.0.12" })).event, "ack");
});

test("lease service (fake shared store): two instances' views, both leading at once, never ACK one address twice; the other view then holds the lease", async () => {
  const engine = new SharedMemoryEngine();
  const clock = new ManualClock();
  const one = engine.view();
  const two = engine.view();
  const a = new DhcpLeaseService(one, clock);
  const b = new DhcpLeaseService(two, clock);
  a.configure(SETUP);
  b.configure({ ...SETUP, serverAddress: "10.9.0.2" });
  for (let round = 0; round < 5; round++) {
    const macs = [`52:54:00:00:01:${round}0`, `52:54:00:00:01:${round}1`];
    const address = (await a.handle({ messageType: 1, mac: macs[0]!, ciaddr: "0.0.0.0" })).detail;
    assert.equal((await b.handle({ messageType: 1, mac: macs[1]!, ciaddr: "0.0.0.0" })).detail, address);
    const [ra, rb] = await Promise.all([
      a.handle({ ...SELECT, mac: macs[0]!, requestedIp: address }),
      b.handle({ ...SELECT, mac: macs[1]!, serverId: "10.9.0.2", requestedIp: address }),
    ]);
    assert.deepEqual(
      [ra.event, rb.event].sort(),
      ["ack", "unstored"],
      `round ${round}: ${ra.detail} / ${rb.detail}`,
    );
    const winner = ra.event === "ack" ? macs[0] : macs[1];
    // Both views follow the engine: each lists the one lease, to the winner.
    await new Promise((r) => setImmediate(r));
    for (const s of [a, b]) {
      const held = s.list().filter((l) => l.address === address);
      assert.deepEqual(
        held.map((l) => l.mac),
        [winner],
      );
    }
  }
  await one.close();
  await two.close();
});
