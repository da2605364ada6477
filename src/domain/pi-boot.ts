import type { BootSpec } from "./boot-spec.js";
import { EnforcerError } from "./errors.js";

/**
 * Raspberry Pi network boot (Pi 4 and 5 EEPROM bootloader): the names a Pi asks for over TFTP, its serial
 * from DHCP option 97, and the files rendered from an armed config. Pure; docs/dhcp.md "Raspberry Pi" cites
 * the bootloader's documented behaviour.
 */

/** The label that names a Pi's serial (the TFTP_PREFIX=0 directory) before its first DHCP exchange. */
export const PI_SERIAL_LABEL = "enforcer.dev/pi-serial";

/** The files rendered per boot, whatever the profile calls its kernel and initrd. */
export const PI_CONFIG_TXT = "config.txt";
export const PI_CMDLINE_TXT = "cmdline.txt";

/** A Pi's boot directory: its serial (TFTP_PREFIX=0, 8 hex digits) or its MAC (TFTP_PREFIX=2, `dc-a6-…`). */
export type PiDirectory = { kind: "serial"; serial: string } | { kind: "mac"; mac: string };

/** A request under a Pi boot directory: the directory and the file inside it. */
export interface PiRequest {
  dir: PiDirectory;
  file: string;
}

const SERIAL_DIR = /^[0-9a-f]{8}$/i;
const MAC_DIR = /^[0-9a-f]{2}(?:-[0-9a-f]{2}){5}$/i;
/** A file inside the directory: plain segments only (`overlays/x.dtbo`), checked before any path is built. */
const SEGMENT = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,127}$/;
const MAX_DEPTH = 4;

/**
 * Reads `<dir>/<file>` as a Pi boot directory request, or undefined when the first segment is no Pi
 * directory (the name belongs to the ordinary boot files). A Pi directory with a file that is not plain
 * segments is a refusal, not another namespace's name.
 */
export function parsePiRequest(name: string): PiRequest | { refused: string } | undefined {
  const slash = name.indexOf("/");
  if (slash <= 0) return undefined;
  const head = name.slice(0, slash);
  let dir: PiDirectory;
  if (SERIAL_DIR.test(head)) dir = { kind: "serial", serial: head.toLowerCase() };
  else if (MAC_DIR.test(head)) dir = { kind: "mac", mac: head.toLowerCase().replace(/-/g, ":") };
  else return undefined;
  const segments = name.slice(slash + 1).split("/");
  if (segments.length > MAX_DEPTH || !segments.every((s) => SEGMENT.test(s)))
    return { refused: `access violation: ${JSON.stringify(name.slice(0, 80))} is not a plain file name` };
  return { dir, file: segments.join("/") };
}

/**
 * The serials option 97 may carry, as the directory names the Pi uses (8 lower-case hex digits). The
 * bootloader's GUID is `RPi4`/`RPi5` fourcc, board revision, MAC low bytes, serial (4 bytes each), or with
 * DHCP_OPTION97=0 the serial four times. The documentation gives the fourcc as a little-endian word but not
 * the serial's byte order: both readings are answered (a serial only matches the MAC that sent it anyway).
 */
export function piSerialsFromGuid(raw: Uint8Array | undefined): string[] {
  if (!raw) return [];
  const g = raw.length === 17 ? raw.subarray(1) : raw;
  if (g.length !== 16) return [];
  const word = (at: number) => Buffer.from(g.subarray(at, at + 4));
  const both = (b: Buffer) => [...new Set([b.toString("hex"), Buffer.from(b).reverse().toString("hex")])];
  if (g[0] === 0x52 && g[1] === 0x50 && g[2] === 0x69) return both(word(12));
  const first = word(0);
  if ([4, 8, 12].every((at) => word(at).equals(first))) return both(first);
  return [];
}

/** What a triggered config serves in a Pi's directory: rendered text, or a file from the operator's dirs. */
export interface PiBootFiles {
  /** config.txt's lines after the firmware directory's own config.txt (later lines win). */
  configTail: string;
  cmdline: string;
  /** Name in the Pi's directory → path under --pi-firmware or --tftp-root. */
  assets: ReadonlyMap<string, string>;
}

/**
 * The files a config boots a Pi with: `kernel=`, `initramfs … followkernel` and `cmdline=` in config.txt,
 * the command line in cmdline.txt, the kernel and initrd by their own names. A kernel or initrd must be a
 * local path (under --pi-firmware or --tftp-root, or a cached asset `assets/<id>/<name>`): the bootloader
 * speaks only TFTP. `urlsCached` (at arm time, with the asset cache on) lets an http(s) URL through: arming
 * fetches it and names the cached copy instead. Throws ENF_ERR_PI_BOOT_FILE.
 */
export function piBootFiles(spec: BootSpec | undefined, config: string, urlsCached = false): PiBootFiles {
  const bad = (msg: string): never => {
    throw new EnforcerError("ENF_ERR_PI_BOOT_FILE", `config ${config}: ${msg}`, { config });
  };
  if (!spec || spec.kind !== "linux") return bad("a Raspberry Pi boots a kernel: use a custom profile");
  if (spec.initrds.length > 1) return bad("a Raspberry Pi boots one initramfs; the profile names several");
  const assets = new Map<string, string>();
  const asset = (what: string, path: string): string => {
    const cached = urlsCached && /^https?:\/\/[^/]+\//i.test(path);
    const segments = (cached ? `url/${path.split(/[?#]/)[0]!.split("/").pop()}` : path)
      .replace(/^\/+/, "")
      .split("/");
    if (!cached && /^[a-z][a-z0-9+.-]*:/i.test(path))
      bad(
        `the ${what} ${JSON.stringify(path.slice(0, 80))} is a URL: a Pi loads it over TFTP, so name a file under --pi-firmware or --tftp-root, or turn the asset cache on (--asset-cache-size) to fetch it at arm time`,
      );
    if (segments.length > MAX_DEPTH || !segments.every((s) => SEGMENT.test(s)))
      bad(`the ${what} ${JSON.stringify(path.slice(0, 80))} is not a plain relative file name`);
    const name = segments[segments.length - 1]!;
    if (name === PI_CONFIG_TXT || name === PI_CMDLINE_TXT || assets.has(name))
      bad(`the ${what} is called ${name}, which another file of the boot already is`);
    assets.set(name, segments.join("/"));
    return name;
  };
  const kernel = asset("kernel", spec.kernel);
  const initrd = spec.initrds[0] ? asset("initrd", spec.initrds[0].url) : undefined;
  const lines = [
    `# Enforcer: config ${config}, rendered for one boot of this Pi`,
    "[all]",
    `kernel=${kernel}`,
    ...(initrd ? [`initramfs ${initrd} followkernel`] : []),
    `cmdline=${PI_CMDLINE_TXT}`,
  ];
  return { configTail: `${lines.join("\n")}\n`, cmdline: `${spec.args.join(" ")}\n`, assets };
}
