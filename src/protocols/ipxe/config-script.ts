import type { BootSpec } from "../../domain/boot-spec.js";
import { checkedBoot, type ScriptContext } from "../../domain/boot-script-checks.js";

export type { ScriptContext } from "../../domain/boot-script-checks.js";

/**
 * Renders a boot spec as an iPXE script. Every value is checked to be one safe token (the domain's checks,
 * the same ones arming runs), so no value can add a line, a command or a setting expansion (throws
 * ENF_ERR_IPXE_UNSAFE_VALUE).
 */
export function renderBootScript(spec: BootSpec, ctx: ScriptContext): string {
  const b = checkedBoot(spec, ctx);
  const head = ["#!ipxe", `echo Enforcer: booting config ${b.label}`];
  if (b.kind === "ipxe") return [...head, ...b.lines, ""].join("\n");
  const lines = [...head, ["kernel", b.kernel, ...b.args].join(" ")];
  for (const initrd of b.initrds) lines.push(`initrd --name ${initrd.name} ${initrd.url}`);
  lines.push("boot", "");
  return lines.join("\n");
}
