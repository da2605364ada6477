import assert from "node:assert/strict";
import { test } from "node:test";
import { serveUsage } from "./serve-usage.js";
import { SETTING_NAMES } from "./settings.js";

test("serve --help names every setting's flag and environment variable, the limits too", () => {
  const usage = serveUsage();
  for (const { flag, env } of Object.values(SETTING_NAMES)) {
    assert.match(usage, new RegExp(`--${flag}\\b`), flag);
    assert.ok(usage.includes(env), env);
  }
  assert.match(usage, /--max-unknown-machines <value>\s+machines known only from a boot request/);
  assert.match(usage, /--tftp \| --no-tftp/);
  assert.match(usage, /--discovery \| --no-discovery/);
  assert.match(usage, /--http-port <value>\s+HTTP port \(ENFORCER_HTTP_PORT; default 8080\)/);
});

test("serve --help says what --dhcp-known-only does in server mode: others still get an address", () => {
  assert.match(
    serveUsage(),
    /--dhcp-known-only\s+boot files only for machines Enforcer knows \(proxy: others get no answer; server: others get an address only\)/,
  );
});
