/** Limits the server applies when it negotiates options. */
export interface OptionLimits {
  /** Largest blksize granted (RFC 2348 allows 8-65464; default 1468 = Ethernet MTU minus headers). */
  maxBlksize: number;
  /** Largest windowsize granted (RFC 7440 allows 1-65535). */
  maxWindowsize: number;
}

/** What a transfer runs with after negotiation, and the OACK to send (empty: plain RFC 1350). */
export interface Negotiated {
  blksize: number;
  windowsize: number;
  timeoutMs?: number;
  oack: Map<string, string>;
}

const INT = /^\d{1,10}$/;

/**
 * RFC 2347-2349 and 7440 negotiation for a read request. Unknown options and out-of-range values are
 * dropped (the client then runs without them), blksize and windowsize are lowered to the server's limits,
 * tsize is answered with the real size. Only accepted options appear in the OACK.
 */
export function negotiate(
  requested: ReadonlyMap<string, string>,
  size: number | undefined,
  limits: OptionLimits,
): Negotiated {
  const out: Negotiated = { blksize: 512, windowsize: 1, oack: new Map() };
  const blksize = intOption(requested, "blksize", 8, 65464);
  if (blksize !== undefined) {
    out.blksize = Math.min(blksize, limits.maxBlksize);
    out.oack.set("blksize", String(out.blksize));
  }
  const timeout = intOption(requested, "timeout", 1, 255);
  if (timeout !== undefined) {
    out.timeoutMs = timeout * 1000;
    out.oack.set("timeout", String(timeout));
  }
  if (requested.has("tsize") && size !== undefined) out.oack.set("tsize", String(size));
  const windowsize = intOption(requested, "windowsize", 1, 65535);
  if (windowsize !== undefined && limits.maxWindowsize > 0) {
    out.windowsize = Math.min(windowsize, limits.maxWindowsize);
    out.oack.set("windowsize", String(out.windowsize));
  }
  return out;
}

function intOption(
  m: ReadonlyMap<string, string>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = m.get(name);
  if (v === undefined || !INT.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
}
