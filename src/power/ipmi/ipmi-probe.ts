import { createSocket } from "node:dgram";
import { isIP } from "node:net";
import { clean, type IpmiEndpoint } from "./ipmi-text.js";

/** What the BMC's port did with one unauthenticated IPMI request. */
export type ProbeResult =
  | { kind: "rmcp" }
  | { kind: "junk"; words: string }
  | { kind: "refused" }
  | { kind: "unreachable"; words: string }
  | { kind: "silent" };

/**
 * Get Channel Authentication Capabilities (channel 14 = this one, admin, IPMI v2 bit) in an IPMI 1.5
 * session-less RMCP packet: the first thing ipmitool sends, and what every BMC answers before any login.
 */
const GET_AUTH_CAPS = Buffer.from(
  // RMCP header | auth none, sequence, session 0, length 9 | rsAddr, netFn 6, checksum | rqAddr, seq, cmd
  // 0x38, data (v2 bit + channel 14, admin), checksum
  ["0600ff07", "00", "00000000", "00000000", "09", "2018c8", "810038", "8e04", "b5"].join(""),
  "hex",
);

/**
 * Asks the BMC's port once, after ipmitool failed without saying why (ipmitool says "Unable to establish IPMI
 * v2 / RMCP+ session" alike for a closed port, a silent one and one answering junk): a closed port shows as
 * ICMP port unreachable on the connected socket, junk as an answer that is not RMCP.
 */
export function probeIpmi(e: IpmiEndpoint, waitMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(e.host) === 6 ? "udp6" : "udp4");
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.close();
      resolve(r);
    };
    const onAbort = () => finish({ kind: "silent" });
    const timer = setTimeout(() => finish({ kind: "silent" }), waitMs);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") finish({ kind: "refused" });
      else finish({ kind: "unreachable", words: err.code ?? err.message });
    });
    socket.on("message", (msg) => {
      // RMCP: version 6, reserved, sequence, class 6 (ASF) or 7 (IPMI), maybe with the ACK bit.
      const rmcp = msg.length >= 4 && msg[0] === 0x06 && [6, 7].includes((msg[3] ?? 0) & 0x1f);
      finish(rmcp ? { kind: "rmcp" } : { kind: "junk", words: junkWords(msg) });
    });
    socket.connect(e.port, e.host, () => {
      // A second send lets the ICMP answer to the first surface as ECONNREFUSED on a connected socket.
      socket.send(GET_AUTH_CAPS, () => setTimeout(() => !done && socket.send(GET_AUTH_CAPS), 50));
    });
  });
}

/** A junk answer shown as text when it is mostly text, else as its first bytes in hex. */
function junkWords(msg: Buffer): string {
  const head = msg.subarray(0, 120);
  const printable = head.filter((b) => b >= 0x20 && b < 0x7f).length;
  const text =
    printable >= head.length * 0.8
      ? head.toString("latin1")
      : head.subarray(0, 24).toString("hex").replace(/../g, "$& ");
  return `${msg.length} bytes: ${clean(text, 100)}`;
}
