import type { Command } from "commander";
import { clientCommand, cliContext, resourceCommand, type CommonOptions } from "../context.js";
import { show } from "../output.js";

/** `enforcer tokens list|create|revoke` */
export function registerTokens(program: Command): void {
  const tokens = resourceCommand(program, "tokens", "API tokens, for admins (list, create, revoke)");
  clientCommand(tokens, "list", "list tokens (the default)", true).action(async (o: CommonOptions) => {
    const ctx = cliContext(o);
    const r = await ctx.client.tokens.list();
    show(ctx, r, r.items, ["id", "name", "role", "machine", "createdAt"]);
  });
  clientCommand(tokens, "create <NAME> <ROLE>", "a new token: roles viewer, operator, admin, agent")
    .option("--machine <mac>", "bind an agent token to this machine")
    .action(async (name: string, role: string, o: CommonOptions & { machine?: string }) => {
      const ctx = cliContext(o);
      const r = await ctx.client.tokens.create(name, role, o.machine);
      if (ctx.json) return show(ctx, r);
      ctx.out(`${r.token}\n`);
      ctx.err(`token ${String(r.id)} (${String(r.role)}): shown once, store it now\n`);
    });
  clientCommand(tokens, "revoke <ID>", "revoke a token").action(async (id: string, o: CommonOptions) => {
    const ctx = cliContext(o);
    await ctx.client.tokens.revoke(id);
    ctx.out(`revoked ${id}\n`);
  });
}
