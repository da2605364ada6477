import { createSocket, type Socket } from "node:dgram";

/** How badly the relay treats packets: shares of drops, duplicates and reorders (delayed packets). */
export interface Lossiness {
  drop: number;
  duplicate: number;
  reorder: number;
  /** Seeded, so a failing run can be repeated. */
  seed: number;
}

/**
 * A UDP relay on loopback between a TFTP client and server that drops, duplicates and delays packets.
 * It keeps TFTP's TID rule intact: the client sends its request to the relay's port, and everything after
 * comes from (and goes to) a second relay socket that stands for the server's transfer port.
 */
export async function startLossyRelay(serverPort: number, l: Lossiness) {
  let state = l.seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const stats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  let closed = false;
  const sockets: Socket[] = [];
  const open = async () => {
    const s = createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    sockets.push(s);
    return s;
  };
  const deliver = (via: Socket, buf: Buffer, port: number) => {
    if (random() < l.drop) return void stats.dropped++;
    stats.forwarded++;
    const send = () => {
      if (!closed) via.send(buf, port, "127.0.0.1"); // delayed copies may outlive the relay
    };
    if (random() < l.reorder) {
      stats.reordered++;
      setTimeout(send, 5 + random() * 30);
    } else send();
    if (random() < l.duplicate) {
      stats.duplicated++;
      setTimeout(send, random() * 20);
    }
  };

  const front = await open(); // the client's request port
  const towardServer = await open(); // our client-side socket towards the server
  const asServerTid = await open(); // the "server TID" the client sees
  let client: number | undefined;
  let serverTid: number | undefined;
  front.on("message", (msg, from) => {
    client = from.port;
    towardServer.send(msg, serverPort, "127.0.0.1"); // the request itself always arrives
  });
  towardServer.on("message", (msg, from) => {
    serverTid = from.port;
    if (client !== undefined) deliver(asServerTid, msg, client);
  });
  asServerTid.on("message", (msg) => {
    if (serverTid !== undefined) deliver(towardServer, msg, serverTid);
  });
  return {
    port: front.address().port,
    stats,
    close: () => {
      closed = true;
      sockets.forEach((s) => s.close());
    },
  };
}
