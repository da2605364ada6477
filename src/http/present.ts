import { configUrls } from "../core/boot-vars.js";
import type { Core } from "../core/create-core.js";
import type { RenderedConfig } from "../core/config-render.js";
import { PREVIEW_ID } from "../core/config-render.js";
import type { BootConfig } from "../domain/boot-config.js";
import { renderBootScript } from "../protocols/ipxe/config-script.js";
import { roleAllows, type Role } from "../domain/token.js";

/** What stands in for a value a viewer may not read. */
export const REDACTED = "[redacted]";

/** True when a token of this role may read a config's secret URLs, rendered files and variables. */
export function maySeeSecrets(role: Role | undefined): boolean {
  return role !== undefined && roleAllows(role, "operator");
}

/**
 * A config as the API shows it: state flattened, the secret only inside its URLs. Viewers get no URLs and
 * no secret: with the secret URL anyone can fetch the provisioning files (password hashes) and complete
 * the config. Rendered files and variable values are redacted too (they carry hashes and the URLs), and
 * the secret is cut out of the rendered spec (kernel arguments name the files URL).
 */
export function presentConfig(core: Core, c: BootConfig, role: Role | undefined) {
  const { secret, lifecycle, ...rest } = c;
  if (maySeeSecrets(role)) {
    const urls = configUrls(core.settings, secret);
    return {
      ...rest,
      state: lifecycle.state,
      lifecycle,
      urls: { files: urls.files, complete: urls.complete },
    };
  }
  const { spec, files, variables, ...plain } = rest;
  return {
    ...plain,
    variables: redactValues(variables),
    ...(spec ? { spec: JSON.parse(JSON.stringify(spec).split(secret).join(REDACTED)) as typeof spec } : {}),
    ...(files ? { files: redactValues(files) } : {}),
    state: lifecycle.state,
    lifecycle,
    redacted: true as const,
  };
}

function redactValues(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(m).map((k) => [k, REDACTED]));
}

/** A preview as the API shows it: the rendered config plus the script a BIOS and an EFI machine would get. */
export function presentPreview(r: RenderedConfig) {
  return {
    ...r,
    scripts: {
      pcbios: renderBootScript(r.spec, { platform: "pcbios", label: PREVIEW_ID }),
      efi: renderBootScript(r.spec, { platform: "efi", label: PREVIEW_ID }),
    },
  };
}
