import { ApiError } from "../client/api-client.js";
import type { CliContext } from "./context.js";

/** Exit codes: what a script can branch on. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  conflict: 5,
  unreachable: 6,
  /** Accepted but not delivered: a command stays queued because no agent or power control reaches its machine now. */
  queued: 7,
} as const;

/** What each exit code means, for the help text and docs/cli.md. */
export const EXIT_MEANINGS: Record<keyof typeof EXIT, [code: number, meaning: string]> = {
  ok: [EXIT.ok, "ok"],
  failure: [EXIT.failure, "failure"],
  usage: [EXIT.usage, "usage or invalid input"],
  auth: [EXIT.auth, "not authorised"],
  notFound: [EXIT.notFound, "not found"],
  conflict: [EXIT.conflict, "conflict"],
  unreachable: [EXIT.unreachable, "server unreachable"],
  queued: [EXIT.queued, "queued but no agent or power control reaches the machine (commands reboot)"],
};

/** A usage mistake: wrong subcommand, missing argument. */
export class UsageError extends Error {}

/** The exit code for an error, and the one line to print for it. */
export function describeError(err: unknown): { code: number; line: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, line: `enforcer: ${err.message}` };
  if (err instanceof ApiError) {
    const code =
      err.status === 0
        ? EXIT.unreachable
        : err.status === 401 || err.status === 403
          ? EXIT.auth
          : err.status === 404
            ? EXIT.notFound
            : err.status === 409
              ? EXIT.conflict
              : err.status >= 400 && err.status < 500 && err.status !== 429
                ? EXIT.usage
                : EXIT.failure; // 429 (a BMC's queue full, failed logins): no usage mistake, try again
    // The server's message can quote what a machine or an agent sent.
    return { code, line: `enforcer: ${printable(err.message)} [${printable(err.code)}]` };
  }
  return { code: EXIT.failure, line: `enforcer: ${(err as Error).message ?? String(err)}` };
}

/** Prints rows as a table, or as JSON with --json (or when there is no table to show). */
export function show(
  ctx: CliContext,
  data: unknown,
  rows?: Record<string, unknown>[],
  columns?: string[],
): void {
  if (ctx.json || !rows || !columns) ctx.out(`${JSON.stringify(data, null, ctx.json ? 0 : 2)}\n`);
  else ctx.out(table(rows, columns));
}

/** One field of a record view: its label and value (undefined leaves the line out). */
export type Field = [label: string, value: unknown];

/**
 * One record as aligned `label  value` lines, or with --json exactly what the API answered (scripts read
 * that, so the view never changes it).
 */
export function showFields(ctx: CliContext, data: unknown, fields: Field[]): void {
  if (ctx.json) return ctx.out(`${JSON.stringify(data)}\n`);
  const shown = fields.filter(([, v]) => v !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  ctx.out(shown.map(([label, v]) => `${label.padEnd(width)}  ${fieldText(v)}`.trimEnd()).join("\n") + "\n");
}

function fieldText(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? "-" : v.map((x) => cell(x)).join(" ");
  if (v !== null && typeof v === "object" && Object.keys(v).length === 0) return "-";
  return cell(v);
}

/** A plain text table: one header row, columns padded to their widest cell. */
function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return "(none)\n";
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join("\n") + "\n";
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return "-";
  if (typeof v === "object") {
    return (
      printable(
        Object.entries(v as Record<string, unknown>)
          .map(([k, x]) => `${k}=${String(x)}`)
          .join(","),
      ) || "-"
    );
  }
  return printable(String(v));
}

/**
 * Text from the server as a terminal shows it, never interprets it: control characters (C0, DEL, and C1,
 * whose U+009B is CSI in terminals that read UTF-8 C1) become "?", and so do the bidirectional controls and
 * line separators: a fact holding U+202E showed the rest of its table row reversed.
 */
export function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, "?");
}
