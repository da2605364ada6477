import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename } from "node:path";

/** A plain HTTP server for test files (kernel, initrd), standing in for an OS mirror. */
export async function serveFiles(
  files: string[],
): Promise<{ port: number; close: () => Promise<void>; server: Server }> {
  const byName = new Map(files.map((f) => [basename(f), f]));
  const server = createServer((req, res) => {
    const path = byName.get(basename((req.url ?? "").split("?")[0] ?? ""));
    if (!path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-length": statSync(path).size, "content-type": "application/octet-stream" });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { port, server, close: () => new Promise((r) => server.close(() => r())) };
}
