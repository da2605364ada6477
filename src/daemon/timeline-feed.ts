import type { BootTimeline } from "../core/boot-timeline.js";
import type { ProxyDecision } from "../core/dhcp-proxy.js";
import { classifyDhcpClient } from "../domain/dhcp-client.js";
import type { TftpOutcome } from "../domain/boot-timeline.js";
import type { DhcpFields } from "../protocols/dhcp/fields.js";
import type { TransferStats } from "../protocols/tftp/transfer-runner.js";

/** The TFTP server's outcomes as the timeline names them. */
const TFTP_OUTCOME: Record<TransferStats["outcome"], TftpOutcome> = {
  complete: "complete",
  "aborted-after-oack": "size-probe",
  "peer-error": "gave-up",
  timeout: "stalled",
  refused: "refused",
  aborted: "error",
};

/**
 * Runs a report so that a bug in the timeline never costs a client its answer (the DHCP handler, the TFTP
 * transfer's end): it becomes a process warning.
 */
function guarded(report: () => void): void {
  try {
    report();
  } catch (err) {
    process.emitWarning(`timeline: a report failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** Reports an ended TFTP transfer to the timeline (attributed there by the client's address). */
export function tftpToTimeline(timeline: BootTimeline): (s: TransferStats) => void {
  return (s) =>
    guarded(() =>
      timeline.tftp({
        kind: "tftp",
        ip: s.client.address,
        file: s.file,
        bytes: s.bytes,
        ...(s.size !== undefined ? { size: s.size } : {}),
        durationMs: Math.round(s.durationMs),
        resent: s.resent,
        lastBlock: s.lastBlock,
        outcome: TFTP_OUTCOME[s.outcome],
        ...(s.error ? { error: s.error } : {}),
      }),
    );
}

/** What a DHCP mode decided for one request: an answer's boot file, or why none. */
export interface DhcpOutcome {
  offered?: string;
  reply?: "offer" | "ack";
  skip?: string;
  skipDetail?: string;
}

/**
 * Reports one DHCP exchange to the timeline: the one call every DHCP mode makes (proxy here; the server
 * mode likewise). The client's address (the one `--dhcp server` leased), when the request carries one (option 50, ciaddr, the source of a
 * port 4011 request), maps the address to the MAC so that TFTP and `boot.ipxe` can be attributed.
 */
export function dhcpToTimeline(
  timeline: BootTimeline,
  fields: DhcpFields,
  meta: { source: string; ciaddr: string; port: "dhcp" | "boot-server"; leased?: string },
  outcome: DhcpOutcome,
): void {
  guarded(() => {
    const c = classifyDhcpClient(fields);
    // The address `--dhcp server` gave is the surest; the proxy only has what the request carries.
    const ip = [meta.leased, fields.requestedIp, meta.ciaddr, meta.source].find((a) => a && a !== "0.0.0.0");
    timeline.dhcp({
      kind: "dhcp",
      ...(fields.mac ? { mac: fields.mac } : {}),
      ...(ip ? { ip } : {}),
      client: c.kind,
      ...(fields.vendorClass ? { vendorClass: fields.vendorClass } : {}),
      ...("arch" in c && c.arch !== undefined ? { arch: c.arch } : {}),
      port: meta.port,
      ...outcome,
    });
  });
}

/** The proxy's decision as a timeline outcome. */
export function proxyOutcome(d: ProxyDecision): DhcpOutcome {
  if ("skip" in d) return { skip: d.skip, skipDetail: d.detail };
  return { offered: d.answer.bootFile, reply: d.answer.reply };
}

/** `--dhcp server`'s outcome as a timeline outcome: the boot file of an OFFER or ACK, or why there was none. */
export function leaseOutcome(
  event: string,
  detail: string,
  answer: { reply: "offer" | "ack" | "inform-ack" | "nak" } | undefined,
  bootFile: string | undefined,
): DhcpOutcome {
  if (!answer || answer.reply === "nak") return { skip: answer ? "nak" : event, skipDetail: detail };
  const reply = answer.reply === "offer" ? "offer" : "ack";
  return bootFile
    ? { reply, offered: bootFile }
    : { reply, skip: "no-boot-file", skipDetail: `${detail} (an address, no boot file)` };
}
