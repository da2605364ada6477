import { EnforcerError } from "./errors.js";

/** The OS families Enforcer knows how to boot from a file location and a provisioning file. */
export const OS_FAMILIES = [
  "debian",
  "ubuntu",
  "rhel",
  "fedora-coreos",
  "flatcar",
  "alpine",
  "custom",
  "ipxe",
] as const;
/** One of OS_FAMILIES. */
export type OsFamily = (typeof OS_FAMILIES)[number];

/** An OS profile: for a known family only `location` and `provisioning` are needed. */
export interface Profile {
  name: string;
  family: OsFamily;
  /** Base URL of the installer files (meaning per family: see docs/profiles.md). */
  location?: string;
  /** The provisioning file template: preseed, kickstart, autoinstall user-data, Ignition, a shell script. */
  provisioning?: string;
  /** ubuntu: the live-server ISO URL that casper downloads. */
  image?: string;
  /** custom: explicit kernel URL, initrd URLs and kernel command line (templates allowed). */
  kernel?: string;
  initrds?: string[];
  cmdline?: string;
  /** ipxe: a raw iPXE script template for anything else (wimboot, memtest, chaining elsewhere). */
  ipxe?: string;
  /** Extra kernel arguments appended for any family; `console` sets console= (default ttyS0,115200n8 + tty0). */
  extraArgs?: string;
  console?: string;
  /** Default values for template variables; a config's own variables win. */
  variables?: Record<string, string>;
  /** The sha256 a kernel or initrd must have, by its URL as rendered: the asset cache checks it when arming. */
  checksums?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

const NAME = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Checks the fields a family needs and refuses ones it cannot use (throws ENF_ERR_PROFILE_INVALID). */
export function validateProfile(p: Profile): Profile {
  const bad = (msg: string): never => {
    throw new EnforcerError("ENF_ERR_PROFILE_INVALID", `profile ${p.name}: ${msg}`, { profile: p.name });
  };
  if (!NAME.test(p.name)) bad("name must be 1-64 of a-z, 0-9, '.', '_' or '-'");
  const needs = (field: keyof Profile) => {
    if (p[field] === undefined || p[field] === "") bad(`family ${p.family} needs "${field}"`);
  };
  const refuses = (field: keyof Profile) => {
    if (p[field] !== undefined) bad(`family ${p.family} does not use "${field}"`);
  };
  if (p.family === "ipxe") {
    needs("ipxe");
    (["location", "kernel", "initrds", "cmdline", "image"] as const).forEach(refuses);
  } else if (p.family === "custom") {
    needs("kernel");
    (["location", "ipxe", "image"] as const).forEach(refuses);
  } else {
    needs("location");
    needs("provisioning");
    (["kernel", "initrds", "cmdline", "ipxe"] as const).forEach(refuses);
    if (p.family === "ubuntu") needs("image");
    else refuses("image");
  }
  for (const url of [p.location, p.image].filter((u): u is string => u !== undefined)) {
    if (!/^(https?|tftp):\/\/[^\s]+$/.test(url))
      bad(`"${url.slice(0, 80)}" is not an http, https or tftp URL`);
  }
  for (const [url, sha] of Object.entries(p.checksums ?? {})) {
    if (!/^https?:\/\/\S+$/.test(url)) bad(`checksums: "${url.slice(0, 80)}" is not an http or https URL`);
    if (!/^[0-9a-f]{64}$/i.test(sha))
      bad(`checksums: the sha256 of ${url.slice(0, 80)} is not 64 hex digits`);
  }
  if (Object.keys(p.checksums ?? {}).length > MAX_CHECKSUMS) bad(`checksums: at most ${MAX_CHECKSUMS} files`);
  return p;
}

/** A profile boots a kernel and a few initrds: more checksums than this are a mistake (or an attack). */
const MAX_CHECKSUMS = 16;
