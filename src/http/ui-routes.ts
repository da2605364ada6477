import fastifyStatic from "@fastify/static";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** Where `npm run build` puts the web app: dist/ui, next to dist/src. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));

/**
 * The web app is a separate client of the API; the server only hands out its static files. The policy
 * allows nothing but our own files and API, so a hostile fact or hostname rendered by mistake cannot run.
 */
const UI_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Revalidated each load (a 304 is tiny), so an upgraded server never runs an old app.
  "cache-control": "no-cache",
};

/** True when `npm run build` has put the web app in `dir`. */
export function uiBuilt(dir: string): boolean {
  return existsSync(`${dir}/index.html`);
}

/** Serves the built web app under /ui/ (gzip-precompressed files when the browser takes them). */
export function registerUiRoutes(app: FastifyInstance, dir: string): void {
  void app.register(fastifyStatic, {
    root: dir,
    prefix: "/ui/",
    preCompressed: true,
    cacheControl: false,
    index: ["index.html"],
    setHeaders: (res) => {
      for (const [k, v] of Object.entries(UI_HEADERS)) res.setHeader(k, v);
    },
  });
  app.get("/ui", { schema: { hide: true } }, async (_req, reply) => reply.redirect("/ui/", 308));
  // A person who types the server's address lands in the app.
  app.get("/", { schema: { hide: true } }, async (_req, reply) => reply.redirect("/ui/", 302));
}
