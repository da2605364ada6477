import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { testCore } from "../core/testing/fixtures.js";
import { BootFiles } from "../files/boot-files.js";
import { buildHttpServer } from "./server.js";

test("GET /tftp/<name> serves the TFTP namespace over HTTP with the same refusals", async () => {
  const base = mkdtempSync(join(tmpdir(), "enforcer-http-files-"));
  mkdirSync(join(base, "root"));
  writeFileSync(join(base, "root", "undionly.kpxe"), "LOADER");
  writeFileSync(join(base, "secret"), "SECRET");
  symlinkSync(join(base, "secret"), join(base, "root", "escape"));
  const files = new BootFiles({
    root: join(base, "root"),
    generated: (n) => (n === "boot.ipxe" ? Buffer.from("#!ipxe\n") : undefined),
  });
  const { core } = testCore();
  const http = buildHttpServer(core, { logger: false, files });

  const ok = await http.inject("/tftp/undionly.kpxe");
  assert.deepEqual([ok.statusCode, ok.body, ok.headers["content-length"]], [200, "LOADER", "6"]);
  assert.equal((await http.inject("/tftp/boot.ipxe")).body, "#!ipxe\n");
  for (const [path, status, code] of [
    ["/tftp/escape", 403, "ENF_ERR_FILE_ACCESS"],
    ["/tftp/..%2Fsecret", 403, "ENF_ERR_FILE_ACCESS"],
    ["/tftp/a%00b", 403, "ENF_ERR_FILE_ACCESS"],
    ["/tftp/missing", 404, "ENF_ERR_HTTP_NOT_FOUND"],
  ] as const) {
    const r = await http.inject(path);
    assert.deepEqual([r.statusCode, r.json().code], [status, code], path);
    assert.ok(!r.body.includes("SECRET"));
  }
});
