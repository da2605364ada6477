import type { OsFamily } from "./profile.js";

/**
 * How a provisioning file is read, which decides how values are placed in it: `preseed` (debconf lines;
 * `*_command` values are shell), `kickstart` (shlex command lines; %pre/%post are shell), `yaml`
 * (cloud-init), `json` (Ignition), `shell`, `ipxe` (a chained iPXE script) and `text` (any other lines).
 */
export type FileFormat = "preseed" | "kickstart" | "yaml" | "json" | "shell" | "ipxe" | "text";

/**
 * The format of one file a family serves. Known families have fixed formats; `custom` and `ipxe` files have
 * no declared format, so their first line decides: `#!ipxe`, a `#!` line naming a shell, `#cloud-config`,
 * a leading `{`; anything else is plain lines.
 */
export function fileFormat(family: OsFamily, name: string, template: string): FileFormat {
  switch (family) {
    case "debian":
      return "preseed";
    case "rhel":
      return "kickstart";
    case "ubuntu":
      return "yaml"; // user-data (autoinstall is #cloud-config), meta-data and vendor-data
    case "fedora-coreos":
    case "flatcar":
      return "json"; // Ignition reads JSON only; Butane must be transpiled before it becomes a profile
    case "alpine":
      return name === "provision.sh" ? "shell" : "text";
    case "custom":
    case "ipxe":
      return sniff(template);
  }
}

function sniff(template: string): FileFormat {
  const first = template.split("\n", 1)[0]!.trim();
  if (/^#!\s*ipxe\b/.test(first)) return "ipxe";
  if (/^#!.*\b(sh|bash|ash|dash|ksh|zsh|busybox)\b/.test(first)) return "shell";
  if (/^#cloud-config\b/.test(first)) return "yaml";
  if (template.trimStart().startsWith("{")) return "json";
  return "text";
}
