import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadSettings } from "./load.js";
import { SETTING_NAMES } from "./settings.js";
import { settingsDoc } from "./settings-docs.js";

test("docs/settings.md is what the settings schema writes (else: npm run docs:settings)", () => {
  assert.equal(
    readFileSync("docs/settings.md", "utf8"),
    settingsDoc(),
    "docs/settings.md is out of date: run npm run docs:settings",
  );
});

test("docs/settings.md names every setting's flag, environment variable and file key", () => {
  const doc = settingsDoc();
  for (const [key, n] of Object.entries(SETTING_NAMES)) {
    assert.ok(doc.includes(`--${n.flag}`), n.flag);
    assert.ok(doc.includes(`\`${n.env}\``), n.env);
    assert.ok(doc.includes(`\`${key}\``), key);
  }
  for (const flag of [
    "--config",
    "--discovery-image",
    "--serf",
    "--serf-auth",
    "--consul",
    "--consul-token",
    "--agent-interval",
  ])
    assert.ok(doc.includes(`\`${flag} `), flag);
});

test("the config file examples in docs/settings.md load as they are written", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-settings-doc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = settingsDoc();
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
  const json = /```json\n([\s\S]*?)```/.exec(doc)![1]!;
  mkdirSync(join(dir, "discovery"));
  for (const [name, text] of [
    ["enforcer.yaml", yaml],
    ["enforcer.json", json],
  ] as const) {
    const file = join(dir, name);
    writeFileSync(file, text.replaceAll("/var/lib/enforcer", dir));
    const s = loadSettings(["--config", file], {});
    assert.equal(s.httpPort, 8080);
    assert.equal(s.publicUrl, "http://192.168.1.10:8080");
    assert.equal(s.dhcp, "proxy");
    assert.equal(s.discovery, true);
    assert.deepEqual(s.remote, ["http://192.168.1.11:8080"]);
    assert.equal(loadSettings(["--config", file, "--log-level", "debug"], {}).logLevel, "debug");
  }
  const typo = join(dir, "typo.yaml");
  writeFileSync(typo, "httpport: 8080\n");
  assert.throws(() => loadSettings(["--config", typo], {}), /unknown setting "httpport"/);
});
