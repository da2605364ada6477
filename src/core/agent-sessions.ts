import { createHash, createHmac, randomBytes } from "node:crypto";
import type { Mac } from "../domain/mac.js";
import type { Store, StoreOp } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock } from "./ports.js";

/** A machine-scoped credential handed to the discovery image: it may only speak for that one MAC. */
export interface AgentSession {
  mac: Mac;
  /**
   * The machine the key was issued for: the one holding its MAC then, or the MAC itself (a machine to be).
   * It speaks for that machine only, not for whichever machine the MAC joins later. Absent in older records.
   */
  machine?: string;
  createdAt: string;
  expiresAt: string;
}

/** A session as handed out on the boot side: with its key, which is never stored. */
export interface IssuedSession extends AgentSession {
  key: string;
}

/**
 * What the store holds, under the SHA-256 of the key: the nonce the key is derived from (useless without
 * the server secret, which lives outside the store), never the key itself.
 */
interface StoredSession extends AgentSession {
  /** The SHA-256 of the key, also the record's id (the index is rebuilt from values). */
  hash: string;
  /** Absent for migrated plain-text sessions: those are never handed out again. */
  nonce?: string;
}

/** Sessions written before keys were hashed: stored under the key itself. Migrated by pruneOps. */
interface LegacySession extends AgentSession {
  key: string;
}

/** How long a discovery image may keep reporting and polling with its key. */
const SESSION_TTL_MS = 24 * 3600 * 1000;
/**
 * Repeated discovery requests for a MAC within this time answer the same key with no write: one boot asks
 * twice (machine script, then the discovery step), firmware retries, and a flood of one MAC costs nothing.
 * A request after it (a new boot) gets a new key and the old one is revoked.
 */
const REUSE_MS = 3600 * 1000;
const KEY_FORMAT = /^ens_[A-Za-z0-9_-]{32}$/;

/**
 * Keys for discovery agents. The discovery script is served on the open boot endpoint, so it must not carry
 * a long-lived agent token: each discovery boot gets a key that speaks only for the booting MAC. The key is
 * HMAC(server secret, nonce, MAC), so the same boot can be handed the same key again while the store keeps
 * only its hash and the nonce. One live session per MAC, at most `max` in all (oldest revoked first).
 */
export class AgentSessionService {
  /**
   * MAC -> store id of its live session, oldest first (all live the same time, so also expiry order). Kept
   * from the store's change feed: ops built but never committed (a boot that failed) leave it as it was.
   */
  private readonly byMac = new Map<Mac, string>();
  /** Store id -> its MAC, for every stored session: a deletion names only the id. */
  private readonly macOf = new Map<string, Mac>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secret: Uint8Array,
    private readonly max: number,
  ) {
    const all = [...store.all<StoredSession | LegacySession>(COLLECTIONS.agentSessions)];
    all.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    for (const s of all) {
      const id = "key" in s ? s.key : s.hash;
      this.byMac.delete(s.mac);
      this.byMac.set(s.mac, id);
      this.macOf.set(id, s.mac);
    }
    store.onApplied((ops) => {
      for (const op of ops) if (op.collection === COLLECTIONS.agentSessions) this.apply(op);
    });
  }

  private apply(op: StoreOp): void {
    if (op.op === "del") {
      const mac = this.macOf.get(op.id);
      this.macOf.delete(op.id);
      if (mac && this.byMac.get(mac) === op.id) this.byMac.delete(mac);
      return;
    }
    const mac = (op.value as AgentSession).mac;
    this.macOf.set(op.id, mac);
    // A MAC's new session follows the old one's deletion, so it goes to the back (the newest); a migrated
    // one is put before its plain-text record is deleted, so it keeps its place in expiry order.
    this.byMac.set(mac, op.id);
  }

  /**
   * The key for a discovery boot of `mac` and the ops that store it (none when the MAC's live session is
   * reused). Synchronous, so the caller commits the ops together with the rest of the boot's writes.
   */
  issueOps(
    mac: Mac,
    machine: string = mac,
    /** When the machine last booted a config: a key issued before has ended and is not handed out again. */
    endedBefore?: string,
  ): { session: IssuedSession; ops: StoreOp[] } {
    const now = this.clock.now().getTime();
    const ops = this.expiredOps(now);
    // The index changes only once the ops are committed: what they delete is skipped here.
    const gone = new Set(ops.map((o) => o.id));
    const live = this.byMac.get(mac);
    const id = live && !gone.has(live) ? live : undefined;
    const cur = id ? this.store.get<StoredSession | LegacySession>(COLLECTIONS.agentSessions, id) : undefined;
    const ended = !!cur && endedBefore !== undefined && cur.createdAt < endedBefore;
    const same = cur && !ended && (cur.machine ?? cur.mac) === machine;
    if (cur && same && !("key" in cur) && cur.nonce && now - Date.parse(cur.createdAt) < REUSE_MS) {
      const key = this.derive(cur.nonce, mac);
      // A changed server secret makes the nonce useless: fall through to a new session.
      if (keyId(key) === id) return { session: { ...view(cur), key }, ops };
    }
    if (id) {
      ops.push(this.delOp(id));
      gone.add(id);
    }
    // The oldest go first, until this one fits under `max`.
    let left = this.byMac.size - gone.size;
    for (const oldId of this.byMac.values()) {
      if (left < this.max) break;
      if (gone.has(oldId)) continue;
      ops.push(this.delOp(oldId));
      left--;
    }
    const nonce = randomBytes(16).toString("base64url");
    const key = this.derive(nonce, mac);
    const s: StoredSession = {
      hash: keyId(key),
      mac,
      machine,
      nonce,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + SESSION_TTL_MS).toISOString(),
    };
    ops.push({ op: "put", collection: COLLECTIONS.agentSessions, id: keyId(key), value: s });
    return { session: { ...view(s), key }, ops };
  }

  /** Issues a key for one machine and stores it (when it is new). */
  async create(mac: Mac): Promise<IssuedSession> {
    const { session, ops } = this.issueOps(mac);
    if (ops.length > 0) await this.store.commit(ops);
    return session;
  }

  /** The session behind a key, if it exists and has not expired. */
  verify(key: string): AgentSession | undefined {
    if (!KEY_FORMAT.test(key)) return undefined;
    const s =
      this.store.get<StoredSession>(COLLECTIONS.agentSessions, keyId(key)) ??
      this.store.get<LegacySession>(COLLECTIONS.agentSessions, key);
    return s && Date.parse(s.expiresAt) >= this.clock.now().getTime() ? view(s) : undefined;
  }

  /** How many sessions are live (or expired and not yet pruned). */
  count(): number {
    return this.byMac.size;
  }

  /**
   * Ops that delete expired sessions and move plain-text keys from older versions under their hash (the
   * key keeps working until it expires; it is never reused, so the next discovery boot gets a new one).
   */
  pruneOps(): StoreOp[] {
    const ops = this.expiredOps(this.clock.now().getTime());
    const gone = new Set(ops.map((o) => o.id));
    for (const id of this.byMac.values()) {
      const s = this.store.get<LegacySession>(COLLECTIONS.agentSessions, id);
      if (gone.has(id) || !s || !("key" in s)) continue;
      // Put before the deletion: the index keeps the session's place (see apply).
      ops.push(
        {
          op: "put",
          collection: COLLECTIONS.agentSessions,
          id: keyId(s.key),
          value: { ...view(s), hash: keyId(s.key) } satisfies StoredSession,
        },
        { op: "del", collection: COLLECTIONS.agentSessions, id },
      );
    }
    return ops;
  }

  /** Expired sessions sit at the front of the creation-ordered index: only they are looked at. */
  private expiredOps(now: number): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const id of this.byMac.values()) {
      const s = this.store.get<AgentSession>(COLLECTIONS.agentSessions, id);
      if (s && Date.parse(s.expiresAt) >= now) break;
      ops.push(this.delOp(id));
    }
    return ops;
  }

  private delOp(id: string): StoreOp {
    return { op: "del", collection: COLLECTIONS.agentSessions, id };
  }

  private derive(nonce: string, mac: Mac): string {
    const digest = createHmac("sha256", this.secret).update(`ens1 ${nonce} ${mac}`).digest().subarray(0, 24);
    return `ens_${digest.toString("base64url")}`;
  }
}

/** Where a key's session is stored: its SHA-256 (keys carry 192 bits, so a fast hash is enough). */
function keyId(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

function view(s: AgentSession): AgentSession {
  return { mac: s.mac, machine: s.machine ?? s.mac, createdAt: s.createdAt, expiresAt: s.expiresAt };
}
