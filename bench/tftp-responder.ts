// The floor peer of the TFTP bench: the least a Node TFTP server can do per datagram. Every file of DIR is
// read into memory at start; a read request gets its own socket connected to the client (no address lookup
// per send), blksize and tsize are answered, and each ACK of the block in flight sends the next one. Lock-step
// only, no timers, no logs, no limits: a lost DATA is sent again only when the client repeats its last ACK.
import { createSocket } from "node:dgram";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const [port, dir] = process.argv.slice(2) as [string, string];
const files = new Map<string, Buffer>();
for (const name of readdirSync(dir))
  if (statSync(join(dir, name)).isFile()) files.set(name, readFileSync(join(dir, name)));

const main = createSocket("udp4");
main.on("message", (msg, peer) => {
  if (msg.length < 4 || msg.readUInt16BE(0) !== 1) return;
  const [name = "", , ...opts] = msg.subarray(2).toString("latin1").split("\0");
  const data = files.get(name);
  if (!data) return;
  let blksize = 512;
  const oack: string[] = [];
  for (let i = 0; i + 1 < opts.length; i += 2) {
    const key = opts[i]!.toLowerCase();
    if (key === "blksize") blksize = Math.min(Number(opts[i + 1]), 1468);
    if (key === "blksize") oack.push("blksize", String(blksize));
    if (key === "tsize") oack.push("tsize", String(data.length));
  }
  const blocks = Math.floor(data.length / blksize) + 1;
  let block = 0; // the block in flight (0: the OACK)
  const sock = createSocket("udp4");
  const send = (n: number) => {
    const header = Buffer.allocUnsafe(4);
    header.writeUInt16BE(3, 0);
    header.writeUInt16BE(n & 0xffff, 2);
    sock.send([header, data.subarray((n - 1) * blksize, n * blksize)]);
  };
  sock.on("message", (ack) => {
    if (ack.length < 4 || ack.readUInt16BE(0) !== 4) return sock.close();
    const n = ack.readUInt16BE(2);
    if (n === (block & 0xffff)) {
      if (block === blocks) return sock.close();
      send(++block);
    } else if (block > 0 && n === ((block - 1) & 0xffff)) send(block);
  });
  sock.bind(0, "127.0.0.1", () =>
    sock.connect(peer.port, peer.address, () => {
      if (oack.length === 0) return send(++block);
      sock.send(Buffer.from(`\0\x06${oack.join("\0")}\0`, "latin1"));
    }),
  );
});
main.bind(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
