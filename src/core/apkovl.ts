import { gzipSync } from "node:zlib";
import tar, { type Header } from "tar-stream";

/** The file name under which an alpine config serves its overlay. */
export const APKOVL_NAME = "enforcer.apkovl.tar.gz";

/**
 * Packs the provisioning script as an Alpine overlay (apkovl): a `local.d` start script, the `local`
 * service in the default runlevel, and `.default_boot_services` so Alpine's init still enables its usual
 * boot services next to the overlay's.
 */
export async function buildApkovl(script: string): Promise<Buffer> {
  const pack = tar.pack();
  const mtime = new Date(0);
  const entries: [Partial<Header> & { name: string }, string?][] = [
    [{ name: "etc/.default_boot_services", mode: 0o644, mtime }, ""],
    [{ name: "etc/local.d/enforcer.start", mode: 0o755, mtime }, script],
    [{ name: "etc/runlevels/default/local", type: "symlink", linkname: "/etc/init.d/local", mtime }],
  ];
  for (const [header, body] of entries) {
    await new Promise<void>((res, rej) => pack.entry(header, body ?? "", (err) => (err ? rej(err) : res())));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
