import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { L2Lab } from "./l2-lab.js";

// An attacker on the lab's segment: its own namespace with a veth into the bridge and an address, sending
// what the test hands it through python3 (Debian's; Node has no raw sockets). Ordinary datagrams go through
// a UDP socket bound to port 68, as a client's do, so the kernel fragments the giant ones (up to 65,507
// bytes) on the wire and Enforcer's kernel reassembles them. Datagrams from source port 0 need a raw socket
// with our own IPv4 and UDP headers (IPPROTO_RAW implies IP_HDRINCL; the kernel fills in the IP checksum,
// and a UDP checksum of 0 means none); the same raw socket forges a source address and port.
const SENDER = `
import socket, struct, sys, time
src, path = sys.argv[1], sys.argv[2]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
udp.bind(("0.0.0.0", 68))
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
n = 0
for line in open(path):
    mode, sip, sport, dst, port, pause, data = line.split(" ")
    payload = bytes.fromhex(data.strip())
    if mode == "udp":
        udp.sendto(payload, (dst, int(port)))
    else:
        u = struct.pack("!HHHH", int(sport), int(port), 8 + len(payload), 0) + payload
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0, 0, 64, socket.IPPROTO_UDP, 0,
                        socket.inet_aton(sip if sip != "-" else src), socket.inet_aton(dst))
        raw.sendto(h + u, (dst, 0))
    n += 1
    if float(pause) > 0:
        time.sleep(float(pause) / 1000)
print(n)
`;

/** One datagram for the attacker to send. */
export interface AttackDatagram {
  payload: Buffer;
  /** Where to: Enforcer's address, or 255.255.255.255 (a broadcast over the whole segment). */
  to: string;
  port: number;
  /** `raw`: through a raw socket, from `from` (default: source port 0); `udp`: from port 68 by the kernel's UDP. */
  via?: "udp" | "raw";
  /** With `raw`: a forged source address (default the attacker's) and port (default 0). */
  from?: { address?: string; port?: number };
  /** Milliseconds to wait after this one (to pace the sender below the receiver's socket buffer). */
  pauseMs?: number;
}

/** The attacker's namespace on the lab's bridge. */
export interface LabAttacker {
  ns: string;
  address: string;
  /** Sends every datagram in order; resolves with how many python sent. */
  send: (datagrams: AttackDatagram[]) => Promise<number>;
}

/**
 * Adds the attacker's namespace to `lab` at `<net>.66`, with a default route on its veth so that its
 * broadcasts to 255.255.255.255 leave onto the segment. Fails with one line without python3.
 */
export function addLabAttacker(lab: L2Lab): LabAttacker {
  assert.equal(
    spawnSync("sh", ["-c", "command -v python3"]).status,
    0,
    "the lab's attacker needs python3 for raw sockets: apt-get install -y python3 (or bash scripts/ensure-peers.sh)",
  );
  const ns = lab.addHost("atk");
  const address = `${lab.net}.66`;
  const ip = (...args: string[]) => {
    const r = spawnSync("ip", ["-n", ns, ...args], { encoding: "utf8" });
    assert.equal(r.status, 0, `ip -n ${ns} ${args.join(" ")}: ${r.stderr}`);
  };
  ip("addr", "add", `${address}/24`, "dev", "eth0");
  ip("route", "add", "default", "dev", "eth0");
  const script = join(lab.dir, "attacker.py");
  writeFileSync(script, SENDER);
  let batch = 0;
  return {
    ns,
    address,
    send: async (datagrams) => {
      const file = join(lab.dir, `attack-${batch++}.txt`);
      writeFileSync(
        file,
        datagrams
          .map(
            (d) =>
              `${d.via ?? "udp"} ${d.from?.address ?? "-"} ${d.from?.port ?? 0} ${d.to} ${d.port} ${d.pauseMs ?? 0} ${d.payload.toString("hex")}\n`,
          )
          .join(""),
      );
      const p = lab.spawnIn(ns, "attacker", "python3", [script, address, file]);
      const code = await p.exited;
      assert.equal(code, 0, `the attacker's sender failed: ${p.output()}`);
      return Number(p.output().trim());
    },
  };
}
