import type { BootDecision } from "../../domain/boot-decision.js";
import { renderBootScript } from "./config-script.js";
import { renderDiscoveryScript } from "./general-script.js";

/** A decision that boots something: everything but the fall-through. */
export type ScriptDecision = Exclude<BootDecision, { kind: "none" }>;

/**
 * Renders what the core decided for a machine's request as the iPXE script it gets. `platform` is what
 * iPXE reported in the request (efi needs `initrd=NAME` on the kernel command line).
 */
export function renderDecision(d: ScriptDecision, platform: string | undefined): string {
  if (d.kind === "config") return renderBootScript(d.spec, { platform, label: d.config });
  if (d.boot.kind === "chain") return renderDiscoveryScript(d.boot.url, d.boot.mac);
  return renderBootScript(d.boot.spec, { platform, label: "discovery" });
}
