import { createServer, type IncomingMessage, type Server } from "node:http";

/** A member of the fake datacenter: its node meta and inventory, and whether its watch handler answers. */
export interface FakeNode {
  name: string;
  meta: Record<string, string>;
  inventory?: unknown;
  alive?: boolean;
  answers?: boolean;
}

/**
 * A CONTRACT FAKE of Consul's HTTP API: Consul is not packaged for Debian and cannot be installed here.
 * It implements only what Enforcer uses, as documented (protocols.md §2): `GET /v1/catalog/nodes`,
 * `GET /v1/agent/members` (integer Status), KV `GET ?raw` (404 when missing) and `PUT ?cas=0` (answers
 * `true`/`false`), `PUT /v1/event/fire/<name>?node=<regex>`, and `X-Consul-Token` checking. A node's
 * "watch handler" is simulated: on the event it deletes its command key and writes `ok <node>` as the ack.
 */
export async function startConsulContractFake(nodes: FakeNode[], token?: string) {
  const kv = new Map<string, string>();
  for (const n of nodes)
    if (n.inventory !== undefined) kv.set(`enforcer/inventory/${n.name}`, JSON.stringify(n.inventory));
  const events: { name: string; node: string; payload: string }[] = [];
  const body = (req: IncomingMessage) =>
    new Promise<string>((res) => {
      let b = "";
      req.on("data", (d: Buffer) => (b += d.toString()));
      req.on("end", () => res(b));
    });
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "x-consul-index": "1" });
      res.end(typeof data === "string" ? data : JSON.stringify(data));
    };
    if (token && req.headers["x-consul-token"] !== token) return send(403, "ACL not found");
    const path = url.pathname;
    if (req.method === "GET" && path === "/v1/catalog/nodes") {
      return send(
        200,
        nodes.map((n) => ({
          ID: n.name,
          Node: n.name,
          Address: "10.0.0.1",
          Datacenter: "dc1",
          Meta: n.meta,
        })),
      );
    }
    if (req.method === "GET" && path === "/v1/agent/members") {
      return send(
        200,
        nodes.map((n) => ({ Name: n.name, Addr: "10.0.0.1", Port: 8301, Status: n.alive === false ? 4 : 1 })),
      );
    }
    if (path.startsWith("/v1/kv/")) {
      const key = decodeURIComponent(path.slice("/v1/kv/".length));
      if (req.method === "GET") {
        const v = kv.get(key);
        if (v === undefined) return send(404, "");
        return url.searchParams.has("raw")
          ? send(200, v)
          : send(200, [{ Key: key, Value: Buffer.from(v).toString("base64") }]);
      }
      if (req.method === "PUT") {
        const value = await body(req);
        if (url.searchParams.get("cas") === "0" && kv.has(key)) return send(200, "false");
        kv.set(key, value);
        return send(200, "true");
      }
    }
    if (req.method === "PUT" && path.startsWith("/v1/event/fire/")) {
      const name = path.slice("/v1/event/fire/".length);
      const filter = new RegExp(url.searchParams.get("node") ?? ".*");
      const payload = await body(req);
      for (const n of nodes.filter((x) => filter.test(x.name))) {
        events.push({ name, node: n.name, payload });
        const cmdKey = `enforcer/commands/${n.name}/${payload}`;
        if (n.answers !== false && kv.has(cmdKey)) {
          kv.delete(cmdKey);
          setTimeout(() => kv.set(`enforcer/acks/${payload}`, `ok ${n.name}`), 100);
        }
      }
      return send(200, {
        ID: crypto.randomUUID(),
        Name: name,
        Payload: Buffer.from(payload).toString("base64"),
        Version: 1,
        LTime: events.length,
      });
    }
    send(404, "unsupported by the contract fake");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    kv,
    events,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
