import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { testApp } from "./testing/app.js";

function builtUi(): string {
  const dir = mkdtempSync(join(tmpdir(), "ui-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>Enforcer</title>");
  const js = "console.log('enforcer');".repeat(50);
  writeFileSync(join(dir, "app.js"), js);
  writeFileSync(join(dir, "app.js.gz"), gzipSync(js));
  return dir;
}

test("the web app is served under /ui/ with a strict content security policy and its gzip copy", async () => {
  const t = await testApp({}, { uiDir: builtUi() });
  const page = await t.http.inject("/ui/");
  assert.equal(page.statusCode, 200);
  assert.match(page.headers["content-type"] as string, /text\/html/);
  const csp = page.headers["content-security-policy"] as string;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/, "scripts only from the server itself, nothing inline");
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers["x-content-type-options"], "nosniff");
  const js = await t.http.inject({ url: "/ui/app.js", headers: { "accept-encoding": "gzip" } });
  assert.equal(js.headers["content-encoding"], "gzip");
  assert.ok(js.rawPayload.length < 200, `sent ${js.rawPayload.length} bytes, not the gzip copy`);
  assert.equal((await t.http.inject("/ui")).headers.location, "/ui/");
  assert.equal((await t.http.inject("/")).headers.location, "/ui/");
  // The UI's files are open (a page must load before anyone signs in); the API behind them is not.
  assert.equal((await t.http.inject("/api/v1/machines")).statusCode, 401);
});

test("hostile paths under /ui/ stay inside the app's directory", async () => {
  const t = await testApp({}, { uiDir: builtUi() });
  for (const url of [
    "/ui/../package.json",
    "/ui/%2e%2e/%2e%2e/etc/passwd",
    "/ui/..%2fadmin.token",
    "/ui/nope.js",
  ]) {
    const r = await t.http.inject(url);
    assert.ok([400, 403, 404].includes(r.statusCode), `${url} -> ${r.statusCode}`);
    assert.doesNotMatch(r.body, /root:|"name": "enforcer"/);
  }
});

test("whoami tells the web app the token's name and role", async () => {
  const t = await testApp();
  const r = await t.as("operator", "/api/v1/whoami");
  const me = r.json<{ id: string; name: string; role: string }>();
  assert.deepEqual([me.name, me.role, typeof me.id], ["test operator", "operator", "string"]);
  assert.equal((await t.as("agent", "/api/v1/whoami")).statusCode, 403);
});
