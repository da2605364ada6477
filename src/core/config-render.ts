import type { BootConfig } from "../domain/boot-config.js";
import { checkBootSpec } from "../domain/boot-script-checks.js";
import type { BootSpec, ProvisioningFiles } from "../domain/boot-spec.js";
import { fileFormat } from "../domain/file-formats.js";
import type { Machine } from "../domain/machine.js";
import { familyBoot } from "../domain/os-families.js";
import { PI_SERIAL_LABEL, piBootFiles } from "../domain/pi-boot.js";
import { fillBootTemplate } from "./boot-template.js";
import { bootVars } from "./boot-vars.js";
import type { MachineService } from "./machines.js";
import type { Clock, CoreSettings } from "./ports.js";
import type { ProfileService } from "./profiles.js";
import { renderProvisioning } from "./provisioning.js";

/** What a config renders to: the spec the machine boots and the provisioning files it serves. */
export interface RenderedConfig {
  spec: BootSpec;
  files: ProvisioningFiles;
}

/** Renders a config from its profile and the machine's facts: at arm time, and for a preview. */
export class ConfigRenderer {
  /** True when arming fetches http(s) files into the asset cache (set by ConfigService.useAssets). */
  urlsCached = false;

  constructor(
    private readonly clock: Clock,
    private readonly settings: CoreSettings,
    private readonly machines: MachineService,
    private readonly profiles: ProfileService,
  ) {}

  /**
   * Renders everything now, so errors show when arming and not at boot: the provisioning files, and the
   * spec checked to go into a script for both BIOS and EFI machines (throws the coded error).
   */
  render(c: BootConfig, machine: Machine): RenderedConfig {
    const profile = this.profiles.get(c.profile);
    const vars = bootVars(this.settings, machine, profile, c);
    const fb = familyBoot(profile, vars, fillBootTemplate);
    const context = { ...vars, facts: machine.facts, labels: machine.labels };
    const files: Record<string, string> = {};
    for (const [name, template] of Object.entries(fb.files))
      files[name] = renderProvisioning(name, template, context, fileFormat(profile.family, name, template));
    checkBootSpec(fb.spec, c.id);
    // A machine labelled as a Pi boots over TFTP only: a URL kernel is refused now, not at its boot, unless
    // the asset cache fetches it at arm time (then the Pi loads the cached copy over TFTP).
    if (machine.labels[PI_SERIAL_LABEL] !== undefined) piBootFiles(fb.spec, c.id, this.urlsCached);
    return { spec: fb.spec, files };
  }

  /**
   * Renders a profile against a machine without storing anything: what arming would produce. The config's
   * id is `preview` (the label its scripts echo) and its secret a placeholder.
   */
  preview(profile: string, machine: string, variables: Record<string, string> = {}): RenderedConfig {
    const m = this.machines.get(machine);
    const draft: BootConfig = {
      id: PREVIEW_ID,
      machine: m.id,
      profile,
      variables,
      secret: "preview-secret",
      createdAt: this.clock.now().toISOString(),
      lifecycle: { state: "draft" },
    };
    return this.render(draft, m);
  }
}

/** The id a preview renders under: the label its scripts echo. */
export const PREVIEW_ID = "preview";
