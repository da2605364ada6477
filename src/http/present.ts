import { configUrls } from "../core/boot-vars.js";
import type { Core } from "../core/enforcer.js";
import type { BootConfig } from "../domain/boot-config.js";

/** A config as the API shows it: state flattened, the secret only inside its URLs. */
export function presentConfig(core: Core, c: BootConfig) {
  const { secret, lifecycle, ...rest } = c;
  const urls = configUrls(core.settings, secret);
  return { ...rest, state: lifecycle.state, lifecycle, urls: { files: urls.files, complete: urls.complete } };
}
