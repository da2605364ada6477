import Fastify, { LogController, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Core } from "../core/enforcer.js";
import { registerApiRoutes } from "./api-routes.js";
import type { BootFiles } from "../files/boot-files.js";
import { registerBootRoutes } from "./boot-routes.js";
import { registerFileRoutes } from "./file-routes.js";
import { handleError, handleNotFound } from "./errors.js";
import { validatorCompiler } from "./validators.js";

/** Options for the HTTP server. */
export interface HttpOptions {
  logger?: Logger | false;
  /** The boot file namespace served under /tftp/ (absent: no file routes). */
  files?: BootFiles;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
}

/** Builds the Fastify app: boot routes at the root, the API under /api/v1, one error shape everywhere. */
export function buildHttpServer(core: Core, opts: HttpOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger || undefined,
    logger: opts.logger === false ? false : undefined,
    bodyLimit: opts.bodyLimit ?? 512 * 1024,
    // Boot storms would flood the log; the routes log what matters themselves.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 200 },
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  registerBootRoutes(app, core);
  if (opts.files) registerFileRoutes(app, opts.files);
  void app.register(async (api) => registerApiRoutes(api, core), { prefix: "/api/v1" });
  return app;
}
