// Every refusal Fastify or Node's HTTP parser makes on their own still answers Enforcer's error shape.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { testApp } from "./testing/app.js";

const SHAPE = /^ENF_ERR_[A-Z_]+$/;

function assertShape(body: string, status: number, code: string, what: string): void {
  const parsed = JSON.parse(body) as { code: string; message: unknown; details: unknown };
  assert.match(parsed.code, SHAPE, what);
  assert.equal(parsed.code, code, `${what}: ${body}`);
  assert.equal(typeof parsed.message, "string", what);
  assert.equal(typeof parsed.details, "object", what);
  assert.ok(status >= 400 && status < 500, `${what}: ${status}`);
}

test("an over-long path segment is 414 ENF_ERR_HTTP_URI_TOO_LONG, a bad URL 400 ENF_ERR_HTTP_BAD_URL", async (tt) => {
  const t = await testApp();
  tt.after(() => t.http.close());
  for (const url of [
    `/p/${"a".repeat(300)}/x`,
    `/p/${"a".repeat(300)}/complete`,
    `/api/v1/configs/${"a".repeat(300)}`,
  ]) {
    const r = await t.api(url);
    assert.equal(r.statusCode, 414, url);
    assertShape(r.body, r.statusCode, "ENF_ERR_HTTP_URI_TOO_LONG", url);
  }
  for (const url of ["/p/%E0%A4%A/x", "/api/v1/machines/%zz"]) {
    const r = await t.api(url);
    assert.equal(r.statusCode, 400, url);
    assertShape(r.body, r.statusCode, "ENF_ERR_HTTP_BAD_URL", url);
  }
});

/** Sends raw bytes to a real listening server and answers the status and body it gets back. */
async function raw(port: number, request: string): Promise<{ status: number; body: string }> {
  const text = await new Promise<string>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.end(request));
    let out = "";
    s.on("data", (d) => (out += d.toString()));
    s.on("close", () => resolve(out));
    s.on("error", reject);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

test("431 for huge headers and 400 for broken HTTP answer the same shape, from a real socket", async (tt) => {
  const t = await testApp();
  tt.after(() => t.http.close());
  await t.http.listen({ port: 0, host: "127.0.0.1" });
  const port = (t.http.server.address() as { port: number }).port;
  const huge = await raw(port, `GET /boot.ipxe HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
  assert.equal(huge.status, 431);
  assertShape(huge.body, huge.status, "ENF_ERR_HTTP_HEADERS_TOO_LARGE", "431");
  const longUrl = await raw(port, `GET /boot/machine?mac=${"1".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.equal(longUrl.status, 431);
  assertShape(longUrl.body, longUrl.status, "ENF_ERR_HTTP_HEADERS_TOO_LARGE", "long URL");
  const broken = await raw(port, "GARBAGE\r\n\r\n");
  assert.equal(broken.status, 400);
  assertShape(broken.body, broken.status, "ENF_ERR_HTTP_BAD_REQUEST", "broken");
});
