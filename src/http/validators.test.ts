// Query strings are coerced to numbers, and Ajv coerces "Infinity" and "1e309" too, then checks minimum and
// maximum against the text, so they passed every bound: `?limit=Infinity` listed every machine at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { testApp } from "./testing/app.js";

test("a number in a query string must be finite: Infinity and 1e309 do not slip past the bounds", async () => {
  const t = await testApp();
  for (let i = 1; i <= 3; i++) await t.core.machines.register(`52:54:00:00:00:0${i}` as never, {});
  for (const url of [
    "/api/v1/machines?limit=Infinity",
    "/api/v1/machines?limit=1e309",
    "/api/v1/machines?offset=-Infinity",
    "/api/v1/events?after=-Infinity",
  ]) {
    const r = await t.as("viewer", url);
    assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
    assert.equal(r.json().code, "ENF_ERR_HTTP_VALIDATION", url);
  }
  const ok = await t.as("viewer", "/api/v1/machines?limit=2&offset=1");
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().items.length, 2);
  const poll = await t.as("agent", "/api/v1/agent/commands?wait=Infinity&mac=52:54:00:00:00:01");
  assert.equal(poll.statusCode, 400, poll.body);
  await t.http.close();
});
