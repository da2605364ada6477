import type { Logger } from "pino";
import type { Settings } from "../config/settings.js";
import type { GeneralScriptInputs } from "../domain/boot-decision.js";
import { EnforcerError } from "../domain/errors.js";
import { generalScriptMemo } from "../protocols/ipxe/general-script.js";
import { LogBudget } from "../logging/log-budget.js";
import type { BootFiles } from "../files/boot-files.js";
import { TftpCounters } from "../protocols/tftp/counters.js";
import { TFTP_ERROR } from "../protocols/tftp/packet.js";
import { startTftpServer, type TftpServer } from "../protocols/tftp/server.js";
import type { ReadResult } from "../protocols/tftp/source.js";
import type { TransferStats } from "../protocols/tftp/transfer-runner.js";
import type { UdpFault } from "../protocols/udp/safe-socket.js";
import type { PiOpen } from "./pi-tftp.js";
import { bootFileReader } from "./tftp-read.js";

/** Fault log lines per minute; past it they are only counted, so a flood cannot fill the disk with logs. */
const FAULT_LOGS_PER_MINUTE = 20;
/** Transfer log lines per minute (a rack booting at once fits); past it one line says how many were left out. */
const TRANSFER_LOGS_PER_MINUTE = 600;

/**
 * The files Enforcer generates in the boot namespace (TFTP and `/tftp/` over HTTP): `boot.ipxe`, the
 * general script for the current inputs, rendered again only when they change.
 */
export function generatedFiles(inputs: () => GeneralScriptInputs): (name: string) => Buffer | undefined {
  const general = generalScriptMemo();
  return (name) => (name === "boot.ipxe" ? Buffer.from(general(inputs())) : undefined);
}

/**
 * Glue between the policy-free TFTP server and the boot file namespace. Every transfer is logged and
 * counted. When the port was not set and the default 69 cannot be bound (not root), TFTP is skipped with
 * a warning instead of stopping Enforcer; an explicitly set port that fails stops the start.
 */
export async function startTftp(
  settings: Readonly<Settings>,
  files: Pick<BootFiles, "open">,
  log: Logger,
  counters: TftpCounters,
  /** Each transfer as it ended, for the boot timeline. */
  report: (s: TransferStats) => void = () => undefined,
  pi?: PiOpen,
): Promise<TftpServer | undefined> {
  if (!settings.tftp) return undefined;
  const port = settings.tftpPort ?? 69;
  const fileRead = bootFileReader(files);
  // Raspberry Pi boot directories first (per machine, daemon/pi-tftp.ts), then the boot file namespace.
  const read = async (name: Buffer, ip: string, mode: string, signal: AbortSignal): Promise<ReadResult> => {
    const p = pi ? await pi(name, ip) : undefined;
    if (!p) return fileRead(name, mode, signal);
    if (!p.ok) return p;
    if (mode !== "netascii") return { ok: true, source: { size: p.size, read: p.read, close: p.close } };
    p.close();
    return {
      ok: false,
      code: TFTP_ERROR.NOT_DEFINED,
      message: "a Pi boot directory is served in octet mode",
    };
  };
  const faultLogs = new LogBudget(FAULT_LOGS_PER_MINUTE);
  const transferLogs = new LogBudget(TRANSFER_LOGS_PER_MINUTE);
  // A dropped or refused datagram is what an attacker (or a broken client) sends: debug. A handler that
  // threw is a bug in Enforcer: an error line, but a limited number of them.
  const logFault = (f: UdpFault) => {
    if (f.kind === "dropped-source" || f.kind === "refused-destination")
      return log.debug({ peer: f.peer }, `tftp: ${f.message}`);
    const budget = faultLogs.take();
    if (budget.ok)
      log[f.kind === "handler-threw" ? "error" : "warn"](
        { peer: f.peer, fault: f.kind, ...(budget.skipped > 0 ? { notLogged: budget.skipped } : {}) },
        `tftp: ${f.message}`,
      );
  };
  try {
    return await startTftpServer({
      port,
      address: settings.listen,
      maxBlksize: settings.tftpMaxBlksize,
      maxWindowsize: settings.tftpMaxWindowsize,
      maxTransfers: settings.tftpMaxTransfers,
      timeoutMs: 1000,
      maxRetries: 5,
      read: (name, client, mode, signal) => read(name, client.address, mode, signal),
      onTransfer: (s) => {
        counters.record(s);
        report(s);
        // One datagram makes a transfer (a refusal, a timeout): lines are budgeted, counters count all.
        const budget = transferLogs.take();
        if (!budget.ok) return;
        const quiet = s.outcome === "complete" || s.outcome === "aborted-after-oack";
        log[quiet ? "info" : "warn"](
          {
            tftp: { ...s, durationMs: Math.round(s.durationMs) },
            ...(budget.skipped > 0 ? { notLogged: budget.skipped } : {}),
          },
          `tftp ${s.outcome} ${s.file} to ${s.client.address}`,
        );
      },
      onBadPacket: (client, reason) => {
        counters.badPackets++;
        log.debug({ client, reason }, "tftp: bad packet");
      },
      onFault: (f) => {
        counters.recordFault(f.kind);
        logFault(f);
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (settings.tftpPort === undefined && (code === "EACCES" || code === "EADDRINUSE")) {
      log.warn(
        `TFTP not started: port 69 ${code === "EACCES" ? "needs root or CAP_NET_BIND_SERVICE" : "is in use"}; set --tftp-port or --no-tftp`,
      );
      return undefined;
    }
    throw new EnforcerError(
      "ENF_ERR_TFTP_BIND",
      `--tftp-port ${port}: cannot listen on ${settings.listen}:${port} (${code ?? err})`,
      {
        port,
      },
    );
  }
}
