import { inRange, notAHost, rangeSize, type DhcpRange } from "./dhcp-range.js";
import { ipv4Text, ipv4Value, type Ipv4Net } from "./ipv4-net.js";

/** One lease as stored (collection `dhcp-leases`, keyed by address): kept after expiry until reused. */
export interface DhcpLease {
  address: string;
  mac: string;
  /** When this MAC first got this address, and when the lease (as last written) ends; ISO times. */
  grantedAt: string;
  expiresAt: string;
  hostname?: string;
}

/** How long a walk that found the range full is trusted when nothing changed (only expiries free addresses then). */
const FULL_RECHECK_MS = 1000;

/** What the lease table is set up with. */
export interface LeaseTableSetup {
  network: Ipv4Net;
  range: DhcpRange;
  /** Enforcer's own address: never handed out. */
  serverAddress: string;
  leaseMs: number;
  /** How long an OFFER holds its address (in memory only). */
  offerMs: number;
  /** How long a DECLINEd address is not offered. */
  declineMs: number;
}

/** The three ways a client REQUESTs (RFC 2131 §4.3.2). */
export type RequestState = "selecting" | "init-reboot" | "renewing";

/** The answer to a REQUEST: an ACK (with the lease to write, or none when the stored one still covers it), a NAK, or silence. */
export type RequestOutcome =
  | { ack: { address: string; leaseSeconds: number; write?: DhcpLease; replaces?: string } }
  | { nak: string }
  | { ignore: string };

/**
 * The pure state of `--dhcp server`: stored leases (fed from the store), offers and declined addresses (in
 * memory only), reservations (from machine labels). Decides offers and requests; writes nothing itself:
 * the service commits what `request` returns, and the store's change feed calls `put`/`remove`.
 * Invariant: an address is held (leased, unexpired) by at most one MAC; a reserved address is offered and
 * acknowledged only to its machine.
 */
export class LeaseTable {
  private readonly byAddress = new Map<number, DhcpLease>();
  private readonly byMac = new Map<string, number>();
  /** Each stored lease's expiry as a number: the walk over the range reads it for every address. */
  private readonly expiry = new Map<number, number>();
  /** Bumped by every change of leases, offers, declines or reservations: a found-full walk stays true until then. */
  private version = 0;
  /** The last walk that found the range full, and until when to trust it (leases expire by the clock alone). */
  private full: { version: number; at: number; until: number } | undefined;
  private readonly offers = new Map<string, { address: number; until: number }>();
  private readonly offerAt = new Map<number, string>();
  private readonly declined = new Map<number, number>();
  private reservedFor = new Map<number, string>();
  private reservedOf = new Map<string, number>();
  private readonly server: number;
  /** At most half the range is held as declined: a DECLINE flood cannot empty it. */
  private readonly maxDeclined: number;

  constructor(readonly setup: LeaseTableSetup) {
    this.server = ipv4Value(setup.serverAddress) ?? -1;
    this.maxDeclined = Math.floor(rangeSize(setup.range) / 2);
  }

  /** A stored lease was written (change feed). */
  put(l: DhcpLease): void {
    const v = ipv4Value(l.address);
    if (v === undefined) return;
    this.version++;
    this.remove(l.address);
    const old = this.byMac.get(l.mac);
    if (old !== undefined && old !== v) {
      this.byAddress.delete(old);
      this.expiry.delete(old);
    }
    this.byAddress.set(v, l);
    this.expiry.set(v, Date.parse(l.expiresAt));
    this.byMac.set(l.mac, v);
  }

  /** A stored lease was deleted (change feed). */
  remove(address: string): void {
    const v = ipv4Value(address);
    const l = v === undefined ? undefined : this.byAddress.get(v);
    if (!l || v === undefined) return;
    this.version++;
    this.byAddress.delete(v);
    this.expiry.delete(v);
    if (this.byMac.get(l.mac) === v) this.byMac.delete(l.mac);
  }

  /**
   * Replaces the reservations (MAC to address, in a stable order). An address outside the network, the
   * server's own, or one an earlier entry took is skipped and named in the result.
   */
  setReservations(entries: readonly (readonly [string, string])[]): string[] {
    const problems: string[] = [];
    this.version++;
    this.reservedFor = new Map();
    this.reservedOf = new Map();
    for (const [mac, address] of entries) {
      const bad = notAHost(this.setup.network, address);
      const v = ipv4Value(address);
      if (bad || v === undefined) problems.push(`${mac}: ${bad ?? address}`);
      else if (v === this.server) problems.push(`${mac}: ${address} is Enforcer's own address`);
      else if (this.reservedFor.has(v))
        problems.push(`${mac}: ${address} is already reserved for ${this.reservedFor.get(v)}`);
      else {
        this.reservedFor.set(v, mac);
        this.reservedOf.set(mac, v);
      }
    }
    return problems;
  }

  /** The lease held for a MAC (even expired), if any. */
  leaseOf(mac: string): DhcpLease | undefined {
    const v = this.byMac.get(mac);
    return v === undefined ? undefined : this.byAddress.get(v);
  }

  /** Every stored lease. */
  leases(): DhcpLease[] {
    return [...this.byAddress.values()];
  }

  /** The address to OFFER a MAC, held for it for `offerMs`; undefined when the range has none free. */
  offer(mac: string, requested: string | undefined, now: number): string | undefined {
    const v = this.pick(mac, requested, now);
    if (v === undefined) return undefined;
    this.dropOffer(mac);
    // Whoever held a lapsed offer of this address loses it: the offers stay bounded by the range.
    const prev = this.offerAt.get(v);
    if (prev !== undefined) this.offers.delete(prev);
    this.version++;
    this.offers.set(mac, { address: v, until: now + this.setup.offerMs });
    this.offerAt.set(v, mac);
    return ipv4Text(v);
  }

  private pick(mac: string, requested: string | undefined, now: number): number | undefined {
    // A reservation always wins, even over another client's lease (that one is NAKed at its renewal).
    const reserved = this.reservedOf.get(mac);
    if (reserved !== undefined) return reserved;
    const ok = (v: number | undefined) => v !== undefined && this.refusal(v, mac, now) === undefined;
    const own = this.byMac.get(mac);
    if (ok(own)) return own;
    const offered = this.offers.get(mac);
    if (offered && ok(offered.address)) return offered.address;
    const asked = requested === undefined ? undefined : ipv4Value(requested);
    if (ok(asked) && inRange(this.setup.range, asked!)) return asked;
    // A flood of DISCOVERs on a full range walks it once a second at most, not once a packet.
    if (this.full && this.full.version === this.version && now >= this.full.at && now < this.full.until)
      return undefined;
    // Never-leased addresses first, then the one whose lease ended longest ago: a client coming back
    // finds its old address for as long as possible.
    let oldest: { v: number; at: number } | undefined;
    for (let v = this.setup.range.start; v <= this.setup.range.end; v++) {
      if (this.heldByOther(v, mac, now) || !ok(v)) continue;
      const at = this.expiry.get(v);
      if (at === undefined) return v;
      if (!oldest || at < oldest.at) oldest = { v, at };
    }
    if (!oldest) this.full = { version: this.version, at: now, until: now + FULL_RECHECK_MS };
    return oldest?.v;
  }

  /**
   * The common case of a full range, decided from numbers alone: `v` is leased, unexpired, to another MAC and
   * reserved for no one (so `refusal` would refuse it). Without it a DISCOVER on a full range of 65536 took
   * 260 ms of the event loop (a string and a date parse per address): a few a second stalled the daemon.
   */
  private heldByOther(v: number, mac: string, now: number): boolean {
    const until = this.expiry.get(v);
    return (
      until !== undefined && until > now && this.byAddress.get(v)!.mac !== mac && !this.reservedFor.has(v)
    );
  }

  /** Why `mac` may not have address `v` now, or undefined when it may. */
  private refusal(v: number, mac: string, now: number): string | undefined {
    const a = ipv4Text(v);
    const host = notAHost(this.setup.network, a);
    if (host) return host;
    if (v === this.server) return `${a} is Enforcer's own address`;
    const owner = this.reservedFor.get(v);
    if (owner !== undefined && owner !== mac) return `${a} is reserved for ${owner}`;
    const mine = this.reservedOf.get(mac);
    if (mine !== undefined && mine !== v) return `${mac} has the reserved address ${ipv4Text(mine)}`;
    if (owner === undefined && !inRange(this.setup.range, v)) return `${a} is outside the DHCP range`;
    const l = this.byAddress.get(v);
    // A reserved address goes to its machine whatever else holds it.
    if (owner === undefined && l && l.mac !== mac && Date.parse(l.expiresAt) > now)
      return `${a} is leased to another client`;
    const o = this.offerAt.get(v);
    if (owner === undefined && o !== undefined && o !== mac && this.offers.get(o)!.until > now)
      return `${a} is offered to another client`;
    const d = this.declined.get(v);
    if (owner === undefined && d !== undefined && d > now) return `${a} was declined`;
    return undefined;
  }

  /**
   * A REQUEST for `address` (option 50, or ciaddr when renewing). Selecting another server's offer drops
   * ours; INIT-REBOOT on the wrong network is NAKed and from a client we know nothing of is ignored (RFC 2131
   * §4.3.2); any address the client may not have is NAKed. A renewal that would move the written expiry by
   * less than half a lease writes nothing and gets the time the stored lease still has.
   */
  request(
    mac: string,
    q: { state: RequestState; address: string; ours: boolean; hostname?: string },
    now: number,
  ): RequestOutcome {
    if (q.state === "selecting" && !q.ours) {
      this.dropOffer(mac);
      return { ignore: "the client chose another server" };
    }
    const v = ipv4Value(q.address);
    if (v === undefined) return { nak: `${q.address} is not an address` };
    const offNet = notAHost(this.setup.network, q.address);
    if (q.state === "init-reboot") {
      if (offNet) return { nak: offNet };
      const known = this.byMac.has(mac) || this.reservedOf.has(mac) || this.offers.has(mac);
      if (!known) return { ignore: `no record of ${mac}` };
    }
    const why = this.refusal(v, mac, now);
    if (why) return { nak: why };
    this.dropOffer(mac);
    const current = this.byAddress.get(v);
    const held = current?.mac === mac ? current : undefined;
    const heldUntil = held ? Date.parse(held.expiresAt) : 0;
    const expires = now + this.setup.leaseMs;
    if (held && heldUntil > now && expires - heldUntil < this.setup.leaseMs / 2)
      return { ack: { address: q.address, leaseSeconds: Math.floor((heldUntil - now) / 1000) } };
    const previous = this.byMac.get(mac);
    const write: DhcpLease = {
      address: q.address,
      mac,
      grantedAt: held?.grantedAt ?? new Date(now).toISOString(),
      expiresAt: new Date(expires).toISOString(),
      ...(q.hostname !== undefined ? { hostname: q.hostname } : {}),
    };
    return {
      ack: {
        address: q.address,
        leaseSeconds: Math.floor(this.setup.leaseMs / 1000),
        write,
        ...(previous !== undefined && previous !== v ? { replaces: ipv4Text(previous) } : {}),
      },
    };
  }

  /**
   * A DECLINE (the client found the address in use): the address is not offered for `declineMs`, unless half
   * the range is already held so. Only the MAC the address was offered or leased to can decline it.
   * Returns whether it was the client's to decline, whether it is held, and the lease to delete.
   */
  decline(mac: string, address: string, now: number): { accepted: boolean; held: boolean; drop?: string } {
    const v = ipv4Value(address);
    if (v === undefined) return { accepted: false, held: false };
    const leased = this.byAddress.get(v)?.mac === mac;
    const offered = this.offers.get(mac)?.address === v;
    if (!leased && !offered) return { accepted: false, held: false };
    this.dropOffer(mac);
    for (const [d, until] of this.declined) if (until <= now) this.declined.delete(d);
    const held = this.declined.size < this.maxDeclined || this.declined.has(v);
    if (held) this.declined.set(v, now + this.setup.declineMs);
    this.version++;
    return { accepted: true, held, ...(leased ? { drop: address } : {}) };
  }

  /** A RELEASE: the address of the MAC's lease to delete, when it holds that one. */
  release(mac: string, address: string): string | undefined {
    const v = ipv4Value(address);
    return v !== undefined && this.byAddress.get(v)?.mac === mac ? address : undefined;
  }

  /** Addresses of the range in use (leased, unexpired), reserved, declined, and free to offer now. */
  counts(now: number): { inUse: number; free: number } {
    let inUse = 0;
    for (const until of this.expiry.values()) if (until > now) inUse++;
    let free = 0;
    const fresh = "\u0000";
    for (let v = this.setup.range.start; v <= this.setup.range.end; v++)
      if (
        !this.heldByOther(v, fresh, now) &&
        !this.reservedFor.has(v) &&
        this.refusal(v, fresh, now) === undefined
      )
        free++;
    return { inUse, free };
  }

  private dropOffer(mac: string): void {
    const o = this.offers.get(mac);
    if (!o) return;
    this.version++;
    this.offers.delete(mac);
    if (this.offerAt.get(o.address) === mac) this.offerAt.delete(o.address);
  }
}
