import { EnforcerError } from "../domain/errors.js";
import { APKOVL_NAME, buildApkovl } from "./apkovl.js";
import { rebaseFile } from "./spec-rebase.js";
import type { ConfigService } from "./configs.js";

/** The provisioning files under a config's secret URL, served only while the config is triggered. */
export class ConfigFiles {
  constructor(
    private readonly configs: ConfigService,
    /** This instance's URL: a config armed through another names that one's (spec-rebase.ts). */
    private readonly self: () => string = () => "",
  ) {}

  /** A rendered file by name; throws ENF_ERR_BOOT_SECRET_UNKNOWN or ENF_ERR_CONFIG_FILE_NOT_FOUND. */
  file(secret: string, name: string): string {
    const c = this.configs.activeBySecret(secret, false);
    const text = c.files && Object.hasOwn(c.files, name) ? c.files[name] : undefined;
    if (text === undefined)
      throw new EnforcerError("ENF_ERR_CONFIG_FILE_NOT_FOUND", `config has no file ${name}`, { file: name });
    return rebaseFile(c, text, this.self());
  }

  /** A file as bytes: the rendered text, or for alpine the overlay packed from its script. */
  async download(secret: string, name: string): Promise<string | Buffer> {
    if (name === APKOVL_NAME) return buildApkovl(this.file(secret, "provision.sh"));
    return this.file(secret, name);
  }
}
