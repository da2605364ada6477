import assert from "node:assert/strict";
import { spawn } from "node:child_process";

// Node has no raw sockets, so python3 (Debian's, installed by scripts/ensure-peers.sh) builds the IPv4 and
// UDP headers itself: that is the only way to send a datagram whose source port is 0, as an attacker can.
// IPPROTO_RAW implies IP_HDRINCL; the kernel fills in the IP checksum, and a UDP checksum of 0 means none.
const SENDER = `
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
lo = socket.inet_aton("127.0.0.1")
n = 0
for line in sys.stdin:
    payload = bytes.fromhex(line.strip())
    udp = struct.pack("!HHHH", 0, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, socket.IPPROTO_UDP, 0, lo, lo)
    s.sendto(ip + udp, ("127.0.0.1", 0))
    n += 1
print(n)
`;

/**
 * Sends each payload as one UDP datagram from 127.0.0.1 source port 0 to 127.0.0.1:`port`, through a raw
 * socket. Needs root: a test that calls this fails (never skips) elsewhere, as the brief for CI says.
 */
export async function sendFromPortZero(port: number, payloads: Buffer[]): Promise<number> {
  assert.equal(
    process.getuid?.(),
    0,
    "sending from source port 0 needs a raw socket: run this test as root (CI runs as root)",
  );
  const child = spawn("python3", ["-c", SENDER, String(port)], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  child.stdin.end(payloads.map((p) => p.toString("hex")).join("\n") + "\n");
  const code = await new Promise<number | null>((res) => child.on("close", res));
  assert.equal(code, 0, `python3 raw sender failed: ${out}`);
  return Number(out.trim());
}
