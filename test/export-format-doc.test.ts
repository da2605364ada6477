// docs/export-format.md's example is a file `enforcer apply` takes, and apply does what the page says.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { startEnforcer } from "./support/enforcer-process.js";

test("the export/apply page's example applies as described: created, then no changes; an unknown key changes nothing", async (t) => {
  const e = await startEnforcer();
  const dir = mkdtempSync(join(tmpdir(), "enforcer-export-doc-"));
  t.after(async () => {
    await e.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { ...process.env, ENFORCER_URL: e.base, ENFORCER_TOKEN: e.token };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [resolve("bin/enforcer.js"), ...args], { env, encoding: "utf8" });
  const example = /```yaml\n([\s\S]*?)```/.exec(readFileSync("docs/export-format.md", "utf8"))![1]!;
  const file = join(dir, "rack.yaml");
  writeFileSync(file, example);

  const first = cli("apply", "-f", file);
  assert.equal(first.status, 0, first.stderr);
  for (const line of [
    "+ profile bookworm",
    "~ remotes: [] -> [http://192.168.1.11:8080]",
    "= discovery",
    "+ machine 52-54-00-12-34-56",
  ])
    assert.ok(first.stdout.includes(line), `${line} in:\n${first.stdout}`);
  const m = await e.api<{ hostname: string; labels: Record<string, string> }>(
    "GET",
    "/machines/52-54-00-12-34-56",
  );
  assert.equal(m.body.hostname, "web-01");
  assert.deepEqual(m.body.labels, { rack: "r1", role: "web" });
  assert.match(cli("apply", "-f", file).stdout, /no changes\n$/);

  const typo = join(dir, "typo.yaml");
  writeFileSync(typo, `${example}profile: []\n`);
  const refused = cli("apply", "-f", typo);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /unknown section "profile"/);
});
