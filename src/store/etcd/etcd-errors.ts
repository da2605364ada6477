import { EnforcerError } from "../../domain/errors.js";
import { EtcdCallError, isUnavailable } from "./etcd-client.js";

/** What a failure to open the etcd store says to the operator: refused credentials or nothing reachable. */
export function openError(err: unknown, endpoints: readonly string[]): EnforcerError {
  if (err instanceof EnforcerError) return err;
  const msg = (err as Error)?.message ?? String(err);
  if (/invalid user ID or password|authentication failed|permission denied|user name is empty/i.test(msg))
    return new EnforcerError("ENF_ERR_STORE_REFUSED", `etcd refused the user or password: ${msg}`);
  if (/certificate|SSL|TLS|self.signed|handshake|EPROTO/i.test(msg))
    return new EnforcerError(
      "ENF_ERR_STORE_REFUSED",
      `etcd refused the TLS connection (check --etcd-ca, --etcd-cert, --etcd-key): ${msg}`,
    );
  if (/authentication is not enabled/i.test(msg))
    return new EnforcerError(
      "ENF_ERR_STORE_REFUSED",
      `--etcd-user is set but etcd has no auth enabled: ${msg}`,
    );
  return new EnforcerError(
    "ENF_ERR_STORE_UNAVAILABLE",
    `etcd at ${endpoints.join(",")} cannot be reached: ${msg}`,
  );
}

/**
 * The coded error of a txn that certainly did not apply, or undefined when its outcome is unknown (it was
 * sent, then no answer, or etcd said its own request timed out: it may still apply).
 */
export function txnError(err: unknown): EnforcerError | undefined {
  if (!(err instanceof EtcdCallError))
    return new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", `etcd: ${(err as Error)?.message ?? String(err)}`);
  if (err.failure === "connect")
    return new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", `no etcd endpoint reachable: ${err.message}`);
  if (err.failure !== "server" || isUnavailable(err)) return undefined;
  if (/too many operations|request is too large|message larger/i.test(err.message))
    return new EnforcerError(
      "ENF_ERR_STORE_TOO_LARGE",
      `etcd refused the commit as too large: ${err.message}`,
    );
  return new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", `etcd refused the commit: ${err.message}`);
}
