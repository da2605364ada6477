import { randomBytes } from "node:crypto";
import type { Mac } from "../domain/mac.js";
import type { Store } from "../store/store.js";
import { COLLECTIONS, type Clock } from "./ports.js";

/** A machine-scoped credential handed to the discovery image: it may only speak for that one MAC. */
export interface AgentSession {
  key: string;
  mac: Mac;
  createdAt: string;
  expiresAt: string;
}

/** How long a discovery image may keep reporting and polling with its key. */
const SESSION_TTL_MS = 24 * 3600 * 1000;

/**
 * Keys for discovery agents. The discovery script is served on the open boot endpoint, so it must not carry
 * a long-lived agent token: each discovery boot gets a fresh key that speaks only for the booting MAC.
 */
export class AgentSessionService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Creates a key for one machine. */
  async create(mac: Mac): Promise<AgentSession> {
    const now = this.clock.now();
    const s: AgentSession = {
      key: `ens_${randomBytes(24).toString("base64url")}`,
      mac,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    };
    const expired = [...this.store.all<AgentSession>(COLLECTIONS.agentSessions)].filter(
      (x) => Date.parse(x.expiresAt) < now.getTime(),
    );
    await this.store.commit([
      { op: "put", collection: COLLECTIONS.agentSessions, id: s.key, value: s },
      ...expired.map((x) => ({ op: "del" as const, collection: COLLECTIONS.agentSessions, id: x.key })),
    ]);
    return s;
  }

  /** The session behind a key, if it exists and has not expired. */
  verify(key: string): AgentSession | undefined {
    if (!/^ens_[A-Za-z0-9_-]{32}$/.test(key)) return undefined;
    const s = this.store.get<AgentSession>(COLLECTIONS.agentSessions, key);
    return s && Date.parse(s.expiresAt) >= this.clock.now().getTime() ? s : undefined;
  }
}
