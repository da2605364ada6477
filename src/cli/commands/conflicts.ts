import type { Conflict } from "../../client/api-client.js";
import { arg, type CliContext } from "../context.js";
import { UsageError } from "../output.js";
import { show } from "./resources.js";

/** A conflict as one table row: the clashing identities in words. */
function row(c: Conflict): Record<string, unknown> {
  return {
    id: c.id,
    machine: c.machine,
    other: c.other,
    identities: c.identities.map((i) => `${i.kind} ${i.value}`).join(", "),
    credential: c.credential,
    state: c.state,
    createdAt: c.createdAt,
  };
}

/** `enforcer conflicts [list|show ID|resolve ID --merge|--dismiss]` */
export async function conflicts(ctx: CliContext): Promise<void> {
  const c = ctx.client.conflicts;
  const [verb = "list"] = ctx.args;
  switch (verb) {
    case "list": {
      const state = ctx.flags.all ? "all" : ((ctx.flags.state as "open" | undefined) ?? "open");
      const r = await c.list({ state, machine: ctx.flags.machine as string | undefined });
      return show(ctx, r, r.items.map(row), [
        "id",
        "machine",
        "other",
        "identities",
        "credential",
        "state",
        "createdAt",
      ]);
    }
    case "show":
      return show(ctx, await c.get(arg(ctx, 1, "ID")));
    case "resolve": {
      const id = arg(ctx, 1, "ID");
      if (!ctx.flags.merge === !ctx.flags.dismiss)
        throw new UsageError("conflicts resolve ID needs exactly one of --merge or --dismiss");
      const r = await c.resolve(id, ctx.flags.merge ? "merge" : "dismiss");
      if (ctx.json) return show(ctx, r);
      return ctx.out(
        r.state === "merged"
          ? `merged: ${r.machine} is now part of ${r.other}\n`
          : `dismissed: ${r.machine} and ${r.other} stay separate machines\n`,
      );
    }
    default:
      throw new UsageError(
        `conflicts: unknown action "${verb}" (list [--machine MAC] [--all], show ID, resolve ID --merge|--dismiss)`,
      );
  }
}
