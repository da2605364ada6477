import { createSocket } from "node:dgram";
import type { PowerDriver, PowerResult, PowerTarget } from "../../core/power-port.js";
import type { PowerAction } from "../../domain/power.js";
import { EnforcerError } from "../../domain/errors.js";
import { parseMac } from "../../domain/mac.js";
import { magicPacket } from "./magic-packet.js";
import { parseWolAddress, type WolDestination } from "./wol-address.js";

/** How many times the packet goes out: UDP broadcast has no answer and a switch may drop one. */
const SENDS = 3;
/** The gap between sends: long enough to outlast a short burst of loss, short enough to stay ~0.2 s in all. */
const GAP_MS = 100;
/** Our own bound, below any power timeout core allows: only a hung name lookup could get near it. */
const INTERNAL_TIMEOUT_MS = 5_000;

/**
 * Wake-on-LAN: powers a machine on by broadcasting the magic packet for its MAC (the machine id) to the
 * record's address (default 255.255.255.255:9, or a directed broadcast such as 10.0.0.255:9). It can do
 * nothing else: no answer comes back, so it never tells the state.
 */
export function wolDriver(): PowerDriver {
  return {
    name: "wol",
    actions: ["on"],
    async run(target: PowerTarget, action: PowerAction, signal: AbortSignal): Promise<PowerResult> {
      if (action !== "on") {
        throw new EnforcerError("ENF_ERR_POWER_UNSUPPORTED", `Wake-on-LAN can only power on, not ${action}`, {
          action,
        });
      }
      const to = parseWolAddress(target.address);
      await sendRepeated(magicPacket(parseMac(target.machine)), to, signal);
      return { detail: `magic packet sent to ${to.shown} (${SENDS} times)` };
    },
  };
}

/** Sends `packet` SENDS times, GAP_MS apart, from a fresh broadcast-enabled socket closed at the end. */
function sendRepeated(packet: Buffer, to: WolDestination, outer: AbortSignal): Promise<void> {
  const signal = AbortSignal.any([outer, AbortSignal.timeout(INTERNAL_TIMEOUT_MS)]);
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(timedOut(to, 0));
      return;
    }
    // Never read: nothing answers a magic packet, and what a stranger sends to our port stays in the
    // kernel's bounded buffer until the close.
    const socket = createSocket({ type: to.family });
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err?: EnforcerError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => finish(timedOut(to, sent));
    signal.addEventListener("abort", onAbort, { once: true });
    // `on`, not `once`: a second error event with no listener would throw out of the socket and end the process.
    socket.on("error", (err) => finish(unreachable(to, err)));
    const sendOne = () => {
      socket.send(packet, to.port, to.host, (err) => {
        if (done) return;
        if (err) return finish(unreachable(to, err));
        sent += 1;
        if (sent === SENDS) return finish();
        timer = setTimeout(sendOne, GAP_MS);
      });
    };
    socket.bind(0, () => {
      if (done) return;
      try {
        socket.setBroadcast(true);
      } catch (err) {
        return finish(unreachable(to, err));
      }
      sendOne();
    });
  });
}

function timedOut(to: WolDestination, sent: number): EnforcerError {
  return new EnforcerError(
    "ENF_ERR_POWER_TIMEOUT",
    `magic packet to ${to.shown}: stopped after ${sent} of ${SENDS} sends (timeout)`,
    { address: to.shown, sent },
  );
}

/** A send the kernel refused (no route, name not found, broadcast not allowed): the OS's own words, short. */
function unreachable(to: WolDestination, err: unknown): EnforcerError {
  const words = (err instanceof Error ? err.message : String(err)).replace(/[\p{Cc}]+/gu, " ").slice(0, 200);
  return new EnforcerError(
    "ENF_ERR_POWER_UNREACHABLE",
    `cannot send the magic packet to ${to.shown}: ${words}`,
    { address: to.shown },
  );
}
