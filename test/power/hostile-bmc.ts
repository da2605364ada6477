import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { certificate } from "../../src/power/testing/redfish-fake-cert.js";

/** One request a hostile BMC received, with its headers (to see where credentials went). */
export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  token?: string;
  body: string;
}

/** A scriptable HTTPS server on 127.0.0.1 with a self-signed certificate: a Redfish BMC gone bad. */
export interface HostileBmc {
  address: string;
  fingerprint: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a hostile BMC whose every answer `handle` writes (after the request body is read). */
export async function startHostileBmc(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<HostileBmc> {
  const { key, cert, fingerprint } = certificate();
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const token = req.headers["x-auth-token"];
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...(typeof token === "string" ? { token } : {}),
        body,
      });
      handle(req, res, body);
    });
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    fingerprint,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Writes `json` with a status. */
export function answer(
  res: ServerResponse,
  status: number,
  json: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

/** A service root with a Systems link and, when given, a session collection link. */
export function serviceRoot(sessions?: string): unknown {
  return {
    "@odata.id": "/redfish/v1/",
    Systems: { "@odata.id": "/redfish/v1/Systems" },
    ...(sessions ? { Links: { Sessions: { "@odata.id": sessions } } } : {}),
  };
}

/** A Systems collection with these member URIs. */
export function systems(...uris: string[]): unknown {
  return { Members: uris.map((u) => ({ "@odata.id": u })) };
}

/** A ComputerSystem whose Reset action posts to `target`. */
export function computerSystem(target: string, state = "On"): unknown {
  return {
    "@odata.id": "/redfish/v1/Systems/1",
    Id: "1",
    PowerState: state,
    Actions: {
      "#ComputerSystem.Reset": {
        target,
        "ResetType@Redfish.AllowableValues": ["On", "ForceOff", "ForceRestart"],
      },
    },
  };
}
