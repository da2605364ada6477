import type { BootSpec } from "../../domain/boot-spec.js";
import { assertIpxeSafe } from "../../domain/ipxe-safe.js";

/** What the rendered script may mention about the boot, for the person watching the console. */
export interface ScriptContext {
  /** `pcbios` or `efi` as iPXE reported it; efi needs `initrd=NAME` on the kernel command line. */
  platform?: string;
  /** A one-token label echoed first: the config id. */
  label: string;
}

/** x86 COMMAND_LINE_SIZE: a longer kernel command line is cut by the kernel, so refuse it up front. */
const MAX_CMDLINE = 2048;

/**
 * Renders a boot spec as an iPXE script. Every value is checked to be one safe token, so no value can add a
 * line, a command or a setting expansion (throws ENF_ERR_IPXE_UNSAFE_VALUE).
 */
export function renderBootScript(spec: BootSpec, ctx: ScriptContext): string {
  const label = assertIpxeSafe(ctx.label, "script label");
  if (spec.kind === "ipxe") {
    return ["#!ipxe", `echo Enforcer: booting config ${label}`, ...spec.lines, ""].join("\n");
  }
  const names = uniqueNames(spec.initrds.map((i) => i.name));
  const efiArgs = ctx.platform === "efi" ? names.map((n) => `initrd=${n}`) : [];
  const args = [...efiArgs, ...spec.args].map((a, i) => assertIpxeSafe(a, `kernel argument ${i + 1}`));
  if (args.join(" ").length > MAX_CMDLINE) {
    assertIpxeSafe("x".repeat(MAX_CMDLINE + 1), `the kernel command line (${args.join(" ").length} bytes)`);
  }
  const lines = ["#!ipxe", `echo Enforcer: booting config ${label}`];
  lines.push(["kernel", assertIpxeSafe(spec.kernel, "kernel URL"), ...args].join(" "));
  spec.initrds.forEach((initrd, i) => {
    lines.push(`initrd --name ${names[i]} ${assertIpxeSafe(initrd.url, `initrd URL ${i + 1}`)}`);
  });
  lines.push("boot", "");
  return lines.join("\n");
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
