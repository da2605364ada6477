import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { EnforcerError } from "../domain/errors.js";
import type { SealedSecret } from "../domain/power.js";

/** The first 16 hex digits of the key's SHA-256: names a key without giving anything of it away. */
export function powerKeyId(key: Uint8Array): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/**
 * Seals and opens BMC passwords with the data directory's power.key (AES-256-GCM). The machine id is the
 * additional authenticated data, so a sealed password copied into another machine's record does not open:
 * a password is only ever sent to the BMC it was given for.
 */
export class PowerSecrets {
  private readonly key: Buffer;
  /** The key's id, stored with each sealed secret. */
  readonly keyId: string;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error("power key must be 32 bytes");
    this.key = Buffer.from(key);
    this.keyId = powerKeyId(key);
  }

  /** Encrypts `password` for `machine`, with a fresh 12-byte IV. */
  seal(machine: string, password: string): SealedSecret {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    c.setAAD(Buffer.from(machine, "utf8"));
    const data = Buffer.concat([c.update(password, "utf8"), c.final()]);
    return {
      alg: "aes-256-gcm",
      keyId: this.keyId,
      iv: iv.toString("base64"),
      tag: c.getAuthTag().toString("base64"),
      data: data.toString("base64"),
    };
  }

  /**
   * Decrypts a password sealed for `machine`; ENF_ERR_POWER_KEY when it was sealed with another key, for
   * another machine, or was damaged (the message says which it can tell).
   */
  open(machine: string, s: SealedSecret): string {
    if (s.keyId !== this.keyId) {
      throw new EnforcerError(
        "ENF_ERR_POWER_KEY",
        `the power password of ${machine} was sealed with another power.key (${s.keyId}, this one is ${this.keyId}); set it again`,
        { machine },
      );
    }
    try {
      const iv = Buffer.from(s.iv, "base64");
      const tag = Buffer.from(s.tag, "base64");
      if (s.alg !== "aes-256-gcm" || iv.length !== 12 || tag.length !== 16) throw new Error("shape");
      const d = createDecipheriv("aes-256-gcm", this.key, iv);
      d.setAAD(Buffer.from(machine, "utf8"));
      d.setAuthTag(tag);
      return Buffer.concat([d.update(Buffer.from(s.data, "base64")), d.final()]).toString("utf8");
    } catch {
      throw new EnforcerError(
        "ENF_ERR_POWER_KEY",
        `the power password of ${machine} does not open: damaged, or sealed for another machine; set it again`,
        { machine },
      );
    }
  }
}
