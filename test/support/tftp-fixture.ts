import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BootFiles } from "../../src/files/boot-files.js";
import { TftpCounters } from "../../src/protocols/tftp/counters.js";
import { startTftpServer, type TftpServer, type TftpServerOptions } from "../../src/protocols/tftp/server.js";
import { netasciiSize, netasciiSource } from "../../src/protocols/tftp/netascii.js";
import type { TransferStats } from "../../src/protocols/tftp/transfer-runner.js";

/** sha256 of a buffer, hex. */
export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A TFTP root with random files of the given sizes (name -> bytes). */
export function tftpRoot(files: Record<string, number | Buffer>): {
  dir: string;
  data: Record<string, Buffer>;
} {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-tftp-"));
  const data: Record<string, Buffer> = {};
  for (const [name, content] of Object.entries(files)) {
    data[name] = typeof content === "number" ? randomBytes(content) : content;
    writeFileSync(join(dir, name), data[name]!);
  }
  return { dir, data };
}

/** Enforcer's TFTP server over a root, on a free loopback port, recording every transfer. */
export async function startTestTftp(
  root: string,
  over: Partial<TftpServerOptions> = {},
): Promise<{ server: TftpServer; transfers: TransferStats[]; counters: TftpCounters }> {
  const files = new BootFiles({
    root,
    generated: (n) => (n === "boot.ipxe" ? Buffer.from("#!ipxe\necho hi\n") : undefined),
  });
  const transfers: TransferStats[] = [];
  const counters = new TftpCounters();
  const server = await startTftpServer({
    port: 0,
    address: "127.0.0.1",
    maxBlksize: 1468,
    maxWindowsize: 64,
    maxTransfers: 64,
    timeoutMs: 1000,
    maxRetries: 5,
    read: async (name, _c, mode) => {
      const f = await files.open(name);
      if (!f.ok) return f;
      const source = { size: f.size, read: f.read, close: f.close };
      if (mode === "netascii")
        return { ok: true, source: netasciiSource(source, await netasciiSize(source)) };
      return { ok: true, source };
    },
    onTransfer: (s) => {
      transfers.push(s);
      counters.record(s);
    },
    ...over,
  });
  return { server, transfers, counters };
}
