import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, EnforcerClient } from "./api-client.js";

/** A client that records each request and answers with `answer`. */
function recording(answer: () => Response) {
  const seen: { method: string; url: string; body?: string }[] = [];
  const client = new EnforcerClient("http://enforcer.test", "t", async (input, init) => {
    seen.push({ method: init?.method ?? "GET", url: String(input), body: init?.body as string | undefined });
    return answer();
  });
  return { client, seen };
}

test("power calls: each goes to the machine's power route with its method, the MAC escaped", async () => {
  const { client, seen } = recording(() => new Response("{}", { status: 200 }));
  const mac = "52:54:00:00:00:01";
  await client.power.get(mac);
  await client.power.set(mac, { driver: "wol" });
  await client.power.act(mac, "pxe-once");
  const path = "http://enforcer.test/api/v1/machines/52%3A54%3A00%3A00%3A00%3A01/power";
  assert.deepEqual(
    seen.map((s) => [s.method, s.url, s.body]),
    [
      ["GET", path, undefined],
      ["PUT", path, '{"driver":"wol"}'],
      ["POST", `${path}/pxe-once`, undefined],
    ],
  );
});

test("power calls: remove resolves on 204, and an error answer arrives as ApiError with its code", async () => {
  const ok = recording(() => new Response(null, { status: 204 }));
  assert.equal(await ok.client.power.remove("m1"), undefined);
  assert.equal(ok.seen[0]?.method, "DELETE");
  const err = { code: "ENF_ERR_POWER_NOT_SET", message: "no power control" };
  const bad = recording(() => new Response(JSON.stringify(err), { status: 404 }));
  await assert.rejects(bad.client.power.get("m1"), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, "ENF_ERR_POWER_NOT_SET");
    assert.equal(e.status, 404);
    return true;
  });
});
