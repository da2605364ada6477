import type { BootFiles } from "../files/boot-files.js";
import { netasciiSize, netasciiSource } from "../protocols/tftp/netascii.js";
import { TFTP_ERROR } from "../protocols/tftp/packet.js";
import type { ReadResult } from "../protocols/tftp/source.js";

/** Netascii sizes of recent file versions: a repeated request (the PXE size probe, then the read) counts once. */
const NETASCII_SIZES = 256;

/** Answers a TFTP read request from the boot file namespace; `signal` aborts when the request loses its slot. */
export type BootFileReader = (name: Buffer, mode: string, signal: AbortSignal) => Promise<ReadResult>;

/**
 * The TFTP read handler over the boot files. netascii is converted while it is sent (bounded memory per
 * transfer); its size is measured first by a streaming pass, so `tsize` stays honest, and remembered per
 * file version. Concurrent requests for one version share one pass over a handle of its own: a flood of
 * first requests for a large file each counted it again, and kept counting after losing its slot.
 */
export function bootFileReader(files: Pick<BootFiles, "open">): BootFileReader {
  const sizes = new Map<string, number>();
  const counting = new Map<string, Promise<number>>();

  const measure = (name: Buffer, version: string): Promise<number> => {
    const busy = counting.get(version);
    if (busy) return busy;
    const pass = (async () => {
      // Its own handle: the request that started the pass may lose its slot and close its file meanwhile.
      const own = await files.open(name);
      if (!own.ok) throw new Error(own.message);
      try {
        if (own.version !== version) throw new Error("the file changed while its size was measured");
        return await netasciiSize({ size: own.size, read: own.read });
      } finally {
        own.close();
      }
    })();
    counting.set(version, pass);
    pass
      .then((size) => {
        sizes.set(version, size);
        for (const key of sizes.keys()) {
          if (sizes.size <= NETASCII_SIZES) break;
          sizes.delete(key);
        }
      })
      .catch(() => {}) // every waiter gets the failure itself
      .finally(() => counting.delete(version));
    return pass;
  };

  return async (name, mode, signal) => {
    const f = await files.open(name);
    if (!f.ok) return f;
    const source = { size: f.size, read: f.read, close: f.close };
    if (mode !== "netascii") return { ok: true, source };
    try {
      const size = sizes.get(f.version) ?? (await untilAborted(measure(name, f.version), signal));
      if (size === undefined) {
        f.close();
        return {
          ok: false,
          code: TFTP_ERROR.NOT_DEFINED,
          message: "server busy: this request lost its slot",
        };
      }
      return { ok: true, source: netasciiSource(source, size) };
    } catch (err) {
      f.close();
      throw err;
    }
  };
}

/** `p`'s value, or undefined as soon as `signal` aborts (`p` goes on for whoever else waits on it). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
