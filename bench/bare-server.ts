// The baseline peer: a bare node:http server that answers every request with one constant iPXE script.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [port, scriptFile] = process.argv.slice(2) as [string, string];
const script = readFileSync(scriptFile, "utf8");
createServer((_req, res) =>
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(script),
).listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
