import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { PiBootService, PiRead } from "../core/pi-boot.js";
import { EnforcerError } from "../domain/errors.js";
import type { Mac } from "../domain/mac.js";
import { parsePiRequest } from "../domain/pi-boot.js";
import { BootFiles, memoryFile, type BootFile } from "../files/boot-files.js";
import { checkName } from "../files/boot-file-name.js";
import { LogBudget } from "../logging/log-budget.js";

/** The firmware directory's own config.txt is read up to this size (the Pi's is a few KiB). */
const BASE_CONFIG_LIMIT = 64 * 1024;
/** Log lines per minute for refused and failed Pi reads. */
const LOGS_PER_MINUTE = 60;

/** Opens a name for a TFTP client's address: a Pi directory's file or refusal, or undefined (not a Pi's). */
export type PiOpen = (
  raw: Buffer,
  ip: string,
) => Promise<BootFile | { ok: false; code: number; message: string } | undefined>;

/** What the Pi glue needs: the service, the operator's directories, and the ARP table. */
export interface PiFilesWiring {
  piBoot: Pick<PiBootService, "read">;
  /** --pi-firmware as a file namespace (undefined when not set). */
  firmware: Pick<BootFiles, "open"> | undefined;
  /** The ordinary boot files (--tftp-root): a kernel or initrd not in the firmware directory. */
  files: Pick<BootFiles, "open">;
  neighbour: (ip: string) => Promise<Mac | undefined>;
  /** Told the MAC the ARP table gave for a Pi read's address (the boot timeline attributes by address). */
  seen?: (ip: string, mac: Mac) => void;
  log: Logger;
}

/**
 * Opens names under a Raspberry Pi boot directory (`<serial>/…`, `<mac>/…`) for the TFTP server, asking
 * core's PiBootService what each read gets; answers undefined for any other name (the ordinary boot files).
 */
export function piFiles(w: PiFilesWiring): PiOpen {
  const logs = new LogBudget(LOGS_PER_MINUTE);
  const note = (level: "info" | "warn" | "error", ip: string, name: string, message: string) => {
    const budget = logs.take();
    if (budget.ok)
      w.log[level](
        { pi: { ip, file: name }, ...(budget.skipped > 0 ? { notLogged: budget.skipped } : {}) },
        `tftp pi: ${name} for ${ip}: ${message}`,
      );
  };
  return async (raw, ip) => {
    const check = checkName(raw);
    if (!check.ok) return undefined;
    const req = parsePiRequest(check.name);
    if (!req) return undefined;
    if ("refused" in req) return { ok: false, code: 2, message: req.refused };
    let answer: PiRead;
    const mac = await w.neighbour(ip);
    if (mac) w.seen?.(ip, mac);
    try {
      answer = await w.piBoot.read({ ...req, ip, mac });
    } catch (err) {
      if (!(err instanceof EnforcerError)) throw err;
      note("error", ip, check.name, `${err.code}: ${err.message}`);
      return { ok: false, code: 0, message: `${err.code}: ${err.message}`.slice(0, 200) };
    }
    if ("refuse" in answer) {
      note(answer.refuse === "denied" ? "warn" : "info", ip, check.name, answer.message);
      return answer.refuse === "denied"
        ? { ok: false, code: 2, message: `access violation: ${answer.message}`.slice(0, 200) }
        : { ok: false, code: 1, message: `file not found: ${check.name}` };
    }
    if (answer.serve === "rendered") {
      const base = answer.file === "config.txt" ? await baseConfig(w.firmware) : "";
      const data = Buffer.from(base + answer.text, "utf8");
      return memoryFile(check.name, data, `pi:${createHash("sha1").update(data).digest("hex")}`);
    }
    if (!w.firmware && answer.serve === "firmware")
      return { ok: false, code: 1, message: `file not found: ${check.name} (no --pi-firmware)` };
    const inFirmware = w.firmware
      ? await w.firmware.open(answer.serve === "asset" ? answer.path : answer.name)
      : undefined;
    if (inFirmware?.ok || answer.serve === "firmware") return inFirmware!;
    const found = await w.files.open(answer.path);
    if (!found.ok)
      note(
        "warn",
        ip,
        check.name,
        `config ${answer.config}: ${answer.path} is in neither --pi-firmware nor --tftp-root`,
      );
    return found;
  };
}

/** The firmware directory's config.txt, ending in a newline, or nothing: Enforcer's lines go after it. */
async function baseConfig(firmware: Pick<BootFiles, "open"> | undefined): Promise<string> {
  const f = await firmware?.open("config.txt");
  if (!f?.ok) return "";
  try {
    const text = Buffer.from(await f.read(0, Math.min(f.size, BASE_CONFIG_LIMIT))).toString("utf8");
    return text === "" || text.endsWith("\n") ? text : `${text}\n`;
  } finally {
    f.close();
  }
}

/**
 * The firmware directory as a file namespace, or undefined; says at start when Pis will get no firmware
 * (not set, missing, or without start4.elf), like the missing-loader notice. A Pi 5 needs no start4.elf
 * (its firmware is in the EEPROM), so an empty directory is only a warning.
 */
export function openPiFirmware(
  dir: string | undefined,
  log: Logger,
  answersPis = true,
): BootFiles | undefined {
  if (!dir) {
    // Only worth a line when this Enforcer answers Pis' DHCP: otherwise no Pi is sent here.
    if (answersPis)
      log.info("pi: no --pi-firmware: Raspberry Pi 4 clients find no start4.elf and fall through");
    return undefined;
  }
  let files: BootFiles;
  try {
    files = new BootFiles({ generated: () => undefined, root: dir });
  } catch (err) {
    log.warn(
      `pi: --pi-firmware ${dir} cannot be used (${(err as NodeJS.ErrnoException).code ?? err}): Pis get no firmware`,
    );
    return undefined;
  }
  if (!existsSync(join(dir, "start4.elf")))
    log.warn(
      `pi: no start4.elf in --pi-firmware ${dir}: Raspberry Pi 4 clients fall through (a Pi 5 needs none)`,
    );
  return files;
}
