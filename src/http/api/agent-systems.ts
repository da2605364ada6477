import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";

/** The agent systems and the machines each reaches. */
export function registerAgentSystemRoutes(app: FastifyInstance, core: Core): void {
  app.get(
    "/agents",
    {
      schema: { tags: ["agents"], summary: "Agent systems and the machines each reaches" },
      config: { role: "viewer" },
    },
    async () => ({
      items: core.agents.list(),
    }),
  );
}
