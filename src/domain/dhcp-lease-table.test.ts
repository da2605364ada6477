import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LeaseTable, type LeaseTableSetup, type RequestOutcome } from "./dhcp-lease-table.js";
import { parseDhcpRange } from "./dhcp-range.js";
import { isEnforcerError } from "./errors.js";
import { parseIpv4Cidr } from "./ipv4-net.js";

const NET = parseIpv4Cidr("10.9.0.0/24")!;
const SETUP: LeaseTableSetup = {
  network: NET,
  range: parseDhcpRange("10.9.0.10-10.9.0.17", NET),
  serverAddress: "10.9.0.1",
  leaseMs: 600_000,
  offerMs: 30_000,
  declineMs: 600_000,
};
const mac = (i: number) => `52:54:00:00:00:${i.toString(16).padStart(2, "0")}`;

/** A table whose writes are applied at once, as the service's commit and the change feed do. */
function table(setup = SETUP): { t: LeaseTable; apply: (o: RequestOutcome) => RequestOutcome } {
  const t = new LeaseTable(setup);
  const apply = (o: RequestOutcome) => {
    if ("ack" in o && o.ack.write) {
      if (o.ack.replaces) t.remove(o.ack.replaces);
      t.put(o.ack.write);
    }
    return o;
  };
  return { t, apply };
}

/** DISCOVER then REQUEST (SELECTING) as a client does; the ACKed address. */
function lease(t: LeaseTable, apply: (o: RequestOutcome) => RequestOutcome, m: string, now: number) {
  const a = t.offer(m, undefined, now);
  assert.ok(a, `an offer for ${m}`);
  const r = apply(t.request(m, { state: "selecting", address: a, ours: true }, now));
  assert.ok("ack" in r, JSON.stringify(r));
  return r.ack;
}

test("range: parsed against the boot network, with a precise coded error otherwise", () => {
  assert.deepEqual(parseDhcpRange("10.9.0.10-10.9.0.17", NET), { start: 0x0a09000a, end: 0x0a090011 });
  for (const [bad, why] of [
    ["10.9.1.10-10.9.1.20", /outside the boot network 10.9.0.0\/24/],
    ["10.9.0.20-10.9.0.10", /comes before/],
    ["10.9.0.0-10.9.0.10", /network address/],
    ["10.9.0.10-10.9.0.255", /broadcast address/],
    ["10.9.0.10", /START-END/],
  ] as const)
    assert.throws(
      () => parseDhcpRange(bad, NET),
      (e) => isEnforcerError(e, "ENF_ERR_DHCP_RANGE") && why.test(e.message),
      bad,
    );
});

test("lease table: DISCOVER, REQUEST, renewal within half a lease writes nothing, RELEASE frees", () => {
  const { t, apply } = table();
  const first = lease(t, apply, mac(1), 0);
  assert.equal(first.address, "10.9.0.10");
  assert.equal(first.leaseSeconds, 600);
  // A renewal a minute later would move the written expiry by a minute: nothing written, the time left given.
  const early = apply(t.request(mac(1), { state: "renewing", address: "10.9.0.10", ours: false }, 60_000));
  assert.ok("ack" in early && early.ack.write === undefined && early.ack.leaseSeconds === 540);
  // At T1 (half the lease) the renewal is written.
  const t1 = apply(t.request(mac(1), { state: "renewing", address: "10.9.0.10", ours: false }, 300_000));
  assert.ok("ack" in t1 && t1.ack.write?.expiresAt === new Date(900_000).toISOString());
  assert.equal(t.release(mac(2), "10.9.0.10"), undefined, "only the holder releases");
  assert.equal(t.release(mac(1), "10.9.0.10"), "10.9.0.10");
});

test("lease table: another MAC's lease, an address outside the range, a declined one are NAKed", () => {
  const { t, apply } = table();
  lease(t, apply, mac(1), 0);
  const nak = (address: string, state: "selecting" | "init-reboot" | "renewing" = "selecting") => {
    const r = t.request(mac(2), { state, address, ours: true }, 1000);
    assert.ok("nak" in r, `${address}: ${JSON.stringify(r)}`);
    return r.nak;
  };
  assert.match(nak("10.9.0.10"), /leased to another client/);
  assert.match(nak("10.9.0.10", "renewing"), /leased to another client/);
  assert.match(nak("10.9.0.99"), /outside the DHCP range/);
  assert.match(nak("10.9.0.1"), /Enforcer's own address/);
  assert.match(nak("192.168.1.5", "init-reboot"), /outside the boot network/);
  const d = t.decline(mac(1), "10.9.0.10", 1000);
  assert.deepEqual(d, { accepted: true, held: true, drop: "10.9.0.10" });
  t.remove("10.9.0.10");
  assert.match(nak("10.9.0.10"), /was declined/);
  // INIT-REBOOT from a client we have no record of, on our network: silence (RFC 2131 §4.3.2).
  assert.ok("ignore" in t.request(mac(3), { state: "init-reboot", address: "10.9.0.12", ours: false }, 0));
  // Choosing another server drops our offer.
  assert.ok("ignore" in t.request(mac(2), { state: "selecting", address: "10.9.0.11", ours: false }, 0));
});

test("lease table: an expired lease's address is reused only after expiry, and last", () => {
  const small = { ...SETUP, range: parseDhcpRange("10.9.0.10-10.9.0.11", NET) };
  const { t, apply } = table(small);
  lease(t, apply, mac(1), 0);
  lease(t, apply, mac(2), 0);
  assert.equal(t.offer(mac(3), undefined, 599_000), undefined, "both leased: nothing to offer");
  assert.equal(t.offer(mac(3), undefined, 600_001), "10.9.0.10", "after expiry the oldest is reused");
  // The holder of an expired lease that was not reused gets its address back.
  assert.equal(t.offer(mac(2), undefined, 600_001), "10.9.0.11");
});

test("lease table: a reservation always wins, and is never offered to another client", () => {
  const { t, apply } = table();
  assert.deepEqual(
    t.setReservations([
      [mac(9), "10.9.0.10"],
      [mac(8), "10.9.0.50"],
      [mac(7), "10.9.0.10"],
    ]),
    [`${mac(7)}: 10.9.0.10 is already reserved for ${mac(9)}`],
  );
  assert.equal(lease(t, apply, mac(1), 0).address, "10.9.0.11", "the reserved .10 is skipped");
  assert.equal(
    lease(t, apply, mac(8), 0).address,
    "10.9.0.50",
    "a reservation outside the range is honoured",
  );
  assert.match(
    (t.request(mac(1), { state: "renewing", address: "10.9.0.10", ours: false }, 0) as { nak: string }).nak,
    /reserved for/,
  );
  assert.match(
    (t.request(mac(9), { state: "renewing", address: "10.9.0.11", ours: false }, 0) as { nak: string }).nak,
    /has the reserved address 10.9.0.10/,
  );
});

test("lease table: a flood of DISCOVERs or DECLINEs from random MACs does not empty the range for long", () => {
  const { t, apply } = table();
  for (let i = 0; i < 1000; i++)
    t.offer(
      `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
      undefined,
      0,
    );
  assert.equal(t.offer(mac(1), undefined, 1000), undefined, "every address is held by an offer");
  assert.ok(t.offer(mac(1), undefined, SETUP.offerMs + 1), "offers lapse after offerMs");
  // DECLINE flood: each random MAC takes an offer and declines it; at most half the range is held.
  for (let i = 0; i < 1000; i++) {
    const m = `02:00:00:01:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    const now = 100_000 + i * (SETUP.offerMs + 1);
    const a = t.offer(m, undefined, now);
    if (a) t.decline(m, a, now);
  }
  const later = 100_000 + 1000 * (SETUP.offerMs + 1);
  assert.ok(t.counts(later).free >= 3, "half the range stays free to offer");
  assert.ok(lease(t, apply, mac(2), later).address);
  assert.deepEqual(
    t.decline(mac(3), "10.9.0.15", later),
    { accepted: false, held: false },
    "not its address",
  );
});

test("lease table (fast-check): no address is ever acknowledged to two MACs at once; reservations win", () => {
  const op = fc.record({
    kind: fc.constantFrom("discover", "select", "init-reboot", "renew", "decline", "release", "wait"),
    mac: fc.integer({ min: 1, max: 12 }),
    addr: fc.integer({ min: 8, max: 20 }),
    ms: fc.integer({ min: 0, max: 400_000 }),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const { t, apply } = table();
      const reserved = new Map([
        [mac(1), "10.9.0.12"],
        [mac(2), "10.9.0.19"],
      ]);
      t.setReservations([...reserved]);
      // What each client was told: address to holder and end.
      const told = new Map<string, { mac: string; until: number }>();
      const offered = new Map<string, string>();
      let now = 0;
      for (const o of ops) {
        const m = mac(o.mac);
        const addr = `10.9.0.${o.addr}`;
        if (o.kind === "wait") now += o.ms;
        if (o.kind === "discover") {
          const a = t.offer(m, addr, now);
          if (a === undefined) continue;
          offered.set(m, a);
          const r = reserved.get(m);
          if (r) assert.equal(a, r);
          for (const [rm, ra] of reserved) if (rm !== m) assert.notEqual(a, ra);
          const h = told.get(a);
          assert.ok(!h || h.mac === m || h.until <= now, `offered ${a} held by ${h?.mac}`);
          continue;
        }
        const state =
          o.kind === "select" ? "selecting" : o.kind === "init-reboot" ? "init-reboot" : "renewing";
        if (o.kind === "select" || o.kind === "init-reboot" || o.kind === "renew") {
          const want = o.kind === "select" ? (offered.get(m) ?? addr) : addr;
          const r = apply(t.request(m, { state, address: want, ours: true }, now));
          if (!("ack" in r)) continue;
          const h = told.get(want);
          assert.ok(!h || h.mac === m || h.until <= now, `${want} ACKed to ${m} while ${h?.mac} holds it`);
          const res = reserved.get(m);
          if (res) assert.equal(want, res);
          for (const [rm, ra] of reserved) if (rm !== m) assert.notEqual(want, ra);
          for (const [a, v] of told) if (v.mac === m) told.delete(a);
          told.set(want, { mac: m, until: now + r.ack.leaseSeconds * 1000 });
        }
        if (o.kind === "decline") {
          const d = t.decline(m, addr, now);
          if (d.drop) t.remove(d.drop);
          if (d.accepted && told.get(addr)?.mac === m) told.delete(addr);
        }
        if (o.kind === "release" && t.release(m, addr)) {
          t.remove(addr);
          told.delete(addr);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test("lease table: a DISCOVER flood on a full range of 65536 does not stall the daemon, and freed addresses are seen", () => {
  const net = parseIpv4Cidr("10.0.0.0/8")!;
  const range = parseDhcpRange("10.1.0.0-10.1.255.255", net);
  const t = new LeaseTable({ ...SETUP, network: net, range, serverAddress: "10.0.0.1" });
  const now = Date.parse("2026-01-01T00:00:00Z");
  const hex = (i: number) => i.toString(16).padStart(4, "0");
  const addr = (i: number) => `10.1.${i >> 8}.${i & 255}`;
  for (let i = 0; i < 65536; i++)
    t.put({
      address: addr(i),
      mac: `02:00:00:00:${hex(i).slice(0, 2)}:${hex(i).slice(2)}`,
      grantedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + (i === 65535 ? 500 : 600_000)).toISOString(),
    });
  const started = performance.now();
  for (let i = 0; i < 200; i++)
    assert.equal(t.offer(`06:00:00:00:00:${hex(i).slice(2)}`, undefined, now), undefined);
  const perDiscover = (performance.now() - started) / 200;
  // Before: 260 ms of the event loop per DISCOVER (a string and a date parse per address).
  assert.ok(perDiscover < 20, `${perDiscover.toFixed(1)} ms per DISCOVER on a full range`);
  // A lease that expires frees its address by the clock alone: seen within a second.
  assert.equal(t.offer("06:00:00:00:01:01", undefined, now + 600), undefined);
  assert.equal(t.offer("06:00:00:00:01:02", undefined, now + 1700), addr(65535));
  // A RELEASE frees an address: the next DISCOVER gets it at once.
  assert.equal(t.offer("06:00:00:00:01:03", undefined, now + 1700), undefined);
  t.remove(addr(7));
  assert.equal(t.offer("06:00:00:00:01:04", undefined, now + 1700), addr(7));
});
