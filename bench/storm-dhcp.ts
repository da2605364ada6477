// The storm's proxyDHCP client side: every simulated machine shares one socket on port 68 (the replies are
// broadcasts or come back to the namespace's first address anyway), and its exchanges are told apart by xid.
// Built with Enforcer's own codec; what each request says is what EDK2's PXE client and iPXE say.
import { createSocket, type Socket } from "node:dgram";
import { readFields, type DhcpFields } from "../src/protocols/dhcp/fields.js";
import { decodeDhcp, encodeDhcp, type DhcpMessage } from "../src/protocols/dhcp/packet.js";
import { encodePxeOptions } from "../src/protocols/dhcp/pxe-options.js";
import { requestFrame } from "../src/protocols/dhcp/request-frame.js";

/** A reply's boot fields. */
export interface BootReply {
  serverId: string;
  nextServer: string;
  file: string;
  /** The first item of a PXE boot menu (option 43.9), which a firmware client asks the boot server for. */
  menuType?: number;
}

/** Who a machine is on the wire. */
export interface DhcpIdentity {
  mac: Buffer;
  /** Option 97 (type 0 and a 16-byte GUID): the same in every request of one machine, as firmware does. */
  guid: Buffer;
}

/** How long each try waits for its answer (firmware waits 4, 8, 16, 32 s; the bench retries sooner). */
const TRIES_MS = [2_000, 4_000, 8_000];

const UEFI_X64: [number, Buffer][] = [
  [60, Buffer.from("PXEClient:Arch:00007:UNDI:003000")],
  [93, Buffer.from([0, 7])],
  [94, Buffer.from([1, 3, 0])],
];
// iPXE built for EFI says UNDI:003010, a user class `iPXE` and its feature option 175.
const IPXE_EFI: [number, Buffer][] = [
  [60, Buffer.from("PXEClient:Arch:00007:UNDI:003010")],
  [93, Buffer.from([0, 7])],
  [94, Buffer.from([1, 3, 10])],
  [77, Buffer.from("iPXE")],
  [175, Buffer.from([0x13, 1, 1, 0xeb, 3, 1, 0, 0])],
];

/** The shared port-68 socket and the exchanges waiting on it. */
export class StormDhcp {
  private readonly waiting = new Map<number, (m: DhcpMessage, f: DhcpFields) => boolean>();
  /** Datagrams resent after a try timed out, over all machines. */
  retries = 0;

  private constructor(private readonly sock: Socket) {
    sock.on("message", (msg) => {
      try {
        const m = decodeDhcp(msg);
        const take = this.waiting.get(m.xid);
        if (take?.(m, readFields(m))) this.waiting.delete(m.xid);
      } catch {
        // Not a DHCP message we can read: a machine would drop it too.
      }
    });
    sock.on("error", () => {});
  }

  /** Binds 0.0.0.0:68 with broadcast on. */
  static async open(): Promise<StormDhcp> {
    const sock = createSocket({ type: "udp4", reuseAddr: true });
    await new Promise<void>((res, rej) => {
      sock.once("error", rej);
      sock.bind(68, "0.0.0.0", () => {
        sock.setBroadcast(true);
        res();
      });
    });
    return new StormDhcp(sock);
  }

  /**
   * The firmware's part: a broadcast DISCOVER, the proxy's offer, then (same xid) the boot-server REQUEST to
   * its port 4011 naming the first menu item, and the ACK's boot file. `ciaddr`: the address the site's DHCP
   * server gave this machine (the bench assigns it up front).
   */
  async firmware(id: DhcpIdentity, xid: number, ciaddr: string, server: string): Promise<BootReply> {
    const offer = await this.ask(this.frame(id, xid, 1, UEFI_X64), server, "255.255.255.255", 67, xid, 2);
    // EDK2 names a boot item only when the offer had a menu; an offer without option 43 (dnsmasq's for UEFI,
    // its "UEFI workaround") gets a plain REQUEST, which dnsmasq answers with the file on 4011.
    const menu: [number, Buffer][] =
      offer.menuType === undefined
        ? []
        : [[43, encodePxeOptions({ bootItem: { type: offer.menuType, layer: 0 } })]];
    const request = this.frame(id, xid, 3, [...UEFI_X64, ...menu]);
    request.ciaddr = ciaddr;
    request.flags = 0;
    return this.ask(request, server, offer.serverId, 4011, xid, 5);
  }

  /** iPXE's part: a DISCOVER with option 175 in a new transaction; the proxy's offer names boot.ipxe. */
  async ipxe(id: DhcpIdentity, xid: number, server: string): Promise<BootReply> {
    return this.ask(this.frame(id, xid, 1, IPXE_EFI), server, "255.255.255.255", 67, xid, 2);
  }

  /** Closes the socket. */
  close(): void {
    this.sock.close();
  }

  private frame(id: DhcpIdentity, xid: number, type: number, more: [number, Buffer][]): DhcpMessage {
    return requestFrame({
      xid,
      mac: id.mac,
      secs: 4,
      options: new Map<number, Buffer>([
        [53, Buffer.from([type])],
        [57, Buffer.from([0x05, 0xc0])],
        [55, Buffer.from([1, 3, 6, 43, 60, 66, 67, 97, 128, 175])],
        [97, id.guid],
        ...more,
      ]),
    });
  }

  /** Sends `m` to `to:port` and waits for a reply of `type` from `server` with its xid, retrying per TRIES_MS. */
  private async ask(
    m: DhcpMessage,
    server: string,
    to: string,
    port: number,
    xid: number,
    type: number,
  ): Promise<BootReply> {
    const wire = encodeDhcp(m);
    for (const [i, ms] of TRIES_MS.entries()) {
      if (i > 0) this.retries++;
      const got = await new Promise<BootReply | undefined>((res) => {
        const timer = setTimeout(() => {
          this.waiting.delete(xid);
          res(undefined);
        }, ms);
        this.waiting.set(xid, (r, f) => {
          if (f.messageType !== type || (f.serverId ?? "") !== server) return false;
          clearTimeout(timer);
          const menu = f.pxe?.bootMenu?.[0]?.type;
          res({
            serverId: f.serverId ?? server,
            nextServer: r.siaddr,
            file: f.bootfileName ?? r.file,
            ...(menu !== undefined ? { menuType: menu } : {}),
          });
          return true;
        });
        this.sock.send(wire, port, to);
      });
      if (got) return got;
    }
    throw new Error(`no DHCP ${type === 5 ? "ACK on 4011" : "offer"} after ${TRIES_MS.length} tries`);
  }
}
