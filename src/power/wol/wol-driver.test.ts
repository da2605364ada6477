import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import { parseMac } from "../../domain/mac.js";
import { magicPacket } from "./magic-packet.js";
import { wolDriver } from "./wol-driver.js";

// Loopback only: the broadcast itself, and a send with no route, are proven in network namespaces
// (test/power/wol-namespace.test.ts).
const MAC = "52:54:00:aa:00:07";
let listener: Socket;
let port = 0;
const got: { at: number; data: Buffer }[] = [];

before(async () => {
  listener = createSocket("udp4");
  listener.on("message", (data) => got.push({ at: Date.now(), data }));
  listener.bind(0, "127.0.0.1");
  await once(listener, "listening");
  port = listener.address().port;
});
after(() => listener.close());

const target = (address: string) => ({ machine: MAC, address, options: {} });

test("on sends the machine's magic packet 3 times, about 100 ms apart, and says so", async () => {
  got.length = 0;
  const started = Date.now();
  const result = await wolDriver().run(target(`127.0.0.1:${port}`), "on", AbortSignal.timeout(5000));
  assert.deepEqual(result, { detail: `magic packet sent to 127.0.0.1:${port} (3 times)` });
  assert.equal(result.state, undefined, "WoL cannot tell the state");
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 2000, `took ${elapsed} ms`);
  await until(() => got.length === 3);
  for (const g of got) assert.deepEqual(g.data, magicPacket(parseMac(MAC)));
});

test("the driver says it can only power on, and refuses the other actions without sending", async () => {
  const driver = wolDriver();
  assert.equal(driver.name, "wol");
  assert.deepEqual(driver.actions, ["on"]);
  got.length = 0;
  for (const action of ["off", "cycle", "status", "pxe-once"] as const) {
    await assert.rejects(
      driver.run(target(`127.0.0.1:${port}`), action, AbortSignal.timeout(5000)),
      (err) => isEnforcerError(err, "ENF_ERR_POWER_UNSUPPORTED") && err.message.includes(action),
    );
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.length, 0);
});

test("an abort between sends ends the run at once with ENF_ERR_POWER_TIMEOUT", async () => {
  got.length = 0;
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 150);
  await assert.rejects(
    wolDriver().run(target(`127.0.0.1:${port}`), "on", ac.signal),
    (err) => isEnforcerError(err, "ENF_ERR_POWER_TIMEOUT") && /after 2 of 3 sends/.test(err.message),
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got.length, 2, "nothing sent after the abort");
});

test("an already aborted signal sends nothing", async () => {
  got.length = 0;
  await assert.rejects(wolDriver().run(target(`127.0.0.1:${port}`), "on", AbortSignal.abort()), (err) =>
    isEnforcerError(err, "ENF_ERR_POWER_TIMEOUT"),
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.length, 0);
});

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok());
}
