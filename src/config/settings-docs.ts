import { NEGATABLE, SETTING_NAMES, SettingsSchema, type Settings } from "./settings.js";

// docs/settings.md is written from the schema (`npm run docs:settings`), like `serve --help`: the README's
// hand-written table had fallen behind it (seven flags, --config among them, were missing). Its tables are
// laid out here as prettier would, so the file passes `prettier --check` and the test compares it byte for byte.

interface Prop {
  type?: string;
  description?: string;
  default?: unknown;
  pattern?: string;
  anyOf?: { const?: unknown }[];
  items?: { pattern?: string };
}

const REPEATABLE = new Set<keyof Settings>(["remote", "serf"]);

/** The whole of docs/settings.md. */
export function settingsDoc(): string {
  const rows: string[][] = [
    ["`--config FILE`", "`ENFORCER_CONFIG`", "none", "none", "a YAML or JSON file of the settings below"],
  ];
  for (const [key, n] of Object.entries(SETTING_NAMES) as [keyof Settings, { flag: string; env: string }][]) {
    const p = (SettingsSchema.properties as Record<string, Prop>)[key]!;
    rows.push([flagCell(key, n.flag, p), envCell(key, n.env), `\`${key}\``, defaultCell(p), describe(p)]);
  }
  return [
    HEAD,
    table(["flag", "environment", "file key", "default", "what it sets"], rows),
    FILE_SECTION,
  ].join("\n");
}

function flagCell(key: keyof Settings, flag: string, p: Prop): string {
  if (NEGATABLE.includes(key)) return `\`--${flag}\` / \`--no-${flag}\``;
  if (p.type === "boolean") return `\`--${flag}\``;
  return `\`--${flag} ${placeholder(p)}\``;
}

/** What a flag's value looks like, from its schema. */
function placeholder(p: Prop): string {
  const pattern = p.pattern ?? p.items?.pattern ?? "";
  if (p.anyOf) return "CHOICE";
  if (p.type === "integer" || p.type === "number") return "N";
  if (pattern.startsWith("^http") || pattern.startsWith("^(https?")) return "URL";
  const d = p.description ?? "";
  const named: [RegExp, string][] = [
    [/director/, "DIR"],
    [/HOST:PORT/, "HOST:PORT"],
    [/START-END/, "START-END"],
    [/CIDR/, "CIDR"],
    [/interface/, "IFACE"],
    [/comma list/, "ADDR,ADDR"],
    [/address|router/, "ADDR"],
    [/token|key/, "SECRET"],
  ];
  return named.find(([re]) => re.test(d))?.[1] ?? "VALUE";
}

function envCell(key: keyof Settings, env: string): string {
  return REPEATABLE.has(key) ? `\`${env}\` (comma-separated)` : `\`${env}\``;
}

function defaultCell(p: Prop): string {
  if (p.default === undefined || (Array.isArray(p.default) && p.default.length === 0)) return "none";
  if (p.type === "boolean") return p.default ? "on" : "off";
  return `\`${String(p.default)}\``;
}

function describe(p: Prop): string {
  const choices = p.anyOf?.map((c) => String(c.const));
  const text = (p.description ?? "").replace(/\|/g, "\\|");
  // A description that already names each choice (--dhcp) is not followed by the list again.
  if (!choices || choices.every((c) => new RegExp(`\\b${c}\\b`).test(text))) return text;
  return `${text}: ${choices.map((c) => `\`${c}\``).join(", ")}`;
}

/** A markdown table padded as prettier pads it (every cell here is ASCII, so length is width). */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

const HEAD = `# Settings

<!-- Written by \`npm run docs:settings\` from src/config/settings.ts, the schema \`enforcer serve --help\` is
written from too: change the schema, then run it. A test fails when this file is out of date. -->

Every setting of \`enforcer serve\` is a flag, an environment variable, or a key in a YAML or JSON file given
with \`--config FILE\`. Flags win over the environment, the environment over the file, the file over the
defaults. A bad value, or a key the file should not have, stops the start with one line naming the setting
and exit status 2. \`enforcer serve --help\` prints the same list.

In the environment an on/off setting takes \`true\` or \`1\` (on), \`false\` or \`0\` (off); a repeatable one
takes its values separated by commas or spaces.

What the limits bound (\`--history-*\`, \`--finished-per-machine\`, \`--max-*\`) and how much memory to plan
for: [security.md](security.md#bounded-growth-and-retention). TFTP: [tftp.md](tftp.md). DHCP:
[dhcp.md](dhcp.md). Serf and Consul: [agents.md](agents.md). \`--store-recover\`: [store.md](store.md).
`;

const FILE_SECTION = `
## The config file

\`--config FILE\` (or \`ENFORCER_CONFIG=FILE\`) reads one mapping of settings: JSON when the name ends in
\`.json\`, YAML otherwise. Each key is the setting's **file key** from the table (\`httpPort\`) or its flag
without the dashes (\`http-port\`); both spellings mean the same. Values are typed as in YAML or JSON: numbers
for numbers, \`true\`/\`false\` for on/off settings, a list for the repeatable \`remote\` and \`serf\`. A key
that is no setting (a typo, \`--config\` itself) stops the start: \`unknown setting "httpport"\`.

\`\`\`yaml
# /etc/enforcer.yaml: enforcer serve --config /etc/enforcer.yaml
data: /var/lib/enforcer
httpPort: 8080
public-url: http://192.168.1.10:8080
dhcp: proxy
discovery: true
discoveryImage: /var/lib/enforcer/discovery
remote:
  - http://192.168.1.11:8080
logLevel: info
\`\`\`

The same in JSON (\`/etc/enforcer.json\`):

\`\`\`json
{
  "data": "/var/lib/enforcer",
  "httpPort": 8080,
  "public-url": "http://192.168.1.10:8080",
  "dhcp": "proxy",
  "discovery": true,
  "discoveryImage": "/var/lib/enforcer/discovery",
  "remote": ["http://192.168.1.11:8080"],
  "logLevel": "info"
}
\`\`\`

A flag or an \`ENFORCER_*\` variable still wins over the file: \`enforcer serve --config /etc/enforcer.yaml
--log-level debug\` logs at debug.
`;
