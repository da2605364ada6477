import type { Command } from "commander";
import { clientCommand, cliContext, resourceCommand, type CommonOptions } from "../context.js";
import { show } from "../output.js";

/** `enforcer dhcp leases` */
export function registerDhcp(program: Command): void {
  const dhcp = resourceCommand(program, "dhcp", "DHCP (--dhcp server): leases");
  clientCommand(dhcp, "leases", "list the leases, active and expired (the default)", true).action(
    async (o: CommonOptions) => {
      const ctx = cliContext(o);
      const r = await ctx.client.dhcp.leases();
      show(ctx, r, r.items, ["address", "mac", "state", "expiresAt", "hostname", "reserved"]);
    },
  );
}
