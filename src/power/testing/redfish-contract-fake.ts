import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { createServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { certificate } from "./redfish-fake-cert.js";
import { loginRefused, patchBoot, sendReset, streamForever } from "./redfish-fake-actions.js";
import {
  ALL_RESET_TYPES,
  computerSystem,
  etagOf,
  redfishError,
  serviceRoot,
  sessionResource,
  systemCollection,
  type FakeSystem,
  type ResourceStyle,
} from "./redfish-fake-resources.js";

/**
 * A Redfish contract fake: an HTTPS server on 127.0.0.1 (a self-signed certificate made with openssl at
 * test time) that follows DMTF's Redfish schema for what the Redfish driver uses: the service root, the
 * Systems collection, ComputerSystem (PowerState, Boot override, the Reset action), POST Reset, PATCH
 * Boot (with ETag/If-Match), Basic auth and sessions (X-Auth-Token). No Redfish emulator runs here, hence
 * a fake; the vendor profiles are the differences vendors' docs describe.
 */
export interface RedfishFakeOptions {
  /** Where it listens: 127.0.0.1 (default) or ::1 (an `[IPv6]:port` address). */
  host: "127.0.0.1" | "::1";
  username: string;
  password: string;
  /** The ComputerSystem ids (default one, "1"). */
  systems: string[];
  /** The ResetTypes it accepts; any other is refused with 400 ActionParameterNotSupported. */
  resetTypes: readonly string[];
  /** Whether it lists `ResetType@Redfish.AllowableValues` (some BMCs do not). */
  listResetTypes: boolean;
  /** What it lists when it lists, if not `resetTypes` (a BMC whose list promises more than it takes). */
  listedResetTypes: readonly string[] | undefined;
  /** `BootSourceOverrideMode@Redfish.AllowableValues` (empty: not listed). */
  bootModes: readonly string[];
  /** Whether it offers a SessionService (else Basic auth only). */
  sessions: boolean;
  /** A PATCH without `If-Match` answers 428, with a stale one 412 (Lenovo XCC, AMI). */
  requireIfMatch: boolean;
  /** The power state systems start in. */
  powerState: "On" | "Off";
  /** Every answer waits this long (a slow BMC). */
  delayMs: number;
  /** Every answer is 200 with bytes that are not JSON (a BMC answering garbage). */
  garbage: boolean;
  /** The ComputerSystem answer is endless (a BMC that sends a huge body); counts what it sent. */
  hugeBody: boolean;
  /** Every URI without a trailing slash answers 308 to the one with it (iLO 5 before 1.40). */
  trailingSlashRedirect: boolean;
  /** GETs of the Systems collection answer 307 to this URL (a redirect to another host). */
  redirectTo: string | undefined;
  /** A careless BMC: a refused login's message repeats the user name, password and Authorization header. */
  echoCredentials: boolean;
}

/** Vendor profiles: differences that Redfish BMCs show (docs/power-redfish-notes.md). */
export const VENDOR_PROFILES = {
  /** Lists and takes every DMTF ResetType. */
  standard: {},
  /** Neither lists nor takes ForceRestart (iDRAC 9 did so for GracefulRestart; IBM's OpenBMC for ForceRestart). */
  noForceRestart: {
    resetTypes: ["On", "ForceOff", "GracefulShutdown", "GracefulRestart", "PowerCycle", "Nmi"],
  },
  /** Lists nothing; takes only On, ForceOff and GracefulShutdown: a cycle is ForceOff then On. */
  unlistedOffOn: { listResetTypes: false, resetTypes: ["On", "ForceOff", "GracefulShutdown"] },
  /** Several systems behind one BMC (a blade chassis manager). */
  severalSystems: { systems: ["1", "2", "Blade-3"] },
  /** A BMC that takes seconds to answer. */
  slow: { delayMs: 5000 },
  /** A BMC that answers garbage. */
  garbage: { garbage: true },
} satisfies Record<string, Partial<RedfishFakeOptions>>;

/** One request the fake received. */
export interface FakeRequest {
  method: string;
  path: string;
  auth: "basic" | "session" | "none";
  body: unknown;
}

/** A running fake. */
export interface RedfishFake {
  /** `127.0.0.1:<port>` or `[::1]:<port>`: a PowerTarget's address. */
  address: string;
  /** The certificate's SHA-256, 64 lowercase hex digits: a PowerTarget's tlsFingerprint. */
  fingerprint: string;
  systems: Map<string, FakeSystem>;
  requests: FakeRequest[];
  /** Sessions made and not deleted. */
  liveSessions(): number;
  /** Bytes of the endless answer written before the client went away. */
  hugeBytesSent(): number;
  close(): Promise<void>;
}

const DEFAULTS: RedfishFakeOptions = {
  host: "127.0.0.1",
  username: "admin",
  password: "contract-fake-password",
  systems: ["1"],
  resetTypes: ALL_RESET_TYPES,
  listResetTypes: true,
  listedResetTypes: undefined,
  bootModes: ["Legacy", "UEFI"],
  sessions: true,
  requireIfMatch: false,
  powerState: "On",
  delayMs: 0,
  garbage: false,
  hugeBody: false,
  trailingSlashRedirect: false,
  redirectTo: undefined,
  echoCredentials: false,
};

/** Starts a Redfish contract fake on 127.0.0.1 (an ephemeral port). */
export async function startRedfishFake(options: Partial<RedfishFakeOptions> = {}): Promise<RedfishFake> {
  const o = { ...DEFAULTS, ...options };
  const style: ResourceStyle = { ...o, resetTypes: o.listedResetTypes ?? o.resetTypes };
  const { key, cert, fingerprint } = certificate();
  const systems = new Map<string, FakeSystem>(
    o.systems.map((id) => [
      id,
      {
        id,
        powerState: o.powerState,
        boot: {
          BootSourceOverrideTarget: "None",
          BootSourceOverrideEnabled: "Disabled",
          BootSourceOverrideMode: "UEFI",
        },
        version: 1,
        resets: [],
      },
    ]),
  );
  const sessions = new Map<string, string>();
  const requests: FakeRequest[] = [];
  let huge = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer({ key, cert }, (req, res) => {
    void readBody(req).then(async (raw) => {
      let body: unknown;
      try {
        body = raw ? (JSON.parse(raw) as unknown) : undefined;
      } catch {
        body = raw;
      }
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const token = req.headers["x-auth-token"];
      const basic = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString("base64")}`;
      const auth =
        typeof token === "string" && sessions.has(token)
          ? "session"
          : req.headers.authorization === basic
            ? "basic"
            : "none";
      requests.push({ method: req.method ?? "", path, auth, body });
      // A close ends the wait (the timer is cleared and the answer never comes): tests end at once.
      if (o.delayMs > 0) await new Promise((r) => timers.add(setTimeout(r, o.delayMs)));
      if (res.destroyed) return;
      const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
        const text = json === undefined ? "" : JSON.stringify(json);
        res.writeHead(status, {
          ...(text ? { "content-type": "application/json" } : {}),
          "odata-version": "4.0",
          ...headers,
        });
        res.end(text);
      };
      if (o.garbage) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("\u0000\u001b[31mWelcome to BMC shell\r\n<html><body>500 oops</body></html>\u0007");
      }
      if (o.trailingSlashRedirect && !path.endsWith("/"))
        return send(308, undefined, { location: `${path}/` });
      const route = (r: string) => path.replace(/\/+$/, "") === r;
      if (route("/redfish/v1") && req.method === "GET") return send(200, serviceRoot(style));
      if (route("/redfish/v1/SessionService/Sessions") && req.method === "POST" && o.sessions) {
        const b = body as { UserName?: unknown; Password?: unknown } | undefined;
        if (b?.UserName !== o.username || b.Password !== o.password)
          return send(401, loginRefused(o, b, req));
        const id = randomBytes(8).toString("hex");
        const t = randomBytes(16).toString("hex");
        sessions.set(t, id);
        return send(201, sessionResource(id, o.username), {
          "x-auth-token": t,
          location: `/redfish/v1/SessionService/Sessions/${id}`,
        });
      }
      if (auth === "none")
        return send(401, loginRefused(o, undefined, req), { "www-authenticate": 'Basic realm="Redfish"' });
      const sessionMatch = /^\/redfish\/v1\/SessionService\/Sessions\/([^/]+)\/?$/.exec(path);
      if (sessionMatch && req.method === "DELETE") {
        for (const [t, id] of sessions) if (id === sessionMatch[1]) sessions.delete(t);
        return send(204);
      }
      if (route("/redfish/v1/Systems") && req.method === "GET") {
        if (o.redirectTo !== undefined) return send(307, undefined, { location: o.redirectTo });
        return send(200, systemCollection([...systems.values()]));
      }
      const m = /^\/redfish\/v1\/Systems\/([^/]+)(\/Actions\/ComputerSystem\.Reset)?\/?$/.exec(path);
      const system = m ? systems.get(decodeURIComponent(m[1] ?? "")) : undefined;
      if (!m || !system)
        return send(
          404,
          redfishError("ResourceMissingAtURI", `The resource at the URI ${path} was not found.`, [path]),
        );
      if (m[2] && req.method === "POST") return sendReset(system, body, o, send);
      if (m[2])
        return send(
          405,
          redfishError("OperationNotAllowed", "The HTTP method is not allowed on this resource."),
        );
      if (req.method === "GET") {
        if (o.hugeBody) return void streamForever(res, (n) => (huge += n));
        return send(200, computerSystem(system, style), { etag: etagOf(system) });
      }
      if (req.method === "PATCH") return patchBoot(system, body, req, o, send);
      return send(
        405,
        redfishError("OperationNotAllowed", "The HTTP method is not allowed on this resource."),
      );
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => server.listen(0, o.host, r));
  const port = (server.address() as { port: number }).port;
  return {
    address: o.host === "::1" ? `[::1]:${port}` : `127.0.0.1:${port}`,
    fingerprint,
    systems,
    requests,
    liveSessions: () => sessions.size,
    hugeBytesSent: () => huge,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Reads a request body, at most 64 kB (a fake, but not one a test can make grow without bound). */
async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65536) break;
  }
  return text;
}
