import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A local upstream mirror on loopback: serves fixed files and counts each path's requests. */
export interface BootMirror {
  /** Base URL, without a trailing slash. */
  base: string;
  /** GET requests per path (`/vmlinuz`), successful or not. */
  hits: Map<string, number>;
  stop: () => Promise<void>;
}

/**
 * Starts a node:http mirror serving `files` (path → content) on 127.0.0.1; anything else is a 404. It is
 * the upstream an Enforcer caches from, not a fake of Enforcer: a test stops it to be a rack without
 * internet.
 */
export async function startBootMirror(files: Record<string, Buffer | string>): Promise<BootMirror> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = files[path];
    if (body === undefined) return void res.writeHead(404).end("not found\n");
    res.writeHead(200, {
      "content-length": Buffer.byteLength(body),
      "content-type": "application/octet-stream",
    });
    res.end(body);
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    stop: () =>
      stopped
        ? Promise.resolve()
        : new Promise<void>((res) => {
            stopped = true;
            server.closeAllConnections();
            server.close(() => res());
          }),
  };
}
