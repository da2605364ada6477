// The systemd unit as the tests read it: its settings by section, moved onto paths that exist here, and the
// sandbox parts (system call filter, address families) turned into what the seccomp helper applies.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The unit shipped in the package. */
export const UNIT_PATH = "packaging/systemd/enforcer.service";

/** A unit file's text: `get` answers every value a key has in a section, in order (systemd appends). */
export interface UnitFile {
  text: string;
  get(section: string, key: string): string[];
}

/** Parses unit file text (comments, sections, repeated keys; the unit uses no line continuations). */
export function parseUnit(text: string): UnitFile {
  const values = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = head[1]!;
      continue;
    }
    const eq = line.indexOf("=");
    const key = `${section}.${line.slice(0, eq)}`;
    values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1)]);
  }
  return { text, get: (s, k) => values.get(`${s}.${k}`) ?? [] };
}

/**
 * The shipped unit with its install paths replaced (`from` → `to`, each everywhere): Node and the global
 * install where they are on this machine, the state directory and settings file in a test's directory.
 */
export function localizedUnit(moves: Record<string, string>): UnitFile {
  let text = readFileSync(UNIT_PATH, "utf8");
  for (const [from, to] of Object.entries(moves)) text = text.split(from).join(to);
  return parseUnit(text);
}

/** `KEY=VALUE` lines as systemd's EnvironmentFile= reads the simple ones (no quotes, no continuations). */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m && !line.trim().startsWith("#")) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

/** System call groups as this machine's systemd defines them (`systemd-analyze syscall-filter`). */
function syscallGroups(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of execFileSync("systemd-analyze", ["syscall-filter"], {
    encoding: "utf8",
    // It says on stderr that it cannot list the calls in no group; only the groups matter here.
    stdio: ["ignore", "pipe", "ignore"],
  }).split("\n")) {
    if (/^@\S+$/.test(line)) groups.set(line, (current = []));
    else if (current && /^\s+[@a-z0-9_-]+$/.test(line)) current.push(line.trim());
  }
  return groups;
}

/**
 * The system calls the unit allows: its first SystemCallFilter= is an allow list, each `~` line after it
 * takes groups away, as systemd applies them (groups expanded recursively).
 */
export function allowedSyscalls(unit: UnitFile): string[] {
  const groups = syscallGroups();
  const expand = (name: string, into: Set<string>): Set<string> => {
    const members = groups.get(name);
    if (!name.startsWith("@")) into.add(name);
    else if (!members) throw new Error(`systemd-analyze does not know the group ${name}`);
    else for (const m of members) expand(m, into);
    return into;
  };
  const allowed = new Set<string>();
  for (const line of unit.get("Service", "SystemCallFilter")) {
    const deny = line.startsWith("~");
    for (const item of line.replace(/^~/, "").split(/\s+/).filter(Boolean)) {
      for (const call of expand(item, new Set())) {
        if (deny) allowed.delete(call);
        else allowed.add(call);
      }
    }
  }
  return [...allowed].sort();
}

/** Address family numbers of Linux, for the families a unit may name. */
const FAMILIES: Record<string, number> = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  AF_NETLINK: 16,
  AF_PACKET: 17,
};

/** The socket families RestrictAddressFamilies= allows, as numbers. */
export function allowedFamilies(unit: UnitFile): number[] {
  return unit
    .get("Service", "RestrictAddressFamilies")
    .flatMap((l) => l.split(/\s+/))
    .map((name) => {
      const n = FAMILIES[name];
      if (n === undefined) throw new Error(`unknown address family ${name} in the unit`);
      return n;
    });
}
