import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import { checkDiscoveryUrl } from "../../domain/boot-script-checks.js";
import { DiscoveryBody, RemotesBody } from "./schemas.js";

/** Settings that change at run time: discovery and the remote instances. */
export function registerSettingsRoutes(app: FastifyInstance, core: Core): void {
  const set = ["settings"];
  const discovery = () => ({ enabled: core.settings.discovery, url: core.settings.discoveryUrl ?? null });
  app.get(
    "/discovery",
    { schema: { tags: set, summary: "Discovery state" }, config: { role: "viewer" } },
    async () => discovery(),
  );
  app.put<{ Body: Static<typeof DiscoveryBody> }>(
    "/discovery",
    {
      schema: { tags: set, summary: "Turn discovery on or off", body: DiscoveryBody },
      config: { role: "operator" },
    },
    async (req) => {
      if (req.body.url !== undefined) checkDiscoveryUrl(req.body.url);
      await core.runtime.update(
        req.body.url
          ? { discovery: req.body.enabled, discoveryUrl: req.body.url }
          : { discovery: req.body.enabled },
      );
      return discovery();
    },
  );
  app.get(
    "/remotes",
    { schema: { tags: set, summary: "Remote Enforcer instances" }, config: { role: "viewer" } },
    async () => ({
      remotes: core.settings.remotes,
    }),
  );
  app.put<{ Body: Static<typeof RemotesBody> }>(
    "/remotes",
    {
      schema: { tags: set, summary: "Set the remote instances, in order", body: RemotesBody },
      config: { role: "operator" },
    },
    async (req) => {
      core.boot.checkRemotes(req.body.remotes);
      await core.runtime.update({ remotes: req.body.remotes.map((r) => r.replace(/\/+$/, "")) });
      return { remotes: core.settings.remotes };
    },
  );
}
