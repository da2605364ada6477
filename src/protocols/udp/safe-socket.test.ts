import assert from "node:assert/strict";
import { createSocket, type RemoteInfo } from "node:dgram";
import { test } from "node:test";
import { checkDestination, onDatagram, sendChecked, sendSafe, type UdpFault } from "./safe-socket.js";

const from = (address: string, port: number): RemoteInfo => ({ address, port, family: "IPv4", size: 1 });

test("impossible destinations are named; ordinary ones pass", () => {
  const v4 = { family: "udp4" } as const;
  assert.equal(checkDestination({ address: "127.0.0.1", port: 1 }, v4), undefined);
  assert.equal(checkDestination({ address: "192.168.1.10", port: 65535 }, v4), undefined);
  for (const [address, port] of [
    ["127.0.0.1", 0],
    ["127.0.0.1", 65536],
    ["127.0.0.1", -1],
    ["127.0.0.1", 1.5],
    ["0.0.0.0", 69],
    ["255.255.255.255", 68],
    ["224.0.0.1", 69],
    ["::1", 69],
    ["localhost", 69],
    ["", 69],
  ] as const)
    assert.ok(checkDestination({ address, port }, v4), `${address}:${port}`);
  assert.equal(
    checkDestination({ address: "255.255.255.255", port: 68 }, { ...v4, broadcast: true }),
    undefined,
  );
  assert.equal(checkDestination({ address: "::1", port: 69 }, { family: "udp6" }), undefined);
  assert.ok(checkDestination({ address: "ff02::1", port: 69 }, { family: "udp6" }));
  assert.ok(checkDestination({ address: "::", port: 69 }, { family: "udp6" }));
});

test("a reply to port 0 is refused without a send and without a throw", async () => {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const faults: UdpFault[] = [];
  // Without the check this is the ERR_SOCKET_BAD_PORT that Node throws synchronously.
  assert.equal(
    sendSafe(sock, Buffer.from("x"), { address: "127.0.0.1", port: 0 }, (f) => faults.push(f), {
      family: "udp4",
    }),
    false,
  );
  assert.deepEqual(
    faults.map((f) => f.kind),
    ["refused-destination"],
  );
  sock.close();
  // A send on a closed socket throws in Node: here it is a fault, and a sink that throws changes nothing.
  const ok = sendChecked(sock, Buffer.from("x"), { address: "127.0.0.1", port: 9 }, (f) => {
    faults.push(f);
    throw new Error("a broken sink");
  });
  assert.equal(ok, false);
  assert.equal(faults.at(-1)?.kind, "send-failed");
});

test("a throwing or rejecting handler is reported and the socket keeps handling datagrams", async () => {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const faults: UdpFault[] = [];
  const handled: string[] = [];
  const cleanups: unknown[] = [];
  onDatagram(
    sock,
    (msg) => {
      const s = msg.toString();
      if (s === "throw") throw new Error("boom");
      if (s === "reject") return Promise.reject(new Error("later boom"));
      handled.push(s);
    },
    (f) => faults.push(f),
    { family: "udp4", dropUnreachableSources: true },
    (err) => cleanups.push(err),
  );
  // Emitted as the socket would: a throw here would escape into the dgram callback and stop the process.
  sock.emit("message", Buffer.from("throw"), from("127.0.0.1", 5000));
  sock.emit("message", Buffer.from("reject"), from("127.0.0.1", 5000));
  sock.emit("message", Buffer.from("from port 0"), from("127.0.0.1", 0));
  sock.emit("message", Buffer.from("ok"), from("127.0.0.1", 5000));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(handled, ["ok"]);
  assert.deepEqual(
    faults.map((f) => f.kind),
    ["handler-threw", "dropped-source", "handler-threw"],
  );
  assert.match(faults[0]!.message, /boom/);
  assert.equal(cleanups.length, 2);
  sock.close();
});

test("sources are only checked when asked (a DHCP server's clients send from 0.0.0.0)", () => {
  const sock = createSocket("udp4");
  const seen: string[] = [];
  onDatagram(
    sock,
    (_m, r) => void seen.push(r.address),
    () => assert.fail("no fault"),
    {
      family: "udp4",
      dropUnreachableSources: false,
    },
  );
  sock.emit("message", Buffer.from("discover"), from("0.0.0.0", 68));
  assert.deepEqual(seen, ["0.0.0.0"]);
  sock.close();
});
