import type { BootConfig } from "../domain/boot-config.js";
import type { BootSpec } from "../domain/boot-spec.js";

/** An Enforcer asset URL, whose part before `/assets/` is the URL of the instance that armed the config. */
const ASSET_URL = /^(https?:\/\/[^\s]*?)\/assets\/[0-9a-f]{16}\/[^/?#\s]+$/;

/**
 * The URL of the Enforcer instance that armed a config, as its rendered spec names it: the base of its
 * cached kernel or initrds, else of its own provisioning URL (`<url>/p/<secret>/`) in the command line or
 * script. Undefined when the spec names neither (a config with upstream URLs only, or a Pi's TFTP names).
 */
export function armingUrl(c: Pick<BootConfig, "spec" | "secret">): string | undefined {
  const spec = c.spec;
  if (!spec) return undefined;
  if (spec.kind === "linux") {
    for (const u of [spec.kernel, ...spec.initrds.map((i) => i.url)]) {
      const m = ASSET_URL.exec(u);
      if (m) return m[1];
    }
  }
  const marker = `/p/${c.secret}/`;
  for (const text of spec.kind === "linux" ? spec.args : spec.lines) {
    const at = text.indexOf(marker);
    if (at < 0) continue;
    const m = /https?:\/\/[^\s"'=]*$/.exec(text.slice(0, at));
    if (m) return m[0];
  }
  return undefined;
}

/**
 * The spec as this instance serves it: with several instances over one store, a config armed through
 * instance A names A's URL for its cached files and provisioning files; served by B, it names B instead, so
 * the machine keeps booting when A is gone (B fetches a file it has not cached on its first request). The
 * same object when nothing changes (one instance, or a shared `--public-url`).
 */
export function rebaseSpec(c: Pick<BootConfig, "spec" | "secret">, self: string): BootSpec | undefined {
  const from = armingUrl(c);
  const spec = c.spec;
  if (!spec || from === undefined || from === self) return spec;
  const swap = (s: string) => s.split(`${from}/`).join(`${self}/`);
  return spec.kind === "linux"
    ? {
        ...spec,
        kernel: swap(spec.kernel),
        args: spec.args.map(swap),
        initrds: spec.initrds.map((i) => ({ ...i, url: swap(i.url) })),
      }
    : { ...spec, lines: spec.lines.map(swap) };
}

/** A provisioning file as this instance serves it: the arming instance's URL replaced by this one's (see rebaseSpec). */
export function rebaseFile(c: Pick<BootConfig, "spec" | "secret">, text: string, self: string): string {
  const from = armingUrl(c);
  return from === undefined || from === self ? text : text.split(`${from}/`).join(`${self}/`);
}
