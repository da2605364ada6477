// `enforcer store copy` between data directories, with the real binary on both sides: what a server wrote is
// what a server started on the copy answers; a target with data is refused unless --force; a directory a
// running server holds is refused.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startEnforcer } from "../support/enforcer-process.js";
import { seeded, storeCopy, viewOf } from "../support/store-copy.js";

const root = mkdtempSync(join(tmpdir(), "enforcer-copy-"));
after(() => rmSync(root, { recursive: true, force: true }));

test(
  "store copy: file to file, a server on the copy answers what the source's server did",
  { timeout: 90_000 },
  async () => {
    const a = join(root, "a");
    const b = join(root, "b");
    const before = await seeded(a, "web-1");
    const r = storeCopy("--from", a, "--to", b);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^machines\s+1\s+sha256:[0-9a-f]{16}$/m);
    assert.match(
      r.stdout,
      /copied \d+ records in \d+ commits from .*\/a\/store to .*\/b\/store .*count and SHA-256 match/,
    );
    assert.deepEqual(await viewOf(b, a), before);
  },
);

test(
  "store copy: a target with Enforcer data is refused without --force; --force replaces it",
  { timeout: 90_000 },
  async () => {
    const a = join(root, "c");
    const b = join(root, "d");
    await seeded(a, "old-name");
    const other = join(root, "e");
    const wanted = await seeded(other, "new-name");
    assert.equal(storeCopy("--from", a, "--to", b).status, 0);
    const refused = storeCopy("--from", other, "--to", b);
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      /^enforcer: .*\/d\/store already holds \d+ Enforcer records; add --force .*\[ENF_ERR_STORE_COPY_NOT_EMPTY\]\n$/,
    );
    const forced = storeCopy("--from", other, "--to", b, "--force");
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(
      await viewOf(b, other),
      wanted,
      "the target is the new source, nothing of the old one left",
    );
  },
);

test(
  "store copy: a data directory a running server holds is refused, as source and as target",
  { timeout: 90_000 },
  async () => {
    const busy = join(root, "busy");
    const idle = join(root, "idle");
    await seeded(idle, "idle");
    const e = await startEnforcer([], { data: busy });
    try {
      const pid = String(e.child.pid);
      for (const [args, role] of [
        [["--from", busy, "--to", join(root, "f")], "source"],
        [["--from", idle, "--to", busy, "--force"], "target"],
      ] as const) {
        const r = storeCopy(...args);
        assert.equal(r.status, 1, r.stdout);
        assert.equal(
          r.stderr,
          `enforcer: the ${role} ${join(busy, "store")} is in use by a running Enforcer (process ${pid}): stop it first ` +
            `(a copy of a store that is still changing would be out of date at once) [ENF_ERR_STORE_LOCKED]\n`,
        );
      }
      assert.equal((await e.api("GET", "/machines")).status, 200, "the server went on");
    } finally {
      await e.stop();
    }
  },
);
