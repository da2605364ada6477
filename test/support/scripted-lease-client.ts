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
import { readFields } from "../../src/protocols/dhcp/fields.js";
import { ipBytes, ipText } from "../../src/protocols/dhcp/options.js";
import { decodeDhcp, encodeDhcp, FLAG_BROADCAST } from "../../src/protocols/dhcp/packet.js";

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
const request = encodeDhcp({
  op: 1,
  htype: 1,
  hlen: 6,
  hops: 0,
  xid,
  secs: 0,
  flags: spec.ciaddr ? 0 : FLAG_BROADCAST,
  ciaddr: spec.ciaddr ?? "0.0.0.0",
  yiaddr: "0.0.0.0",
  siaddr: "0.0.0.0",
  giaddr: "0.0.0.0",
  chaddr: Buffer.concat([mac, Buffer.alloc(10)]),
  sname: "",
  file: "",
  options,
});

const replies: unknown[] = [];
const sock = createSocket({ type: "udp4", reuseAddr: true });
const u32 = (b: Buffer | undefined) => (b?.length === 4 ? b.readUInt32BE(0) : undefined);
sock.on("message", (msg, rinfo) => {
  try {
    const m = decodeDhcp(msg);
    if (m.xid !== xid) return;
    const f = readFields(m);
    const o = m.options;
    replies.push({
      from: rinfo.address,
      type: f.messageType,
      yiaddr: m.yiaddr,
      siaddr: m.siaddr,
      file: m.file,
      serverId: f.serverId,
      leaseTime: u32(o.get(51)),
      t1: u32(o.get(58)),
      t2: u32(o.get(59)),
      mask: o.get(1) ? ipText(o.get(1)!) : undefined,
      router: o.get(3) ? ipText(o.get(3)!) : undefined,
      dns: o.get(6)?.length === 4 ? ipText(o.get(6)!) : undefined,
      message: o.get(56)?.toString("latin1"),
      bootfileName: f.bootfileName,
    });
  } catch (err) {
    replies.push({ undecodable: (err as Error).message });
  }
});
sock.bind(68, "0.0.0.0", () => {
  sock.setBroadcast(true);
  sock.send(request, 67, spec.to ?? "255.255.255.255", (err) => {
    if (err) {
      process.stdout.write(`${JSON.stringify({ sendError: err.message })}\n`);
      process.exit(1);
    }
    setTimeout(() => {
      process.stdout.write(`${JSON.stringify({ replies })}\n`);
      sock.close();
    }, spec.waitMs ?? 800);
  });
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
  const send = (type: number, xid: number, chaddr: Buffer, extra: [number, Buffer][]) =>
    new Promise<void>((r) =>
      s.send(
        encodeDhcp({
          ...{ op: 1, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: FLAG_BROADCAST },
          ...{ ciaddr: "0.0.0.0", yiaddr: "0.0.0.0", siaddr: "0.0.0.0", giaddr: "0.0.0.0" },
          ...{ chaddr, sname: "", file: "" },
          options: new Map<number, Buffer>([[53, Buffer.from([type])], ...extra]),
        }),
        67,
        "255.255.255.255",
        () => r(),
      ),
    );
  let offers = 0;
  for (let i = 0; i < n; i++) {
    const x = randomBytes(4).readUInt32BE();
    const chaddr = Buffer.concat([Buffer.from([0x02]), randomBytes(5), Buffer.alloc(10)]);
    const offered = new Promise<string | undefined>((r) => {
      waiting.set(x, r);
      setTimeout(() => r(undefined), 300);
    });
    await send(1, x, chaddr, []);
    const a = await offered;
    waiting.delete(x);
    if (!a) continue;
    offers++;
    await send(4, x, chaddr, [
      [50, ipBytes(a)],
      [54, ipBytes(serverId)],
    ]);
  }
  process.stdout.write(`${JSON.stringify({ offers, sent: n })}\n`);
  s.close();
  process.exit(0);
}
