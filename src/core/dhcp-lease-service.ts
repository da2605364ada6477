import { RESERVATION_LABEL, notAHost, rangeSize } from "../domain/dhcp-range.js";
import {
  LeaseTable,
  type DhcpLease,
  type LeaseTableSetup,
  type RequestState,
} from "../domain/dhcp-lease-table.js";
import { LeaseWriteBudget } from "../domain/dhcp-write-budget.js";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { ipv4Value, type Ipv4Net } from "../domain/ipv4-net.js";
import type { Machine } from "../domain/machine.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store, StoreExpect, StoreOp } from "../store/store.js";
import type { Clock } from "./ports.js";

/** DHCP message types the lease service reads (RFC 2132 §9.6). */
const DISCOVER = 1;
const REQUEST = 3;
const DECLINE = 4;
const RELEASE = 7;
const INFORM = 8;

/** One request as the lease service sees it (the daemon reads it from the decoded message). */
export interface LeaseRequest {
  messageType?: number;
  mac: string;
  ciaddr: string;
  /** Option 50 and option 54 of the request. */
  requestedIp?: string;
  serverId?: string;
  hostname?: string;
}

/** What to answer: the reply type and the address fields; the daemon adds the options and the boot file. */
export type LeaseAnswer =
  | { reply: "offer" | "ack"; yiaddr: string; leaseSeconds: number }
  | { reply: "inform-ack" }
  | { reply: "nak"; message: string };

/** What happened, for the log and /metrics (one word) and a sentence. */
export interface LeaseOutcome {
  answer?: LeaseAnswer;
  event:
    | "offer"
    | "ack"
    | "renew"
    | "nak"
    | "ignored"
    | "declined"
    | "released"
    | "inform"
    | "exhausted"
    | "throttled"
    | "unstored";
  detail: string;
}

/** A request that would write past the lease write budget: no answer, the client retransmits. */
const THROTTLED: LeaseOutcome = {
  event: "throttled",
  detail: "too many lease writes lately (hopping or releasing clients): no answer, nothing written",
};

/** A lease write the store refused (another instance wrote the address first, or the store is unavailable). */
function unstored(why: string): LeaseOutcome {
  return { event: "unstored", detail: `lease not stored (${why}): no answer, the client retries` };
}

/** A lease as the API shows it. */
export interface LeaseView extends DhcpLease {
  state: "active" | "expired";
  /** A reservation from the machine's label. */
  reserved: boolean;
}

/**
 * `--dhcp server`: addresses from a range, reservations from machine labels, leases in the store. A lease is
 * committed before its ACK is sent (so an acknowledged lease survives a crash); offers and declined addresses
 * live in memory only. The table follows the store's change feed; reservations are re-read when machines
 * change. Also the check of the reservation label when a machine is edited (any mode).
 */
export class DhcpLeaseService {
  private table: LeaseTable | undefined;
  private writes: LeaseWriteBudget | undefined;
  private reservationsStale = true;
  private problems: string[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    store.onApplied((ops) => {
      for (const op of ops) {
        if (op.collection === COLLECTIONS.machines) this.reservationsStale = true;
        if (op.collection !== COLLECTIONS.dhcpLeases || !this.table) continue;
        if (op.op === "put") this.table.put(op.value as DhcpLease);
        else this.table.remove(op.id);
      }
    });
  }

  /** Starts server mode: the table over the stored leases; returns reservation problems to log. */
  configure(setup: LeaseTableSetup): string[] {
    this.table = new LeaseTable(setup);
    this.writes = LeaseWriteBudget.forRange(
      rangeSize(setup.range),
      setup.leaseMs,
      this.clock.now().getTime(),
    );
    for (const l of this.store.all<DhcpLease>(COLLECTIONS.dhcpLeases)) this.table.put(l);
    this.reservationsStale = true;
    this.refreshReservations();
    return this.problems;
  }

  /** The boot network, once server mode runs. */
  get network(): Ipv4Net | undefined {
    return this.table?.setup.network;
  }

  /** Every stored lease, newest expiry first. */
  list(): LeaseView[] {
    const now = this.clock.now().getTime();
    const reserved = new Set(this.reservations().map(([mac, a]) => `${mac} ${a}`));
    return [...this.store.all<DhcpLease>(COLLECTIONS.dhcpLeases)]
      .map((l) => ({
        ...l,
        state: Date.parse(l.expiresAt) > now ? ("active" as const) : ("expired" as const),
        reserved: reserved.has(`${l.mac} ${l.address}`),
      }))
      .sort((a, b) => b.expiresAt.localeCompare(a.expiresAt));
  }

  /** Leases in use and addresses free to offer, for /metrics; undefined unless server mode runs. */
  counts(): { inUse: number; free: number } | undefined {
    return this.table?.counts(this.clock.now().getTime());
  }

  /**
   * Refuses a machine's reservation label when it is not an address, is outside the boot network (known
   * once server mode runs), or another machine reserves it already (ENF_ERR_DHCP_RESERVATION).
   */
  checkReservation(next: Machine): void {
    const address = next.labels[RESERVATION_LABEL];
    if (address === undefined) return;
    const fail = (why: string): never => {
      throw new EnforcerError("ENF_ERR_DHCP_RESERVATION", `label ${RESERVATION_LABEL}=${address}: ${why}`, {
        machine: next.id,
      });
    };
    if (ipv4Value(address) === undefined) fail("not an IPv4 address");
    const net = this.network;
    const bad = net ? notAHost(net, address) : undefined;
    if (bad) fail(bad);
    if (this.table && address === this.table.setup.serverAddress) fail("that is Enforcer's own address");
    for (const m of this.store.all<Machine>(COLLECTIONS.machines))
      if (m.id !== next.id && m.labels[RESERVATION_LABEL] === address) fail(`already reserved for ${m.id}`);
  }

  /** Decides one request; a lease to acknowledge is committed before this resolves. */
  async handle(req: LeaseRequest): Promise<LeaseOutcome> {
    const table = this.table;
    if (!table) return { event: "ignored", detail: "server mode is not running" };
    this.refreshReservations();
    const now = this.clock.now().getTime();
    const ours = req.serverId === table.setup.serverAddress;
    switch (req.messageType) {
      case DISCOVER: {
        const a = table.offer(req.mac, req.requestedIp, now);
        if (a === undefined) return { event: "exhausted", detail: "no free address in the range" };
        const leaseSeconds = Math.floor(table.setup.leaseMs / 1000);
        return { answer: { reply: "offer", yiaddr: a, leaseSeconds }, event: "offer", detail: a };
      }
      case REQUEST:
        return this.request(table, req, ours, now);
      case DECLINE: {
        if (!ours) return { event: "ignored", detail: "a DECLINE for another server" };
        const address = req.requestedIp ?? "";
        const d = table.decline(req.mac, address, now);
        if (!d.accepted) return { event: "ignored", detail: `${address} was not offered or leased to it` };
        // Over the write budget the stored lease stays until it expires; the address is held all the same.
        // A refused delete leaves the stored lease to expire; the address is held all the same.
        if (d.drop !== undefined && this.mayWrite(now)) await this.commit([this.del(d.drop)]);
        return {
          event: "declined",
          detail: d.held
            ? `${address} is in use by another host: not offered for a while`
            : `${address} declined, but half the range is held as declined already: it stays in the pool`,
        };
      }
      case RELEASE: {
        const a = ours ? table.release(req.mac, req.ciaddr) : undefined;
        if (a === undefined) return { event: "ignored", detail: `no lease of ${req.ciaddr} to release` };
        if (!this.mayWrite(now)) return THROTTLED;
        const refused = await this.commit([this.del(a)]);
        if (refused) return unstored(refused);
        return { event: "released", detail: a };
      }
      case INFORM:
        return { answer: { reply: "inform-ack" }, event: "inform", detail: req.ciaddr };
      default:
        return { event: "ignored", detail: `message type ${req.messageType ?? "none"}` };
    }
  }

  private async request(
    table: LeaseTable,
    req: LeaseRequest,
    ours: boolean,
    now: number,
  ): Promise<LeaseOutcome> {
    // RFC 2131 §4.3.2: option 54 names the server in SELECTING; option 50 without it is INIT-REBOOT;
    // neither (ciaddr filled) is RENEWING or REBINDING.
    const state: RequestState =
      req.serverId !== undefined ? "selecting" : req.requestedIp !== undefined ? "init-reboot" : "renewing";
    const address = state === "renewing" ? req.ciaddr : (req.requestedIp ?? "");
    const out = table.request(
      req.mac,
      { state, address, ours, ...(req.hostname !== undefined ? { hostname: req.hostname } : {}) },
      now,
    );
    if ("ignore" in out) return { event: "ignored", detail: out.ignore };
    if ("nak" in out) return { answer: { reply: "nak", message: out.nak }, event: "nak", detail: out.nak };
    const { ack } = out;
    // Only a move to another address spends the budget: a grant takes a free address (bounded by the range)
    // and a renewal of the held one writes once per half lease, so honest clients keep theirs in a flood.
    if (ack.replaces !== undefined && !this.mayWrite(now)) return THROTTLED;
    if (ack.write) {
      const ops: StoreOp[] = [];
      if (ack.replaces !== undefined) ops.push(this.del(ack.replaces));
      ops.push({ op: "put", collection: COLLECTIONS.dhcpLeases, id: ack.write.address, value: ack.write });
      // Durable before the ACK leaves: a client told it holds the address holds it after a crash too.
      const refused = await this.commit(ops);
      if (refused) return unstored(refused);
    }
    return {
      answer: { reply: "ack", yiaddr: ack.address, leaseSeconds: ack.leaseSeconds },
      event: ack.write ? "ack" : "renew",
      detail: `${ack.address} for ${ack.leaseSeconds} s${ack.write ? "" : " (nothing written)"}`,
    };
  }

  /** Whether a lease write fits the budget now (see LeaseWriteBudget); takes it when it does. */
  private mayWrite(now: number): boolean {
    return this.writes?.take(now) ?? true;
  }

  private refreshReservations(): void {
    if (!this.reservationsStale || !this.table) return;
    this.reservationsStale = false;
    this.problems = this.table.setReservations(this.reservations());
  }

  /** MAC (the machine's id) and reserved address of every machine with the label, in id order. */
  private reservations(): [string, string][] {
    const out: [string, string][] = [];
    for (const m of this.store.all<Machine>(COLLECTIONS.machines)) {
      const a = m.labels[RESERVATION_LABEL];
      if (a !== undefined) out.push([m.id, a]);
    }
    return out.sort((x, y) => x[0].localeCompare(y[0]));
  }

  private del(address: string): StoreOp {
    return { op: "del", collection: COLLECTIONS.dhcpLeases, id: address };
  }

  /**
   * Commits lease ops expecting each key as this instance read it (the lease, or its absence): with a store
   * several instances share, two never give one address to two clients, even while both think they lead.
   * Answers why the store refused, or undefined once the ops are durable.
   */
  private async commit(ops: StoreOp[]): Promise<string | undefined> {
    const expect: StoreExpect[] = ops.map((o) => ({
      collection: o.collection,
      id: o.id,
      value: this.store.get(o.collection, o.id),
    }));
    try {
      await this.store.commit(ops, expect);
      return undefined;
    } catch (err) {
      if (isEnforcerError(err)) return `${err.code}: ${err.message}`;
      throw err;
    }
  }
}
