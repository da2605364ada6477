import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import type { ApiToken, Role } from "../domain/token.js";
import type { Store, StoreExpect, StoreOp } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock } from "./ports.js";

/** A token as listed: everything but the hash. */
export type TokenInfo = Omit<ApiToken, "hash">;

/** The runtime record a shared store's first admin token is made with, once. */
const INITIAL_ADMIN = "initial-admin";
const FORMAT = /^enf_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/**
 * Bearer tokens `enf_<id>_<secret>`: the id finds the record, the secret is compared by SHA-256 in constant
 * time. Secrets have 256 bits of entropy, so a fast hash is enough; the secret is shown once, at creation.
 */
export class TokenService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Creates a token; answers its record and the secret token string (shown once). */
  async create(
    name: string,
    role: Role,
    /** Ops and expectations committed with the token (the first admin's marker). */
    also: StoreOp[] = [],
    expect?: StoreExpect[],
  ): Promise<{ token: string; info: TokenInfo }> {
    if (!NAME.test(name)) {
      throw new EnforcerError(
        "ENF_ERR_TOKEN_INVALID",
        "a token name is 1-64 letters, digits, spaces, '.', '_' or '-'",
      );
    }
    const id = randomBytes(8).toString("hex").slice(0, 10);
    const secret = randomBytes(32).toString("base64url");
    const record: ApiToken = {
      id,
      name,
      role,
      hash: sha256(secret),
      createdAt: this.clock.now().toISOString(),
    };
    await this.store.commit(
      [{ op: "put", collection: COLLECTIONS.tokens, id, value: record }, ...also],
      expect,
    );
    return { token: `enf_${id}_${secret}`, info: strip(record) };
  }

  /**
   * Creates the first admin token when there is no token at all; undefined when tokens exist. With a shared
   * store, of instances starting together on an empty one only the first makes it (a marker stored with
   * `expect` absent): the others answer undefined, and the token is in the first one's admin.token.
   */
  async ensureInitialAdmin(): Promise<string | undefined> {
    if (this.store.count(COLLECTIONS.tokens) > 0) return undefined;
    if (!this.store.shared) return (await this.create("initial admin", "admin")).token;
    const at = this.clock.now().toISOString();
    const marker: StoreOp = { op: "put", collection: COLLECTIONS.runtime, id: INITIAL_ADMIN, value: { at } };
    try {
      const expect = [{ collection: COLLECTIONS.runtime, id: INITIAL_ADMIN, value: undefined }];
      return (await this.create("initial admin", "admin", [marker], expect)).token;
    } catch (err) {
      if (isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) return undefined;
      throw err;
    }
  }

  /** The token record a bearer string belongs to, or undefined (wrong format, unknown, or wrong secret). */
  verify(bearer: string): TokenInfo | undefined {
    const m = FORMAT.exec(bearer);
    if (!m) return undefined;
    const record = this.store.get<ApiToken>(COLLECTIONS.tokens, m[1]!);
    if (!record) return undefined;
    const a = Buffer.from(record.hash, "hex");
    const b = Buffer.from(sha256(m[2]!), "hex");
    return a.length === b.length && timingSafeEqual(a, b) ? strip(record) : undefined;
  }

  /** Every token, oldest first, without hashes. */
  list(): TokenInfo[] {
    return [...this.store.all<ApiToken>(COLLECTIONS.tokens)].map(strip);
  }

  /** Revokes a token by id; the last admin token cannot be revoked (nobody could make a new one). */
  async revoke(id: string): Promise<void> {
    const t = this.store.get<ApiToken>(COLLECTIONS.tokens, id);
    if (!t) throw new EnforcerError("ENF_ERR_TOKEN_NOT_FOUND", `no token with id ${id}`, { token: id });
    if (t.role === "admin" && this.list().filter((x) => x.role === "admin").length === 1) {
      throw new EnforcerError(
        "ENF_ERR_TOKEN_LAST_ADMIN",
        "this is the last admin token; create another admin first",
      );
    }
    // Expecting every admin token as read: two instances revoking the last two admins at once must not
    // both succeed (one is refused with ENF_ERR_STORE_CONFLICT and sees the last-admin check next time).
    const admins = [...this.store.all<ApiToken>(COLLECTIONS.tokens)].filter((x) => x.role === "admin");
    const expect = admins.map((a) => ({ collection: COLLECTIONS.tokens, id: a.id, value: a as unknown }));
    await this.store.commit([{ op: "del", collection: COLLECTIONS.tokens, id }], expect);
  }
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function strip(t: ApiToken): TokenInfo {
  const { hash: _hash, ...info } = t;
  return info;
}
