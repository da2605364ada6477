import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import { startEtcd } from "../testing/etcd-peer.js";
import { EtcdStore } from "./etcd-store.js";

const refused = (words: RegExp) => (e: unknown) =>
  isEnforcerError(e, "ENF_ERR_STORE_REFUSED") && words.test((e as Error).message);

test(
  "etcd store: a wrong password is refused at open with ENF_ERR_STORE_REFUSED naming it; the right one works",
  { timeout: 90_000 },
  async () => {
    const etcd = await startEtcd();
    try {
      const ctl = (...args: string[]) =>
        execFileSync("etcdctl", ["--endpoints", etcd.endpoints, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        });
      ctl("user", "add", "root", "--new-user-password=right-pw");
      ctl("role", "add", "root");
      ctl("user", "grant-role", "root", "root");
      ctl("auth", "enable");
      assert.throws(() => ctl("get", "/x"), "auth is on: a read without a user is refused");
      const open = (password: string) =>
        EtcdStore.open({
          endpoints: [etcd.endpoints],
          prefix: "/auth",
          user: "root",
          password,
          timeoutMs: 1000,
        });
      await assert.rejects(open("wrong-pw"), refused(/password/));
      const s = await open("right-pw");
      try {
        await s.commit([{ op: "put", collection: "c", id: "k", value: 1 }]);
        assert.equal(s.get("c", "k"), 1);
      } finally {
        await s.close();
      }
    } finally {
      await etcd.stop();
    }
  },
);

/** A CA and a certificate it signed (for 127.0.0.1), made with openssl into `dir`. */
function pki(dir: string, name: string, ca?: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  if (!ca) {
    ossl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
    );
    return { cert, key };
  }
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=${name}`);
  ossl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    cert,
    "-days",
    "2",
    "-extfile",
    ext,
  );
  return { cert, key };
}

test(
  "etcd store over TLS with client certificates: the right CA and certificate work; a wrong CA or no certificate is refused at open",
  { timeout: 90_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "enforcer-etcd-tls-"));
    try {
      pki(dir, "ca");
      pki(dir, "other-ca");
      const server = pki(dir, "server", join(dir, "ca"));
      const client = pki(dir, "client", join(dir, "ca"));
      const etcd = await startEtcd({
        clientScheme: "https",
        extraArgs: [
          "--cert-file",
          server.cert,
          "--key-file",
          server.key,
          "--client-cert-auth",
          "--trusted-ca-file",
          join(dir, "ca.crt"),
        ],
      });
      try {
        const read = (p: string) => readFileSync(p, "utf8");
        const open = (tls: { ca?: string; cert?: string; key?: string }) =>
          EtcdStore.open({ endpoints: [etcd.endpoints], prefix: "/tls", tls, timeoutMs: 1000 });
        await assert.rejects(
          open({ ca: read(join(dir, "other-ca.crt")), cert: read(client.cert), key: read(client.key) }),
          refused(/TLS/),
        );
        await assert.rejects(open({ ca: read(join(dir, "ca.crt")) }), refused(/TLS/));
        const s = await open({
          ca: read(join(dir, "ca.crt")),
          cert: read(client.cert),
          key: read(client.key),
        });
        try {
          await s.commit([{ op: "put", collection: "c", id: "k", value: 1 }]);
          assert.equal(s.get("c", "k"), 1);
        } finally {
          await s.close();
        }
      } finally {
        await etcd.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
