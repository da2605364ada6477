import { createServer, type Server } from "node:http";

/** How the mirror answers one path. */
export interface MirrorFile {
  body: Buffer;
  status?: number;
  /** Announce this Content-Length instead of the body's (a lying or truncating mirror). */
  length?: number;
  /** Send no Content-Length (chunked), so only the bytes tell the size. */
  chunked?: boolean;
  /** Send only this many bytes, then cut the connection. */
  cutAfter?: number;
  /** Wait this long before answering (so concurrent requests overlap). */
  delayMs?: number;
  /** "user:password" the request must carry as HTTP Basic auth (else a 401). */
  auth?: string;
  /** Headers added to the answer (a Content-Encoding the client did not ask for). */
  headers?: Record<string, string>;
}

/** A local HTTP server standing in for an upstream mirror: real sockets, real HTTP, counted requests. */
export interface Mirror {
  url: (path: string) => string;
  files: Map<string, MirrorFile>;
  /** GET requests per path, answered or not. */
  hits: (path: string) => number;
  close: () => Promise<void>;
}

/** Starts a mirror on 127.0.0.1 serving `files` (everything else is a 404). */
export async function startMirror(files: Record<string, MirrorFile> = {}): Promise<Mirror> {
  const map = new Map(Object.entries(files));
  const hits = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const f = map.get(path);
    const answer = () => {
      if (!f) return res.writeHead(404).end("not found");
      if (f.auth && req.headers.authorization !== `Basic ${Buffer.from(f.auth).toString("base64")}`)
        return res.writeHead(401).end("unauthorized");
      const headers: Record<string, string | number> = {
        "content-type": "application/octet-stream",
        ...f.headers,
      };
      if (!f.chunked) headers["content-length"] = f.length ?? f.body.length;
      res.writeHead(f.status ?? 200, headers);
      if (f.cutAfter !== undefined) {
        res.write(f.body.subarray(0, f.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      if (f.length !== undefined && f.length > f.body.length) {
        // Fewer bytes than announced, then the connection closes: a transfer that broke off.
        res.write(f.body, () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(f.body);
    };
    if (!f?.delayMs) return answer();
    const t = setTimeout(() => {
      timers.delete(t);
      answer();
    }, f.delayMs);
    timers.add(t);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    files: map,
    hits: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        timers.forEach(clearTimeout);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
