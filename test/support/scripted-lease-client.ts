// A scripted DHCP lease client for the namespace lab (not firmware, not a real client: packets built with
// Enforcer's codec), run inside the client namespace by `ip netns exec`. Sends one message with exactly the
// fields asked for from port 68, collects the replies with its xid for a while, prints them as one JSON line.
// Usage: node scripted-lease-client.js '{"mac":"52:54:00:..","type":"discover|request|decline|release|inform",
//   "requested":"a.b.c.d","serverId":"a.b.c.d","ciaddr":"a.b.c.d","to":"255.255.255.255","waitMs":800,
//   "ipxe":true}'
// or '{"flood":N,"serverId":"a.b.c.d"}': N random MACs each DISCOVER, take the offer and DECLINE it (a hostile
// client emptying the range); prints how many offers came and were declined.
import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { ipBytes, ipText } from "../../src/protocols/dhcp/options.js";
import { decodeDhcp, encodeDhcp } from "../../src/protocols/dhcp/packet.js";
import { requestFrame } from "../../src/protocols/dhcp/request-frame.js";
import { exchange } from "./scripted-dhcp-io.js";

interface Spec {
  mac: string;
  type: "discover" | "request" | "decline" | "release" | "inform";
  requested?: string;
  serverId?: string;
  ciaddr?: string;
  to?: string;
  waitMs?: number;
  /** Say what iPXE says (option 175, user class iPXE). */
  ipxe?: boolean;
}

const TYPES = { discover: 1, request: 3, decline: 4, release: 7, inform: 8 } as const;
const spec = JSON.parse(process.argv[2]!) as Spec & { flood?: number };
if (spec.flood !== undefined) await flood(spec.flood, spec.serverId!);
const xid = randomBytes(4).readUInt32BE();
const mac = Buffer.from(spec.mac.split(":").map((h) => parseInt(h, 16)));
const options = new Map<number, Buffer>([
  [53, Buffer.from([TYPES[spec.type]])],
  [55, Buffer.from([1, 3, 6, 51, 54, 58, 59, 66, 67])],
]);
if (spec.requested) options.set(50, ipBytes(spec.requested));
if (spec.serverId) options.set(54, ipBytes(spec.serverId));
if (spec.ipxe) {
  options.set(60, Buffer.from("PXEClient:Arch:00000:UNDI:002001"));
  options.set(77, Buffer.from("iPXE"));
  options.set(175, Buffer.from([0x13, 1, 1]));
}
const u32 = (b: Buffer | undefined) => (b?.length === 4 ? b.readUInt32BE(0) : undefined);
exchange({
  request: requestFrame({ xid, mac, options, ...(spec.ciaddr ? { ciaddr: spec.ciaddr } : {}) }),
  to: spec.to ?? "255.255.255.255",
  port: 67,
  waitMs: spec.waitMs ?? 800,
  describe: (m) => {
    const o = m.options;
    return {
      leaseTime: u32(o.get(51)),
      t1: u32(o.get(58)),
      t2: u32(o.get(59)),
      mask: o.get(1) ? ipText(o.get(1)!) : undefined,
      router: o.get(3) ? ipText(o.get(3)!) : undefined,
      dns: o.get(6)?.length === 4 ? ipText(o.get(6)!) : undefined,
      message: o.get(56)?.toString("latin1"),
    };
  },
});

/** N random MACs: DISCOVER, wait for the OFFER, DECLINE it. Exits when done. */
async function flood(n: number, serverId: string): Promise<never> {
  const s = createSocket({ type: "udp4", reuseAddr: true });
  const waiting = new Map<number, (yiaddr: string) => void>();
  s.on("message", (msg) => {
    try {
      const m = decodeDhcp(msg);
      waiting.get(m.xid)?.(m.yiaddr);
    } catch {
      // Not ours.
    }
  });
  await new Promise<void>((r) => s.bind(68, "0.0.0.0", () => r()));
  s.setBroadcast(true);
  const send = (type: number, xid: number, mac: Buffer, extra: [number, Buffer][]) =>
    new Promise<void>((r) =>
      s.send(
        encodeDhcp(
          requestFrame({ xid, mac, options: new Map<number, Buffer>([[53, Buffer.from([type])], ...extra]) }),
        ),
        67,
        "255.255.255.255",
        () => r(),
      ),
    );
  let offers = 0;
  for (let i = 0; i < n; i++) {
    const x = randomBytes(4).readUInt32BE();
    const mac = Buffer.concat([Buffer.from([0x02]), randomBytes(5)]);
    const offered = new Promise<string | undefined>((r) => {
      waiting.set(x, r);
      setTimeout(() => r(undefined), 300);
    });
    await send(1, x, mac, []);
    const a = await offered;
    waiting.delete(x);
    if (!a) continue;
    offers++;
    await send(4, x, mac, [
      [50, ipBytes(a)],
      [54, ipBytes(serverId)],
    ]);
  }
  process.stdout.write(`${JSON.stringify({ offers, sent: n })}\n`);
  s.close();
  process.exit(0);
}
