import type { GeneralScriptInputs } from "./boot-decision.js";
import type { BootSpec } from "./boot-spec.js";
import { assertIpxeSafe } from "./ipxe-safe.js";

/** x86 COMMAND_LINE_SIZE: a longer kernel command line is cut by the kernel, so refuse it up front. */
export const MAX_CMDLINE = 2048;

/** What a boot script may mention about the boot, for the person watching the console. */
export interface ScriptContext {
  /** `pcbios` or `efi` as iPXE reported it; efi needs `initrd=NAME` on the kernel command line. */
  platform?: string;
  /** A one-token label echoed first: the config id. */
  label: string;
}

/** A boot spec for one platform with every value checked to be one safe token: what a script may print. */
export type CheckedBoot =
  | { kind: "ipxe"; label: string; lines: readonly string[] }
  | {
      kind: "linux";
      label: string;
      kernel: string;
      args: string[];
      initrds: { name: string; url: string }[];
    };

/**
 * Checks a spec for one platform: every value must be one safe token, so no value can add a line, a command
 * or a setting expansion to a script (throws ENF_ERR_IPXE_UNSAFE_VALUE). Arming, preview and the renderer
 * all go through here, so what arming accepts is exactly what can be rendered at boot.
 */
export function checkedBoot(spec: BootSpec, ctx: ScriptContext): CheckedBoot {
  const label = assertIpxeSafe(ctx.label, "script label");
  if (spec.kind === "ipxe") return { kind: "ipxe", label, lines: spec.lines };
  const names = uniqueNames(spec.initrds.map((i) => i.name));
  const efiArgs = ctx.platform === "efi" ? names.map((n) => `initrd=${n}`) : [];
  const args = [...efiArgs, ...spec.args].map((a, i) => assertIpxeSafe(a, `kernel argument ${i + 1}`));
  if (args.join(" ").length > MAX_CMDLINE) {
    assertIpxeSafe("x".repeat(MAX_CMDLINE + 1), `the kernel command line (${args.join(" ").length} bytes)`);
  }
  const kernel = assertIpxeSafe(spec.kernel, "kernel URL");
  const initrds = spec.initrds.map((initrd, i) => ({
    name: names[i]!,
    url: assertIpxeSafe(initrd.url, `initrd URL ${i + 1}`),
  }));
  return { kind: "linux", label, kernel, args, initrds };
}

/** Throws ENF_ERR_IPXE_UNSAFE_VALUE unless the spec can be rendered for both BIOS and EFI machines. */
export function checkBootSpec(spec: BootSpec, label: string): void {
  for (const platform of ["pcbios", "efi"]) checkedBoot(spec, { platform, label });
}

/**
 * The sources the general script chains, in order: this machine's own script, the discovery script, then
 * each remote Enforcer. Each URL (with the `?` the query follows) is checked to be one safe token.
 */
export function generalSources(inputs: GeneralScriptInputs): { url: string; what: string }[] {
  const sources = [
    { url: `${inputs.self}/boot/machine`, what: "no config here" },
    { url: `${inputs.self}/boot/discovery`, what: "no discovery" },
    ...inputs.remotes.map((r, i) => ({
      url: `${r.replace(/\/+$/, "")}/boot/machine`,
      what: `remote ${i + 1}: nothing`,
    })),
  ];
  return sources.map((s) => ({ url: assertIpxeSafe(`${s.url}?`, "source URL"), what: s.what }));
}

/**
 * Throws ENF_ERR_IPXE_UNSAFE_VALUE unless the URL can be chained from a script. Checked where the URL is set
 * (flag, file, API), since a URL refused only at boot would fail every unknown machine's boot.
 */
export function checkDiscoveryUrl(discoveryUrl: string): string {
  return assertIpxeSafe(discoveryUrl, "discovery URL");
}

/** iPXE image names must differ, or a later initrd replaces an earlier one; keep them plain too. */
function uniqueNames(raw: string[]): string[] {
  const seen = new Set<string>();
  return raw.map((name, i) => {
    let n = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64) || `initrd${i}`;
    if (seen.has(n)) n = `${i}-${n}`;
    seen.add(n);
    return n;
  });
}
