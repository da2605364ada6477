import { windowPassed, type BootConfig } from "../domain/boot-config.js";
import { EnforcerError } from "../domain/errors.js";
import type { Machine } from "../domain/machine.js";
import type { Mac } from "../domain/mac.js";
import {
  PI_CMDLINE_TXT,
  PI_CONFIG_TXT,
  PI_SERIAL_LABEL,
  piBootFiles,
  piSerialsFromGuid,
  type PiRequest,
} from "../domain/pi-boot.js";
import type { Store } from "../store/store.js";
import { rebaseSpec } from "./spec-rebase.js";
import { ChangeSet } from "./change-set.js";
import type { ConfigService } from "./configs.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import type { Clock, CoreSettings } from "./ports.js";

/** Serials learned from DHCP (by MAC) and boots under way (by machine) kept at most: the oldest go first. */
const MAX_LEARNED = 4096;
/** Serials kept per MAC (a Pi sends one, read two ways): later ones join, they do not replace. */
const SERIALS_PER_MAC = 8;

/** What to answer one TFTP read in a Pi's boot directory. */
export type PiRead =
  /** config.txt (after the firmware directory's own) or cmdline.txt, rendered from the triggered config. */
  | { serve: "rendered"; file: "config.txt" | "cmdline.txt"; text: string; config: string }
  /** A firmware file (start4.elf, fixup4.dat, .dtb, overlays/…) from --pi-firmware. */
  | { serve: "firmware"; name: string }
  /** The config's kernel or initrd: this path under --pi-firmware, else under --tftp-root. */
  | { serve: "asset"; path: string; config: string }
  /** not-found: the Pi falls through (the bootloader clears the prefix, then tries its next boot mode). */
  | { refuse: "not-found" | "denied"; message: string };

/** One TFTP read as the daemon saw it: the parsed name, the client's address and its MAC from ARP. */
export interface PiReadRequest extends PiRequest {
  ip: string;
  /** The MAC the host's neighbour (ARP) table has for `ip`; undefined when it has none. */
  mac: Mac | undefined;
}

/**
 * Raspberry Pi boot directories, per machine and exactly once. The Pi is the machine whose MAC the host's
 * ARP table gives for the request's source address, never the one its directory names: the directory
 * must only agree (its serial, from the Pi's own DHCP exchange or the `enforcer.dev/pi-serial` label, or its
 * MAC). config.txt triggers the armed config, like the iPXE machine script (of concurrent reads exactly one
 * triggers); the rest of that boot (firmware, cmdline.txt, kernel, initrd, config.txt read again by the
 * firmware) is served to the address that triggered it while the config stays triggered.
 */
export class PiBootService {
  /** Serials each MAC sent in option 97, newest last. */
  private readonly serials = new Map<Mac, string[]>();
  /** The address each machine's boot under way triggered its config from. */
  private readonly boots = new Map<string, { config: string; ip: string }>();

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly settings: CoreSettings,
    private readonly machines: MachineService,
    private readonly configs: ConfigService,
  ) {}

  /** Takes in the serial a Pi's DHCP request carries (option 97), for its directory name. */
  learn(mac: Mac, guid: Uint8Array | undefined): void {
    const serials = piSerialsFromGuid(guid);
    if (serials.length === 0) return;
    // Only known machines (read() serves no one else): a flood of invented MACs must not evict a Pi's serial.
    if (!this.machines.find(mac)) return;
    // Merged, not replaced: one forged DISCOVER naming this MAC must not take the Pi's own serial away.
    const kept = (this.serials.get(mac) ?? []).filter((s) => !serials.includes(s));
    remember(this.serials, mac, [...kept, ...serials].slice(-SERIALS_PER_MAC));
  }

  /** The answer to one read in a Pi's directory; commits the trigger when config.txt takes the config. */
  async read(req: PiReadRequest): Promise<PiRead> {
    if (!req.mac)
      return denied(`no ARP entry for ${req.ip}: a Pi's directory is served only to a client on the link`);
    const machine = this.machines.find(req.mac);
    if (!machine) return notFound(`${req.mac} is not a known machine`);
    const mismatch = this.directoryMismatch(req, machine);
    if (mismatch) return denied(mismatch);
    const held = this.configs.holdingFor(machine.id);
    if (!held) return notFound(`${machine.id} has no armed config: the Pi falls through`);
    const now = this.clock.now().toISOString();
    const live = this.liveBoot(machine.id, held, req.ip, now);
    if (req.file === PI_CONFIG_TXT)
      return live ? this.rendered(held, "config.txt") : this.trigger(held, req.ip, now);
    const fresh = held.lifecycle.state === "armed" || !windowPassed(held.lifecycle, now, this.windowMs);
    if (req.file === PI_CMDLINE_TXT)
      return live
        ? this.rendered(held, "cmdline.txt")
        : notFound("cmdline.txt before config.txt in this boot");
    const path = fresh ? this.files(held).assets.get(req.file) : undefined;
    if (path !== undefined)
      return live ? { serve: "asset", path, config: held.id } : notFound(`${req.file} before config.txt`);
    // Firmware before config.txt: the bootloader probes start4.elf first, and finds the directory only while
    // the machine has a config to boot; otherwise it clears the prefix and falls through.
    if (live || fresh) return { serve: "firmware", name: req.file };
    return notFound(`config ${held.id}'s retry window has passed`);
  }

  private get windowMs(): number {
    return this.settings.retryWindowMs;
  }

  /** Why the directory is not this machine's, or undefined when it is. */
  private directoryMismatch(req: PiReadRequest, machine: Machine): string | undefined {
    if (req.dir.kind === "mac")
      return machine.macs.includes(req.dir.mac as Mac)
        ? undefined
        : `directory ${req.dir.mac} is not the MAC of ${req.ip}`;
    const label = machine.labels[PI_SERIAL_LABEL]?.toLowerCase();
    const known = new Set([
      ...(label ? [label] : []),
      ...machine.macs.flatMap((m) => this.serials.get(m) ?? []),
    ]);
    if (known.has(req.dir.serial)) return undefined;
    return known.size === 0
      ? `no serial known for ${machine.id}: its DHCP request had none, and it has no ${PI_SERIAL_LABEL} label`
      : `directory ${req.dir.serial} is not the serial of ${machine.id}`;
  }

  /** True when this address triggered the held config for the boot under way, and it is still on. */
  private liveBoot(machine: string, held: BootConfig, ip: string, now: string): boolean {
    const b = this.boots.get(machine);
    return (
      b !== undefined &&
      b.config === held.id &&
      b.ip === ip &&
      held.lifecycle.state === "triggered" &&
      !windowPassed(held.lifecycle, now, this.windowMs)
    );
  }

  /**
   * config.txt of a new boot: the fetch that triggers (or, inside the retry window, retries) the config.
   * The files are checked first, so a config that cannot boot a Pi is not used up by a boot that fails.
   */
  private async trigger(held: BootConfig, ip: string, at: string): Promise<PiRead> {
    this.files(held);
    // Synchronous from here up to the commit: of concurrent reads exactly one sees `armed`.
    const f = this.configs.fetchOps(held, at);
    try {
      await new ChangeSet(this.store, this.events).include(f.change).commit();
    } catch (err) {
      // Not written, not served (another instance triggered it, or the store refused): the Pi retries.
      const code = err instanceof EnforcerError ? err.code : String(err);
      return notFound(`config ${held.id} was not triggered here (${code}); the Pi retries`);
    }
    if (!f.serve) return notFound(`config ${held.id}'s retry window has passed`);
    remember(this.boots, held.machine, { config: held.id, ip });
    return this.rendered(f.next, "config.txt");
  }

  /**
   * The files a config boots this Pi with. A Pi not labelled as one when its config was armed got the asset
   * cache's HTTP URLs (`<public URL>/assets/<id>/<name>`); the same files have TFTP names, which it gets here.
   */
  private files(c: BootConfig) {
    const own = `${this.settings.publicUrl}/`;
    const tftp = (url: string) => (url.startsWith(`${own}assets/`) ? url.slice(own.length) : url);
    // Armed through another instance, its URLs name that one: this instance's own first (spec-rebase.ts).
    const mine = rebaseSpec(c, this.settings.publicUrl);
    const spec =
      mine?.kind === "linux"
        ? {
            ...mine,
            kernel: tftp(mine.kernel),
            initrds: mine.initrds.map((i) => ({ ...i, url: tftp(i.url) })),
          }
        : mine;
    return piBootFiles(spec, c.id);
  }

  private rendered(c: BootConfig, file: "config.txt" | "cmdline.txt"): PiRead {
    if (!c.spec) throw new EnforcerError("ENF_ERR_SERVER_INTERNAL", `config ${c.id} has no rendered spec`);
    const files = this.files(c);
    return {
      serve: "rendered",
      file,
      text: file === "config.txt" ? files.configTail : files.cmdline,
      config: c.id,
    };
  }
}

function notFound(message: string): PiRead {
  return { refuse: "not-found", message };
}

function denied(message: string): PiRead {
  return { refuse: "denied", message };
}

/** Sets `key` as the newest entry, dropping the oldest past MAX_LEARNED. */
function remember<K, V>(m: Map<K, V>, key: K, value: V): void {
  m.delete(key);
  m.set(key, value);
  if (m.size > MAX_LEARNED) m.delete(m.keys().next().value as K);
}
