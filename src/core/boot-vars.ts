import type { BootConfig } from "../domain/boot-config.js";
import type { Machine } from "../domain/machine.js";
import type { Profile } from "../domain/profile.js";
import type { CoreSettings } from "./ports.js";

/** The URLs under a config's secret: its provisioning files and its completion callback. */
export function configUrls(settings: CoreSettings, secret: string): { files: string; complete: string } {
  const files = `${settings.publicUrl}/p/${secret}/`;
  return { files, complete: `${files}complete` };
}

/**
 * Everything a profile may use, filled from the machine's facts: hostname, MAC, interface, console and the
 * config's URLs. Profile defaults come first, the config's own variables win. Absent facts stay absent, so
 * a template that needs them fails at arm time.
 */
export function bootVars(
  settings: CoreSettings,
  m: Machine,
  p: Profile,
  c: BootConfig,
): Record<string, string> {
  const urls = configUrls(settings, c.secret);
  const known: Record<string, string | undefined> = {
    hostname: m.hostname ?? `node-${m.id.replace(/:/g, "")}`,
    mac: m.id,
    mac_hyphen: m.id.replace(/:/g, "-"),
    uuid: m.uuid,
    serial: m.serial,
    arch: m.arch === "i386" ? "x86_64" : m.arch,
    platform: m.platform,
    interface: interfaceName(m) ?? "auto",
    console: p.console ?? "ttyS0,115200n8",
    install_dev: "/dev/sda",
    config_id: c.id,
    files_url: urls.files,
    complete_url: urls.complete,
    enforcer_url: settings.publicUrl,
    location: p.location?.replace(/\/+$/, ""),
  };
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...known, ...p.variables, ...c.variables }))
    if (v !== undefined) vars[k] = v;
  return vars;
}

/** The NIC name an agent reported for the machine's primary MAC, if any. */
function interfaceName(m: Machine): string | undefined {
  const nics = m.facts.nics;
  if (!Array.isArray(nics)) return undefined;
  for (const nic of nics) {
    if (
      nic &&
      typeof nic === "object" &&
      !Array.isArray(nic) &&
      nic.mac === m.id &&
      typeof nic.name === "string"
    ) {
      return nic.name;
    }
  }
  return undefined;
}
