import type { TLSSocket } from "node:tls";
import { Agent, buildConnector } from "undici";

/** Why a TLS connection to a BMC was not trusted, with the certificate's SHA-256 the operator can pin. */
export class UntrustedCertificate extends Error {
  constructor(
    readonly why: string,
    /** The peer certificate's SHA-256, 64 lowercase hex digits without colons ("" if it sent none). */
    readonly seen: string,
  ) {
    super(why);
  }
}

/** Bounds of one BMC's connections. */
export interface BmcAgentOptions {
  /** The certificate to trust instead of the system's CAs: its SHA-256, 64 lowercase hex digits. */
  tlsFingerprint?: string;
  connectMs: number;
  /** How long to wait for the headers and then between body chunks. */
  answerMs: number;
}

/**
 * An undici Agent for one power action on one BMC (never shared, never global). Without a fingerprint the
 * certificate must verify against the system's CAs and name the host; with one, exactly the certificate of
 * that SHA-256 is trusted, whoever signed it. Both are checked by our connector after the handshake and
 * before it hands the socket to undici, so no request (no credentials) goes out on an untrusted connection:
 * Node's own `rejectUnauthorized` cannot say which certificate it saw, and its `checkServerIdentity` is not
 * called for a self-signed certificate.
 */
export function bmcAgent(o: BmcAgentOptions): Agent {
  const pin = o.tlsFingerprint?.toLowerCase();
  // We decide trust ourselves (below); the handshake must not end before we have seen the certificate.
  // No TLS session cache: a resumed session may not present the certificate again.
  const base = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0, timeout: o.connectMs });
  const connect: buildConnector.connector = (opts, callback) => {
    base(opts, (err, socket) => {
      if (err !== null) return callback(err, null);
      const tls = socket as TLSSocket;
      const seen = fingerprintOf(tls);
      const refusal =
        pin !== undefined
          ? seen === pin
            ? undefined
            : `is not the pinned one (${pin})`
          : tls.authorized
            ? undefined
            : `does not verify against the system's CAs (${String(tls.authorizationError)})`;
      if (refusal === undefined) return callback(null, socket);
      socket.destroy();
      callback(new UntrustedCertificate(refusal, seen), null);
    });
  };
  return new Agent({
    connect,
    connections: 1,
    headersTimeout: o.answerMs,
    bodyTimeout: o.answerMs,
    // Our own requests only: no pipelining, no HTTP/2 surprises from a BMC.
    pipelining: 1,
  });
}

/** The SHA-256 of the peer's certificate as 64 lowercase hex digits ("" when there is none). */
function fingerprintOf(socket: TLSSocket): string {
  const cert = socket.getPeerCertificate();
  return typeof cert.fingerprint256 === "string" ? cert.fingerprint256.replace(/:/g, "").toLowerCase() : "";
}
