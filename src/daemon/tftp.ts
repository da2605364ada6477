import type { Logger } from "pino";
import type { Settings } from "../config/settings.js";
import { EnforcerError } from "../domain/errors.js";
import type { BootFiles } from "../files/boot-files.js";
import { TftpCounters } from "../protocols/tftp/counters.js";
import { startTftpServer, type TftpServer } from "../protocols/tftp/server.js";
import { bufferSource, toNetascii, type ReadResult } from "../protocols/tftp/source.js";

/** netascii is converted in memory, so only for files up to this size. */
const NETASCII_LIMIT = 16 * 1024 * 1024;

/**
 * Glue between the policy-free TFTP server and the boot file namespace. Every transfer is logged and
 * counted. When the port was not set and the default 69 cannot be bound (not root), TFTP is skipped with
 * a warning instead of stopping Enforcer; an explicitly set port that fails stops the start.
 */
export async function startTftp(
  settings: Readonly<Settings>,
  files: BootFiles,
  log: Logger,
  counters: TftpCounters,
): Promise<TftpServer | undefined> {
  if (!settings.tftp) return undefined;
  const port = settings.tftpPort ?? 69;
  try {
    return await startTftpServer({
      port,
      address: settings.listen,
      maxBlksize: settings.tftpMaxBlksize,
      maxWindowsize: settings.tftpMaxWindowsize,
      maxTransfers: settings.tftpMaxTransfers,
      timeoutMs: 1000,
      maxRetries: 5,
      read: (name, _client, mode) => readFile(files, name, mode),
      onTransfer: (s) => {
        counters.record(s);
        const quiet = s.outcome === "complete" || s.outcome === "aborted-after-oack";
        log[quiet ? "info" : "warn"](
          { tftp: { ...s, durationMs: Math.round(s.durationMs) } },
          `tftp ${s.outcome} ${s.file} to ${s.client.address}`,
        );
      },
      onBadPacket: (client, reason) => {
        counters.badPackets++;
        log.debug({ client, reason }, "tftp: bad packet");
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

async function readFile(files: BootFiles, name: Buffer, mode: string): Promise<ReadResult> {
  const f = await files.open(name);
  if (!f.ok) return f;
  if (mode !== "netascii") return { ok: true, source: { size: f.size, read: f.read, close: f.close } };
  if (f.size > NETASCII_LIMIT) {
    f.close();
    return {
      ok: false,
      code: 3,
      message: `netascii only for files up to ${NETASCII_LIMIT} bytes; use octet`,
    };
  }
  const data = await f.read(0, f.size);
  f.close();
  return { ok: true, source: bufferSource(toNetascii(data)) };
}
