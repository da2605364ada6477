// The little of iPXE's script language a storm machine needs: the URLs `boot.ipxe` chains (their settings
// expanded for this machine), and the kernel, initrds and provisioning URL of a per-machine script.

/** The settings iPXE would expand in a chain URL, for one machine. */
export interface IpxeVars {
  /** `52:54:00:…` */
  mac: string;
  uuid: string;
}

/** What a per-machine script boots. */
export interface ScriptBoot {
  kernel: string;
  initrds: string[];
  /** The `url=` kernel argument (the installer's provisioning file), when there is one. */
  provisioning?: string;
}

/** Expands `${name}` and `${name:format}` settings as iPXE would for a UEFI x64 machine booted from its first NIC. */
function expand(text: string, vars: IpxeVars, sets: Map<string, string>): string {
  return text.replace(/\$\{([^}]+)\}/g, (_, ref: string) => {
    const [name, format] = ref.split(":") as [string, string | undefined];
    if (sets.has(name)) return expand(sets.get(name)!, vars, sets);
    if (name === "netX/mac" || name === "net0/mac" || name === "mac")
      return format === "hexhyp" ? vars.mac.replace(/:/g, "-") : vars.mac;
    if (name === "uuid") return vars.uuid;
    if (name === "buildarch") return "x86_64";
    if (name === "platform") return "efi";
    return "";
  });
}

/**
 * The `chain` URLs of a general script in order, expanded: iPXE tries each (`chain … || …`) until one answers a
 * script, and boots the local disk when none does (Enforcer's asks /boot/machine, then /boot/discovery).
 */
export function chainUrls(script: string, vars: IpxeVars): string[] {
  const sets = new Map<string, string>();
  const urls: string[] = [];
  for (const line of script.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words[0] === "set" && words[1]) sets.set(words[1], words.slice(2).join(" "));
    if (words[0] === "chain") {
      const url = words.slice(1).find((w) => !w.startsWith("-"));
      if (url) urls.push(expand(url, vars, sets));
    }
  }
  return urls;
}

/** The kernel and initrds of a per-machine script; throws if it boots no kernel. */
export function scriptBoot(script: string): ScriptBoot {
  let kernel: string | undefined;
  let provisioning: string | undefined;
  const initrds: string[] = [];
  for (const line of script.split("\n")) {
    const words = line.trim().split(/\s+/);
    const args = words.slice(1).filter((w) => !w.startsWith("--") && !/^-\w$/.test(w));
    // `--name X` takes a value: drop it with its flag.
    const named = words.indexOf("--name");
    const url = named > 0 ? words.slice(named + 2)[0] : args[0];
    if (words[0] === "kernel") {
      kernel = args[0];
      provisioning = args.find((a) => a.startsWith("url="))?.slice(4);
    } else if (words[0] === "initrd" && url) initrds.push(url);
  }
  if (!kernel) throw new Error(`the per-machine script boots no kernel:\n${script.slice(0, 300)}`);
  return { kernel, initrds, ...(provisioning ? { provisioning } : {}) };
}
