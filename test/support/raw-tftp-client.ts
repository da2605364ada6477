import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { decodePacket, type Packet } from "../../src/protocols/tftp/packet.js";

/** A bare UDP endpoint that records decoded packets, for driving the server by hand in tests. */
export class RawClient {
  readonly sock: Socket;
  readonly inbox: { p: Packet; from: RemoteInfo }[] = [];
  private waiters: (() => void)[] = [];

  private constructor() {
    this.sock = createSocket("udp4");
    this.sock.on("message", (msg, from) => {
      this.inbox.push({ p: decodePacket(msg), from });
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  /** A client bound to a free port on a loopback address (127.0.0.1 unless told: another "host"). */
  static async open(address = "127.0.0.1"): Promise<RawClient> {
    const c = new RawClient();
    await new Promise<void>((r) => c.sock.bind(0, address, r));
    c.sock.unref(); // a test that fails before close() must not keep the runner alive
    return c;
  }

  /** Sends bytes to a port on loopback. */
  send(buf: Buffer, port: number): void {
    this.sock.send(buf, port, "127.0.0.1");
  }

  /** Waits for the next packet matching `pred`, or fails after `ms`. */
  async next(pred: (p: Packet) => boolean = () => true, ms = 3000): Promise<{ p: Packet; from: RemoteInfo }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex((m) => pred(m.p));
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching packet within ${ms} ms; inbox: ${JSON.stringify(this.inbox.map((m) => m.p.op))}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Packets received during the next `ms` milliseconds. */
  async quiet(ms: number): Promise<Packet[]> {
    this.inbox.length = 0;
    await new Promise((r) => setTimeout(r, ms));
    return this.inbox.splice(0).map((m) => m.p);
  }

  close(): void {
    this.sock.close();
  }
}
