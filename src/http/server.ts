import compress from "@fastify/compress";
import swagger from "@fastify/swagger";
import Fastify, { LogController, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Core } from "../core/create-core.js";
import type { BootFiles } from "../files/boot-files.js";
import { registerAgentSystemRoutes } from "./api/agent-systems.js";
import { registerAssetApiRoutes } from "./api/assets.js";
import { registerCommandRoutes } from "./api/commands.js";
import { registerAgentRoutes } from "./api/agent.js";
import { registerConfigRoutes } from "./api/configs.js";
import { registerConflictRoutes } from "./api/conflicts.js";
import { registerDhcpRoutes } from "./api/dhcp.js";
import { registerEventRoutes } from "./api/events.js";
import { registerMachineRoutes } from "./api/machines.js";
import { registerPowerRoutes } from "./api/power.js";
import { registerProfileRoutes } from "./api/profiles.js";
import { registerSettingsRoutes } from "./api/settings.js";
import { registerStatusRoutes } from "./api/status.js";
import { registerTokenRoutes } from "./api/tokens.js";
import { registerTimelineRoutes } from "./api/timeline.js";
import { registerAuth } from "./auth.js";
import { registerBootRoutes } from "./boot/boot-routes.js";
import { DEFAULT_CONNECTION_LIMITS, guardConnections, type ConnectionLimits } from "./connection-guard.js";
import { handleClientError, handleError, handleFrameworkError, handleNotFound } from "./errors.js";
import { registerFileRoutes } from "./boot/file-routes.js";
import { registerAssetRoutes } from "./boot/asset-routes.js";
import { lazyChildLogger } from "./lazy-logger.js";
import { registerMetricsRoute, type Metrics } from "./metrics.js";
import { registerUiRoutes } from "./ui-routes.js";
import { validatorCompiler } from "./validators.js";

/** Options for the HTTP server. */
export interface HttpOptions {
  logger?: Logger | false;
  /** The boot file namespace served under /tftp/ (absent: no file routes). */
  files?: BootFiles;
  /** Metrics for /metrics (absent: no metrics route). */
  metrics?: Metrics;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** Requests per minute one address may make to the open boot endpoints. */
  bootRateLimit?: number;
  /** The built web app served under /ui/ (absent: no UI). */
  uiDir?: string;
  /** Open connections allowed in all and per address (see connection-guard.ts). */
  connections?: Partial<ConnectionLimits>;
}

/**
 * A request must arrive whole within this time (a trickled body held a connection for ever before); long
 * polls and the event stream are not affected: the clock stops once the request is in.
 */
const REQUEST_TIMEOUT_MS = 60_000;
/** An idle keep-alive connection is closed after this: idle connections are what a flood is made of. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
/**
 * A connection with no traffic either way for this long is closed: a client that never reads a `/tftp/`
 * download held its socket and file open for ever. Long polls (60 s at most) and the event stream (a
 * keepalive every 15 s) stay well inside it.
 */
const IDLE_TIMEOUT_MS = 120_000;

/** The OpenAPI document's fixed part; paths come from the route schemas. */
const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "Enforcer API",
    version: "1",
    description: "Network boot and provisioning server for iPXE.",
  },
  servers: [{ url: "/" }],
  components: { securitySchemes: { bearer: { type: "http" as const, scheme: "bearer" } } },
  security: [{ bearer: [] }],
};

/**
 * Builds the Fastify app: open boot routes at the root (rate-limited per address), the token-protected API
 * under /api/v1 with its OpenAPI document, /metrics, and one error shape everywhere.
 */
export function buildHttpServer(core: Core, opts: HttpOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger || undefined,
    logger: opts.logger === false ? false : undefined,
    bodyLimit: opts.bodyLimit ?? 512 * 1024,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: IDLE_TIMEOUT_MS,
    // Boot storms would flood the log; the routes log what matters themselves.
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's child logger is made when it first writes a line: most boot requests write none.
    childLoggerFactory: lazyChildLogger,
    routerOptions: { maxParamLength: 200 },
    // The router's and the HTTP parser's own refusals (bad URL, 414, 431, broken requests) get the same
    // coded body as every other error, not Fastify's shape.
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
  }) as unknown as FastifyInstance;
  guardConnections(app.server, { ...DEFAULT_CONNECTION_LIMITS, ...opts.connections });
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  void app.register(swagger, { openapi: OPENAPI });
  registerAuth(app, core.tokens, core.sessions);
  // The open routes share one rate limit per address; their own plugin keeps it off the API.
  void app.register(async (open) => {
    registerBootRoutes(open, core, { rateLimit: opts.bootRateLimit ?? 1200, metrics: opts.metrics });
    if (opts.files) registerFileRoutes(open, opts.files);
    registerAssetRoutes(open, core.assets);
  });
  if (opts.metrics) registerMetricsRoute(app, opts.metrics);
  if (opts.uiDir) registerUiRoutes(app, opts.uiDir);
  void app.register(
    async (api) => {
      // JSON lists are large and repetitive (a page of 200 machines is ~100 KB, ~10 KB gzipped): a slow link
      // to a Pi feels that. gzip only, which costs a Pi little; the event stream is hijacked and not touched.
      await api.register(compress, { encodings: ["gzip"], threshold: 1024 });
      registerStatusRoutes(api, core);
      registerMachineRoutes(api, core);
      registerTimelineRoutes(api, core);
      registerProfileRoutes(api, core);
      registerConfigRoutes(api, core);
      registerCommandRoutes(api, core);
      registerPowerRoutes(api, core);
      registerSettingsRoutes(api, core);
      registerAgentSystemRoutes(api, core);
      registerTokenRoutes(api, core);
      registerEventRoutes(api, core);
      registerAgentRoutes(api, core);
      registerConflictRoutes(api, core);
      registerDhcpRoutes(api, core);
      registerAssetApiRoutes(api, core.assetCatalog);
      api.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: "/api/v1" },
  );
  return app;
}
