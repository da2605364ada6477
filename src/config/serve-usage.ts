import { NEGATABLE, SETTING_NAMES, SettingsSchema } from "./settings.js";

// Written from the settings table rather than by hand: the hand-written text had fallen behind it (eight
// flags, the limits among them, were missing from `enforcer serve --help`). Commander does not parse these
// flags (config/load.ts does, with the environment and --config), so it cannot write their help either.

/** `enforcer serve --help`: every setting's flag, what it sets, its default and its ENFORCER_* name. */
export function serveUsage(): string {
  const lines = Object.entries(SETTING_NAMES).map(([key, n]) => {
    const s = (
      SettingsSchema.properties as Record<string, { type?: string; description?: string; default?: unknown }>
    )[key]!;
    const flag = NEGATABLE.includes(key as keyof typeof SETTING_NAMES)
      ? `--${n.flag} | --no-${n.flag}`
      : s.type === "boolean"
        ? `--${n.flag}`
        : `--${n.flag} <value>`;
    const dflt =
      s.default === undefined || s.type === "boolean" || (Array.isArray(s.default) && s.default.length === 0)
        ? ""
        : `; default ${String(s.default)}`;
    return `  ${flag}\n      ${s.description ?? ""} (${n.env}${dflt})`;
  });
  return [
    "usage: enforcer serve [options]   (each also as its ENFORCER_* variable, or in --config FILE)",
    "  --config FILE\n      a YAML or JSON file of settings (ENFORCER_CONFIG)",
    ...lines,
    "",
  ].join("\n");
}
