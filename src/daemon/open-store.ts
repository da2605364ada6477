import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EnforcerError } from "../domain/errors.js";
import type { Settings } from "../config/settings.js";
import { alwaysLeader, type Election } from "../store/election.js";
import { EtcdElection } from "../store/etcd/etcd-election.js";
import { EtcdStore } from "../store/etcd/etcd-store.js";
import { FileStore } from "../store/file-store.js";
import type { Store } from "../store/store.js";

/** The store `serve` runs on, and the election among the processes that share it. */
export interface OpenedStore {
  store: Store;
  election: Election;
  /** What the start line says about it (`file` or the etcd endpoints). */
  describe: string;
}

/**
 * Opens the file store under `<data>/store` (the default), or with `--store etcd://…` the etcd store: then
 * no LOCK is taken on the data directory (several instances share the data, each has its own directory for
 * assets and the session secret), and the session secret is checked against the other instances'.
 */
export async function openStore(
  settings: Settings,
  dataDir: string,
  sessionSecret: Buffer,
  warn: (m: string) => void,
  /** power.key: with a shared store, every instance must seal and open BMC passwords alike. */
  powerKey?: Buffer,
): Promise<OpenedStore> {
  if (!settings.store) {
    const store = await FileStore.open({ dir: join(dataDir, "store"), recover: settings.storeRecover, warn });
    return { store, election: alwaysLeader, describe: "file" };
  }
  const endpoints = settings.store
    .replace(/^etcd:\/\//, "")
    .replace(/\/$/, "")
    .split(",");
  const read = (path: string | undefined, what: string) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new EnforcerError(
        "ENF_ERR_SETTINGS_FILE",
        `cannot read ${what} ${path}: ${(err as Error).message}`,
      );
    }
  };
  const ca = read(settings.etcdCa, "--etcd-ca");
  const cert = read(settings.etcdCert, "--etcd-cert");
  const key = read(settings.etcdKey, "--etcd-key");
  const store = await EtcdStore.open({
    endpoints,
    prefix: settings.storePrefix,
    tls: ca || cert || key ? { ca, cert, key } : undefined,
    user: settings.etcdUser,
    password: read(settings.etcdPasswordFile, "--etcd-password-file")?.split("\n")[0],
    warn,
  });
  try {
    await checkSessionSecret(store, settings.storePrefix, sessionSecret);
    if (powerKey) await checkPowerKey(store, settings.storePrefix, powerKey);
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, election: new EtcdElection(store.client, settings.storePrefix), describe: settings.store };
}

/**
 * Discovery keys made on one instance must verify on every other, so all must hold the same session.secret.
 * It stays out of the store (a copy of the store alone must not make keys); etcd holds only its SHA-256, set
 * by the first instance, and an instance with another secret refuses to start.
 */
async function checkSessionSecret(store: EtcdStore, prefix: string, secret: Buffer): Promise<void> {
  await checkSameKey(
    store,
    prefix,
    "session-secret-sha256",
    secret,
    "this instance's session.secret differs from the other instances' on this etcd prefix: copy session.secret " +
      "from an instance's data directory into this one's (mode 0600) and start again (docs/store.md)",
  );
}

/**
 * A BMC password sealed on one instance must open on every other (any may run a reboot), so all hold the
 * same power.key; etcd holds only its SHA-256, like the session secret's.
 */
async function checkPowerKey(store: EtcdStore, prefix: string, key: Buffer): Promise<void> {
  await checkSameKey(
    store,
    prefix,
    "power-key-sha256",
    key,
    "this instance's power.key differs from the other instances' on this etcd prefix: copy power.key " +
      "from an instance's data directory into this one's (mode 0600) and start again (docs/power.md)",
  );
}

/** Sets `_cluster/<name>` to the key's SHA-256 if absent; refuses to start when another instance's differs. */
async function checkSameKey(
  store: EtcdStore,
  prefix: string,
  name: string,
  key: Buffer,
  refusal: string,
): Promise<void> {
  const k = `${prefix.replace(/\/+$/, "")}/_cluster/${name}`;
  const mine = createHash("sha256").update(key).digest("hex");
  const r = await store.client.txn(
    [{ key: k, version: 0 }],
    [{ put: { key: k, value: mine } }],
    [{ range: { key: k } }],
  );
  const theirs = r.succeeded ? mine : r.ranges[0]?.[0]?.value;
  if (theirs !== mine) throw new EnforcerError("ENF_ERR_STORE_REFUSED", refusal);
}
