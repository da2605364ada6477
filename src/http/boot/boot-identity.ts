import { EnforcerError } from "../../domain/errors.js";
import { parseSerial, parseUuid } from "../../domain/identity.js";
import { parseMac } from "../../domain/mac.js";
import type { BootIdentity } from "../../domain/machine.js";

/** The query string the general script sends (already URL-decoded by Fastify). */
export interface BootQuery {
  mac?: string;
  uuid?: string;
  serial?: string;
  arch?: string;
  platform?: string;
}

const WORD = /^[a-z0-9_]{1,16}$/;

/**
 * Reads who is booting. The MAC is required and must parse; the rest is best effort, since firmware fills
 * UUID and serial with junk often enough: a value that does not validate is dropped, never stored.
 */
export function bootIdentity(q: BootQuery): BootIdentity {
  if (!q.mac) throw new EnforcerError("ENF_ERR_MAC_INVALID", "the mac query parameter is required");
  const who: BootIdentity = { mac: parseMac(q.mac) };
  const uuid = attempt(() => (q.uuid ? parseUuid(q.uuid) : undefined));
  const serial = attempt(() => (q.serial ? parseSerial(q.serial) : undefined));
  if (uuid) who.uuid = uuid;
  if (serial) who.serial = serial;
  if (q.arch && WORD.test(q.arch)) who.arch = q.arch;
  if (q.platform && WORD.test(q.platform)) who.platform = q.platform;
  return who;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
