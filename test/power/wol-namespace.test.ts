// Wake-on-LAN over a real layer-2 link: the driver runs in one network namespace, a listener in another,
// joined by a veth pair. The listener reads UDP 9 and 7 as a sleeping NIC's filter would see the frames, and the
// test checks each payload byte by byte: 6 x 0xff, then this machine's MAC 16 times. Needs root.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { startInNs, type NsProcess } from "../support/netns-process.js";

const run = promisify(execFile);
const DRIVER = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), "../../src/power/wol/wol-driver.js"),
).href;
const SENDER_IP = "10.79.0.1";
const MAC = "52:54:00:aa:00:07";
const OTHER_MAC = "52:54:00:aa:00:08";

/** What the listener prints for each datagram. */
interface Heard {
  port: number;
  from: string;
  hex: string;
  at: number;
}

// One socket per port a WoL tool may use; every datagram as one JSON line.
const LISTENER = `
const dgram = require("node:dgram");
let up = 0;
for (const port of [9, 7]) {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) =>
    console.log(JSON.stringify({ port, from: r.address, hex: m.toString("hex"), at: Date.now() })));
  s.bind(port, "0.0.0.0", () => { if (++up === 2) console.log("listening"); });
}`;

/** Runs the driver's `on` once in `ns` and answers its result or its error's code and message. */
async function wake(ns: string, machine: string, address?: string): Promise<Record<string, unknown>> {
  const script = `
import { wolDriver } from ${JSON.stringify(DRIVER)};
const target = { machine: ${JSON.stringify(machine)}, address: ${JSON.stringify(address)}, options: {} };
try {
  console.log(JSON.stringify(await wolDriver().run(target, "on", AbortSignal.timeout(10000))));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
}`;
  const { stdout } = await run(
    "ip",
    ["netns", "exec", ns, process.execPath, "--input-type=module", "-e", script],
    {
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The magic packet for `mac`, written out by hand rather than by the code under test. */
function expectedHex(mac: string): string {
  return "ff".repeat(6) + mac.replaceAll(":", "").repeat(16);
}

describe("Wake-on-LAN magic packets received in another network namespace", { timeout: 120_000 }, () => {
  let pair: NetnsPair | undefined;
  let listener: NsProcess | undefined;
  /** How many datagrams earlier tests took already. */
  let consumed = 0;

  /** Waits until the listener printed `n` datagrams (the driver has returned: they are on the wire). */
  async function take(n: number): Promise<Heard[]> {
    for (let i = 0; i < 200 && lines().length < n; i++) await new Promise((r) => setTimeout(r, 10));
    const got = lines();
    consumed += got.length;
    return got;
  }
  function lines(): Heard[] {
    return listener!
      .out()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Heard)
      .slice(consumed);
  }

  before(async () => {
    pair = await createNetnsPair("w", `${SENDER_IP}/24`);
    await run("ip", ["-n", pair.clientNs, "addr", "add", "10.79.0.2/24", "dev", pair.clientIf]);
    listener = startInNs(pair.clientNs, [process.execPath, "-e", LISTENER], /listening/);
    await listener.ready;
  });
  after(async () => {
    await listener?.stop();
    await pair?.remove();
  });

  test("the default address: 3 packets to 255.255.255.255:9, each exactly this machine's magic packet", async () => {
    const result = await wake(pair!.serverNs, MAC);
    assert.deepEqual(result, { detail: "magic packet sent to 255.255.255.255:9 (3 times)" });
    const got = await take(3);
    assert.equal(got.length, 3, listener!.out());
    for (const h of got) {
      assert.equal(h.port, 9);
      assert.equal(h.from, SENDER_IP);
      const bytes = Buffer.from(h.hex, "hex");
      assert.equal(bytes.length, 102);
      for (let i = 0; i < 6; i++) assert.equal(bytes[i], 0xff, `header byte ${i}`);
      const mac = MAC.split(":").map((x) => parseInt(x, 16));
      for (let i = 6; i < 102; i++) assert.equal(bytes[i], mac[(i - 6) % 6], `byte ${i}`);
      assert.equal(h.hex, expectedHex(MAC));
    }
    const spread = got[2]!.at - got[0]!.at;
    assert.ok(
      spread >= 180 && spread < 2000,
      `3 sends about 100 ms apart, not ${spread} ms from first to last`,
    );
  });

  test("another machine's packet carries its own MAC, so only that NIC wakes", async () => {
    await wake(pair!.serverNs, OTHER_MAC);
    const got = await take(3);
    assert.equal(got.length, 3);
    for (const h of got) {
      assert.equal(h.hex, expectedHex(OTHER_MAC));
      assert.notEqual(h.hex, expectedHex(MAC));
    }
  });

  test("a directed broadcast and another port: 10.79.0.255:7", async () => {
    const result = await wake(pair!.serverNs, MAC, "10.79.0.255:7");
    assert.deepEqual(result, { detail: "magic packet sent to 10.79.0.255:7 (3 times)" });
    const got = await take(3);
    assert.deepEqual(
      got.map((h) => [h.port, h.from, h.hex]),
      Array.from({ length: 3 }, () => [7, SENDER_IP, expectedHex(MAC)]),
    );
  });

  test("a broadcast address with no route is ENF_ERR_POWER_UNREACHABLE with the kernel's words", async () => {
    // The sender's namespace has no default route: nothing leaves it.
    const result = await wake(pair!.serverNs, MAC, "192.0.2.255:9");
    assert.equal(result.code, "ENF_ERR_POWER_UNREACHABLE");
    assert.match(String(result.message), /^cannot send the magic packet to 192\.0\.2\.255:9: .*ENETUNREACH/);
    assert.equal((await take(1)).length, 0);
  });
});
