// The framework floor the boot bench shows beside the bare one: a tiny Fastify server whose per-machine route
// looks the MAC up in a 10,000-entry Map and answers the same constant script (what the issue quotes).
import { readFileSync } from "node:fs";
import Fastify from "fastify";
import { benchMac } from "./seed.js";

const [port, scriptFile, count] = process.argv.slice(2) as [string, string, string];
const script = readFileSync(scriptFile, "utf8");
const known = new Map<string, number>();
for (let i = 0; i < Number(count); i++) known.set(benchMac(i), i);

const app = Fastify();
const send = (reply: { type(t: string): { send(s: string): unknown } }) =>
  reply.type("text/plain; charset=utf-8").send(script);
app.get("/boot.ipxe", async (_req, reply) => send(reply));
app.get<{ Querystring: { mac?: string } }>("/boot/machine", async (req, reply) => {
  // iPXE sends the hyphen form; the Map holds the colon form, as Enforcer's index does.
  const mac = (req.query.mac ?? "").toLowerCase().replaceAll("-", ":");
  return known.has(mac) ? send(reply) : reply.status(404).send("");
});
await app.listen({ port: Number(port), host: "127.0.0.1" });
process.stdout.write("ready\n");
