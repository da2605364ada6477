import type { Conflict } from "../../client/api-client.js";
import type { Command } from "commander";
import { clientCommand, cliContext, resourceCommand, type CommonOptions } from "../context.js";
import { show, showFields, UsageError } from "../output.js";
import { conflictFields } from "../record-views.js";

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

/** `enforcer conflicts list|show|resolve` */
export function registerConflicts(program: Command): void {
  const conflicts = resourceCommand(
    program,
    "conflicts",
    "identity conflicts: two machines claim one MAC, UUID or serial (list, show, resolve)",
  );
  clientCommand(conflicts, "list", "list open conflicts (the default)", true)
    .option("--machine <mac>", "only this machine's")
    .option("--state <state>", "open, merged or dismissed (default open)")
    .option("--all", "every conflict, resolved ones too")
    .action(async (o: CommonOptions & { machine?: string; state?: "open"; all?: boolean }) => {
      const ctx = cliContext(o);
      const r = await ctx.client.conflicts.list({
        state: o.all ? "all" : (o.state ?? "open"),
        machine: o.machine,
      });
      show(ctx, r, r.items.map(row), [
        "id",
        "machine",
        "other",
        "identities",
        "credential",
        "state",
        "createdAt",
      ]);
    });
  clientCommand(conflicts, "show <ID>", "one conflict").action(async (id: string, o: CommonOptions) => {
    const ctx = cliContext(o);
    const c = await ctx.client.conflicts.get(id);
    showFields(ctx, c, conflictFields(c as unknown as Record<string, unknown>));
  });
  clientCommand(conflicts, "resolve <ID>", "merge the two machines, or dismiss: they stay separate")
    .option("--merge", "the machine is the other one: merge them")
    .option("--dismiss", "they are two machines: keep them apart")
    .action(async (id: string, o: CommonOptions & { merge?: boolean; dismiss?: boolean }) => {
      const ctx = cliContext(o);
      if (!o.merge === !o.dismiss)
        throw new UsageError("conflicts resolve ID needs exactly one of --merge or --dismiss");
      const r = await ctx.client.conflicts.resolve(id, o.merge ? "merge" : "dismiss");
      if (ctx.json) return show(ctx, r);
      ctx.out(
        r.state === "merged"
          ? `merged: ${r.machine} is now part of ${r.other}\n`
          : `dismissed: ${r.machine} and ${r.other} stay separate machines\n`,
      );
    });
}
