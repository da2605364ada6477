import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AgentSessionService } from "../core/agent-sessions.js";
import type { TokenInfo, TokenService } from "../core/tokens.js";
import type { Mac } from "../domain/mac.js";
import { EnforcerError } from "../domain/errors.js";
import { roleAllows, type Role } from "../domain/token.js";
import { AddressLimiter } from "./address-limiter.js";

/** Per-route auth: `config: { role }`; a route without a role is open (only the OpenAPI document). */
export interface RouteAuth {
  role?: Role;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The least role a route needs; routes without one are open. */
    role?: Role;
  }
  interface FastifyRequest {
    /** The caller's token, once authenticated. */
    token?: TokenInfo;
    /** Set when the caller is a discovery image: the only machine it may speak for. */
    agentMac?: Mac;
    /** With agentMac: the machine the key was issued for (it speaks for no other). */
    agentMachine?: string;
  }
}

/** Failed authentications one address may make per minute before it gets 429s. */
const FAILURES_PER_MINUTE = 20;

/**
 * Bearer-token auth for the API: 401 without or with a bad token, 403 when the role is too low. Wrong tokens
 * are counted per address; past the limit they get 429, so tokens cannot be guessed at speed. A valid token
 * is always accepted, even from such an address: behind a NAT or a reverse proxy many people share one
 * address, and anyone there could otherwise lock the admin out by sending wrong tokens.
 */
export function registerAuth(
  app: FastifyInstance,
  tokens: TokenService,
  sessions: AgentSessionService,
): void {
  const failures = new AddressLimiter(FAILURES_PER_MINUTE);
  const fail = (req: FastifyRequest, err: EnforcerError): never => {
    if (failures.exceeded(req.ip)) {
      throw new EnforcerError(
        "ENF_ERR_AUTH_RATE_LIMITED",
        "too many failed authentications from this address; a valid token is still accepted",
      );
    }
    failures.hit(req.ip);
    throw err;
  };
  app.addHook("onRequest", async (req) => {
    const role = (req.routeOptions.config as RouteAuth | undefined)?.role;
    if (!role) return;
    const header = req.headers.authorization;
    // A missing token is not a guess: only wrong tokens count towards the limit.
    if (!header) throw new EnforcerError("ENF_ERR_AUTH_MISSING", "send Authorization: Bearer <token>");
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    // A discovery image's key: an agent that may speak only for its own machine.
    if (role === "agent" && m?.[1]?.startsWith("ens_")) {
      const session = sessions.verify(m[1]);
      if (!session)
        return fail(
          req,
          new EnforcerError("ENF_ERR_AUTH_INVALID", "the agent key is not valid or has expired"),
        );
      req.agentMac = session.mac;
      req.agentMachine = session.machine ?? session.mac;
      req.token = {
        id: "session",
        name: `discovery ${session.mac}`,
        role: "agent",
        createdAt: session.createdAt,
      };
      return;
    }
    const token = m ? tokens.verify(m[1]!) : undefined;
    if (!token) return fail(req, new EnforcerError("ENF_ERR_AUTH_INVALID", "the bearer token is not valid"));
    if (!roleAllows(token.role, role)) {
      throw new EnforcerError(
        "ENF_ERR_AUTH_FORBIDDEN",
        `a ${token.role} token cannot do this; it needs ${role}`,
        {
          role: token.role,
          needs: role,
        },
      );
    }
    req.token = token;
  });
  app.addHook("onClose", async () => failures.stop());
}
