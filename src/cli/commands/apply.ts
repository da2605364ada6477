import { stringify as toYaml } from "yaml";
import { ApiError } from "../../client/api-client.js";
import type { Command } from "commander";
import { clientCommand, cliContext, readDocument, type CliContext, type CommonOptions } from "../context.js";
import { UsageError } from "../output.js";

type Row = Record<string, unknown>;

/** The declarative document: what `apply` reads and `export` writes. */
interface Desired {
  profiles?: Row[];
  remotes?: string[];
  discovery?: { enabled: boolean; url?: string };
  machines?: { mac: string; hostname?: string; labels?: Record<string, string> }[];
}

interface Step {
  line: string;
  run: () => Promise<unknown>;
}

const PROFILE_TIMES = new Set(["createdAt", "updatedAt"]);

/**
 * `enforcer apply -f FILE [--dry-run]`: compares the file with the server, prints the difference, then
 * makes only those changes. Running it twice changes nothing the second time. Things the file does not
 * mention are left alone.
 */
async function apply(ctx: CliContext, file: string | undefined, dryRun: boolean): Promise<void> {
  const doc = readDocument(file) as Desired | null;
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new UsageError("the file must hold a mapping");
  const known = new Set(["profiles", "remotes", "discovery", "machines"]);
  for (const k of Object.keys(doc))
    if (!known.has(k))
      throw new UsageError(`unknown section "${k}" (profiles, remotes, discovery, machines)`);
  const steps = await plan(ctx, doc);
  const changes = steps.filter((s) => !s.line.startsWith("="));
  for (const s of steps) ctx.out(`${s.line}\n`);
  if (changes.length === 0) return ctx.out("no changes\n");
  if (dryRun) return ctx.out(`${changes.length} change(s) not applied (--dry-run)\n`);
  for (const s of changes) await s.run();
  ctx.out(`applied ${changes.length} change(s)\n`);
}

async function plan(ctx: CliContext, doc: Desired): Promise<Step[]> {
  const c = ctx.client;
  const steps: Step[] = [];
  const existing = new Map((await c.profiles.list()).items.map((p) => [String(p.name), p]));
  for (const want of doc.profiles ?? []) {
    const name = String(want.name);
    const have = existing.get(name);
    if (!have) {
      steps.push({ line: `+ profile ${name}`, run: () => c.profiles.create(want) });
      continue;
    }
    const fields = [...new Set([...Object.keys(want), ...Object.keys(have)])].filter(
      (k) => !PROFILE_TIMES.has(k) && JSON.stringify(want[k]) !== JSON.stringify(have[k]),
    );
    steps.push(
      fields.length === 0
        ? { line: `= profile ${name}`, run: async () => {} }
        : { line: `~ profile ${name}: ${fields.join(", ")}`, run: () => c.profiles.replace(name, want) },
    );
  }
  if (doc.remotes) {
    const have = (await c.settings.remotes()).remotes;
    const want = doc.remotes.map((r) => r.replace(/\/+$/, ""));
    steps.push(
      JSON.stringify(have) === JSON.stringify(want)
        ? { line: "= remotes", run: async () => {} }
        : {
            line: `~ remotes: [${have.join(", ")}] -> [${want.join(", ")}]`,
            run: () => c.settings.setRemotes(want),
          },
    );
  }
  if (doc.discovery) {
    const have = await c.settings.discovery();
    const want = doc.discovery;
    const same = have.enabled === want.enabled && (want.url === undefined || want.url === have.url);
    steps.push(
      same
        ? { line: "= discovery", run: async () => {} }
        : {
            line: `~ discovery: ${have.enabled ? "on" : "off"} -> ${want.enabled ? "on" : "off"}`,
            run: () => c.settings.setDiscovery(want.enabled, want.url),
          },
    );
  }
  for (const m of doc.machines ?? []) {
    const have = await c.machines.get(m.mac).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    });
    if (!have) {
      steps.push({ line: `+ machine ${m.mac}`, run: () => c.machines.register(m) });
      continue;
    }
    const diff: string[] = [];
    if (m.hostname !== undefined && m.hostname.toLowerCase() !== have.hostname) diff.push("hostname");
    if (
      m.labels !== undefined &&
      JSON.stringify(sorted(m.labels)) !== JSON.stringify(sorted(have.labels as Row))
    )
      diff.push("labels");
    steps.push(
      diff.length === 0
        ? { line: `= machine ${have.id}`, run: async () => {} }
        : {
            line: `~ machine ${have.id}: ${diff.join(", ")}`,
            run: () => c.machines.update(m.mac, { hostname: m.hostname, labels: m.labels }),
          },
    );
  }
  return steps;
}

function sorted(o: Row | undefined): Row {
  return Object.fromEntries(Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * `enforcer export`: the server's profiles, remotes, discovery and the machines an operator registered,
 * named or labelled, as YAML. Machines that only booted or were reported by an agent are state, not setup:
 * left out unless `all`, and counted on stderr so the file is never silently short.
 */
async function exportSetup(ctx: CliContext, all: boolean): Promise<void> {
  const c = ctx.client;
  const profiles = (await c.profiles.list()).items.map((p) =>
    Object.fromEntries(Object.entries(p).filter(([k]) => !PROFILE_TIMES.has(k))),
  );
  const machines: Desired["machines"] = [];
  let left = 0;
  for (let offset = 0; ; offset += 1000) {
    const page = await c.machines.list({ limit: 1000, offset });
    for (const m of page.items) {
      const labels = m.labels as Record<string, string>;
      if (all || m.origin === "operator" || m.hostname || Object.keys(labels).length > 0) {
        machines.push({
          mac: String(m.id),
          ...(m.hostname ? { hostname: String(m.hostname) } : {}),
          ...(Object.keys(labels).length ? { labels } : {}),
        });
      } else left++;
    }
    if (offset + page.items.length >= page.total) break;
  }
  const d = await c.settings.discovery();
  const doc: Desired = {
    profiles,
    remotes: (await c.settings.remotes()).remotes,
    discovery: d.url ? { enabled: d.enabled, url: d.url } : { enabled: d.enabled },
    machines,
  };
  // yaml folds a text with a line over 80 characters (a password hash, a URL) into `>` with a blank line
  // between every two lines: kept in git, each diff is unreadable. `|` keeps the lines as the profile has them.
  ctx.out(
    ctx.json ? `${JSON.stringify(doc, null, 2)}\n` : toYaml(doc, { blockQuote: "literal", lineWidth: 0 }),
  );
  if (left > 0)
    ctx.err(
      `export: left out ${left} machine(s) nobody registered, named or labelled (they booted or an agent ` +
        `reported them); --all includes them\n`,
    );
}

/** `enforcer apply -f FILE [--dry-run]` and `enforcer export`. */
export function registerApply(program: Command): void {
  clientCommand(
    program,
    "apply",
    "make the server match a YAML/JSON file (profiles, remotes, discovery, machines)",
  )
    .option("-f, --file <file>", "the file (- for standard input)")
    .option("--dry-run", "show the difference, change nothing")
    .action((o: CommonOptions & { file?: string; dryRun?: boolean }) =>
      apply(cliContext(o), o.file, o.dryRun === true),
    );
  clientCommand(program, "export", "the server's setup as YAML, for apply")
    .option("--all", "also the machines nobody registered, named or labelled (as bare MACs)")
    .action((o: CommonOptions & { all?: boolean }) => exportSetup(cliContext(o), o.all === true));
}
