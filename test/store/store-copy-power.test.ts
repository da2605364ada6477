// `enforcer store copy` and power control: the power records go along with their passwords sealed as they
// were (never in clear in either store), and they open on the copy only with the source's power.key.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startEnforcer } from "../support/enforcer-process.js";
import { MAC, storeCopy } from "../support/store-copy.js";

const root = mkdtempSync(join(tmpdir(), "enforcer-copy-power-"));
after(() => rmSync(root, { recursive: true, force: true }));
const PASSWORD = "Copy-pw-16-b7";

/** Every file of a data directory's store, as one string. */
function storeText(data: string): string {
  const dir = join(data, "store");
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => readFileSync(join(dir, f), "latin1"))
    .join("\n");
}

/** What `POST .../power/status` answers on a server over `data` (a BMC address where nothing answers). */
async function statusCode(data: string, tokenFrom: string): Promise<string> {
  copyFileSync(join(tokenFrom, "admin.token"), join(data, "admin.token"));
  const e = await startEnforcer(["--power-timeout", "1", "--power-poll", "0"], { data });
  try {
    const view = await e.api<{ hasPassword: boolean }>("GET", `/machines/${MAC}/power`);
    assert.equal(view.body.hasPassword, true, "the copy holds the power record");
    const r = await e.api<{ code: string }>("POST", `/machines/${MAC}/power/status`);
    return r.body.code;
  } finally {
    await e.stop();
  }
}

test(
  "store copy: power control goes along sealed, and opens on the copy only with the same power.key",
  { timeout: 90_000 },
  async () => {
    const a = join(root, "a");
    const e = await startEnforcer(["--power-poll", "0"], { data: a });
    try {
      assert.equal((await e.api("POST", "/machines", { mac: MAC })).status, 201);
      const body = { driver: "ipmi", address: "127.0.0.1:9", username: "admin", password: PASSWORD };
      assert.equal((await e.api("PUT", `/machines/${MAC}/power`, body)).status, 200);
    } finally {
      await e.stop();
    }
    assert.equal(statSync(join(a, "power.key")).mode & 0o777, 0o600);
    const b = join(root, "b");
    const copied = storeCopy("--from", a, "--to", b);
    assert.equal(copied.status, 0, copied.stderr);
    assert.match(copied.stdout, /^power\s+1\s+sha256:/m);
    for (const d of [a, b]) assert.ok(!storeText(d).includes(PASSWORD), `${d}: the password in clear`);
    // Without the source's key the copy makes its own: the sealed password does not open.
    assert.equal(await statusCode(b, a), "ENF_ERR_POWER_KEY");
    const c = join(root, "c");
    assert.equal(storeCopy("--from", a, "--to", c).status, 0);
    copyFileSync(join(a, "power.key"), join(c, "power.key"));
    // With it, the password opens and ipmitool is run: the BMC (nothing on port 9) does not answer.
    assert.notEqual(await statusCode(c, a), "ENF_ERR_POWER_KEY");
  },
);
