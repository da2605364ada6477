// `enforcer store copy` to and from a real etcd (Debian's etcd-server 3.4, one member on loopback): a data
// directory copied into etcd answers the same through `serve --store etcd://…`, and copied back out through a
// server on the file store; a target prefix with Enforcer data is refused unless --force, which leaves other
// keys alone.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startEtcd } from "../../src/store/testing/etcd-peer.js";
import { seeded, storeCopy, viewOf } from "../support/store-copy.js";

const root = mkdtempSync(join(tmpdir(), "enforcer-copy-etcd-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** etcdctl against the test's member. */
function etcdctl(endpoints: string, ...args: string[]): string {
  const r = spawnSync("etcdctl", ["--endpoints", endpoints, ...args], {
    encoding: "utf8",
    env: { ...process.env, ETCDCTL_API: "3" },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test(
  "store copy: file to etcd to file, the round trip answers the same; a non-empty prefix needs --force, which keeps other keys",
  { timeout: 120_000 },
  async () => {
    const etcd = await startEtcd();
    try {
      const url = `etcd://${etcd.endpoints}`;
      const a = join(root, "a");
      const before = await seeded(a, "web-1");
      const into = storeCopy("--from", a, "--to", url);
      assert.equal(into.status, 0, into.stderr);
      assert.match(into.stdout, /^machines\s+1\s+sha256:/m);
      assert.match(into.stdout, new RegExp(`to etcd://${etcd.endpoints}/enforcer in \\d+ ms; read back`));
      const keys = etcdctl(etcd.endpoints, "get", "--prefix", "/enforcer/machines/", "--keys-only").trim();
      assert.equal(keys, "/enforcer/machines/52:54:00:5c:00:01");

      const onEtcd = join(root, "on-etcd");
      mkdirSync(onEtcd);
      assert.deepEqual(
        await viewOf(onEtcd, a, ["--store", url]),
        before,
        "a server on etcd answers as the original",
      );

      const b = join(root, "b");
      const out = storeCopy("--from", url, "--to", b);
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(await viewOf(b, a), before, "file -> etcd -> file answers as the original");

      // Another prefix is another Enforcer cluster: untouched by copies under /enforcer.
      etcdctl(etcd.endpoints, "put", "/other/keep", "1");
      etcdctl(etcd.endpoints, "put", "/enforcer/election/dhcp", "x");
      const other = join(root, "c");
      await seeded(other, "new-name");
      const refused = storeCopy("--from", other, "--to", url);
      assert.equal(refused.status, 1);
      assert.match(
        refused.stderr,
        /already holds \d+ Enforcer records; add --force.*\[ENF_ERR_STORE_COPY_NOT_EMPTY\]\n$/,
      );
      const forced = storeCopy("--from", other, "--to", url, "--force");
      assert.equal(forced.status, 0, forced.stderr);
      assert.equal(etcdctl(etcd.endpoints, "get", "/other/keep", "--print-value-only").trim(), "1");
      assert.equal(
        etcdctl(etcd.endpoints, "get", "/enforcer/election/dhcp", "--print-value-only").trim(),
        "x",
      );
      const d = join(root, "d");
      assert.equal(storeCopy("--from", url, "--to", d).status, 0);
      assert.match(JSON.stringify(await viewOf(d, other)), /"hostname":"new-name"/);
      assert.doesNotMatch(
        JSON.stringify(await viewOf(d, other)),
        /web-1/,
        "nothing of the replaced data left",
      );
    } finally {
      await etcd.stop();
    }
  },
);

test(
  "store copy: a target holding part of a copy (as an interrupted copy leaves it) is refused, and --force repairs it",
  { timeout: 90_000 },
  async () => {
    const etcd = await startEtcd();
    try {
      const url = `etcd://${etcd.endpoints}`;
      const a = join(root, "part");
      const before = await seeded(a, "web-part");
      assert.equal(storeCopy("--from", a, "--to", url).status, 0);
      // What a copy cut short leaves: some collections written, others not.
      etcdctl(etcd.endpoints, "del", "--prefix", "/enforcer/events/");
      etcdctl(etcd.endpoints, "del", "--prefix", "/enforcer/configs/");
      const again = storeCopy("--from", a, "--to", url);
      assert.match(again.stderr, /\[ENF_ERR_STORE_COPY_NOT_EMPTY\]/);
      const repaired = storeCopy("--from", a, "--to", url, "--force");
      assert.equal(repaired.status, 0, repaired.stderr);
      const back = join(root, "part-back");
      assert.equal(storeCopy("--from", url, "--to", back).status, 0);
      assert.deepEqual(await viewOf(back, a), before);
    } finally {
      await etcd.stop();
    }
  },
);

test(
  "store copy: an etcd that cannot be reached fails in one line, naming it",
  { timeout: 60_000 },
  async () => {
    const etcd = await startEtcd();
    const url = `etcd://${etcd.endpoints}`;
    await etcd.stop();
    const r = storeCopy("--from", url, "--to", join(root, "never"));
    assert.equal(r.status, 1);
    assert.equal(r.stderr.split("\n").length, 2, r.stderr);
    assert.match(r.stderr, /^enforcer: .*127\.0\.0\.1/);
  },
);
