import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";

/** DHCP: the leases of `--dhcp server` (stored leases, active and expired; empty in other modes). */
export function registerDhcpRoutes(app: FastifyInstance, core: Core): void {
  app.get(
    "/dhcp/leases",
    {
      schema: { tags: ["dhcp"], summary: "DHCP leases (--dhcp server): address, MAC, expiry, state" },
      config: { role: "viewer" },
    },
    async () => ({ items: core.dhcpLeases.list() }),
  );
}
