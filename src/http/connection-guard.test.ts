// One client opening idle connections used up the process's file descriptors (20,200 idle sockets from one
// address: HTTP stopped answering and TFTP transfers failed with EMFILE). Each address now has a cap.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { DEFAULT_CONNECTION_LIMITS } from "./connection-guard.js";
import { testApp } from "./testing/app.js";

/** Opens an idle connection (half a request) from `localAddress`; resolves once it is connected. */
function idle(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1", localAddress }, () => {
      s.write("GET /boot.ipxe HTTP/1.1\r\nHost: x\r\n");
      resolve(s);
    });
    s.on("error", reject);
  });
}

/** One full request from `localAddress`: the status line's code, or 0 when the connection was closed. */
function get(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    let out = "";
    const s = connect({ port, host: "127.0.0.1", localAddress }, () =>
      s.write("GET /boot.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    s.on("data", (d) => (out += d.toString()));
    s.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0)));
    s.on("error", () => resolve(0));
  });
}

test("one address cannot hold more than its share of connections; another address is still answered", async (tt) => {
  const t = await testApp();
  const sockets: Socket[] = [];
  tt.after(async () => {
    for (const s of sockets) s.destroy();
    await t.http.close();
  });
  await t.http.listen({ port: 0, host: "127.0.0.1" });
  const port = (t.http.server.address() as { port: number }).port;
  const cap = DEFAULT_CONNECTION_LIMITS.perAddress;
  let closed = 0;
  for (let i = 0; i < cap + 44; i++) {
    const s = await idle(port, "127.0.0.1");
    s.on("close", () => closed++);
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(closed, 44, "every connection past the cap is closed at once");
  assert.equal(await get(port, "127.0.0.1"), 0, "the flooding address gets no more");
  assert.equal(await get(port, "127.0.0.2"), 200, "another address is answered");
  for (const s of sockets.splice(0, 10)) s.destroy();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await get(port, "127.0.0.1"), 200, "closing connections frees the address's share");
});

test("the total is capped too, so many addresses together cannot use up file descriptors", async (tt) => {
  const t = await testApp({}, { connections: { total: 30, perAddress: 0 } });
  const sockets: Socket[] = [];
  tt.after(async () => {
    for (const s of sockets) s.destroy();
    await t.http.close();
  });
  await t.http.listen({ port: 0, host: "127.0.0.1" });
  const port = (t.http.server.address() as { port: number }).port;
  let closed = 0;
  for (let i = 0; i < 40; i++) {
    const s = await idle(port, `127.0.1.${i + 1}`);
    s.on("close", () => closed++);
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(closed, 10);
});
