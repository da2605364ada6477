import type { BootSpec } from "./boot-spec.js";
import type { Profile } from "./profile.js";
import { splitArgs, type FillTemplate } from "./fill-template.js";

/**
 * Values known when a config is armed: `files_url` is the config's secret base URL (ends in `/`),
 * plus hostname, mac, console and the rest (see docs/profiles.md for the full list).
 */
export type BootVars = Readonly<Record<string, string>>;

/** A family's boot: the spec, and the provisioning files it serves (templates, rendered by the core). */
export interface FamilyBoot {
  spec: BootSpec;
  files: Record<string, string>;
}

const DEFAULT_CONSOLE = "ttyS0,115200n8";

/**
 * Builds what a profile boots for one machine: kernel, initrds, cmdline, files. `fillTemplate` fills the
 * profile's `{{ }}` templates (the core's liquid, checked for iPXE); the domain imports no template engine.
 */
export function familyBoot(p: Profile, vars: BootVars, fillTemplate: FillTemplate): FamilyBoot {
  const fill = fillTemplate;
  const at = (path: string) => `${trimSlash(p.location ?? "")}/${path}`;
  const files = vars.files_url ?? "";
  const tail = [...consoleArgs(p.console), ...splitArgs(fill(p.extraArgs ?? "", vars, "extraArgs"))];
  const linux = (kernel: string, initrds: string[], args: string[]): BootSpec => ({
    kind: "linux",
    kernel,
    args: [...args, ...tail],
    initrds: initrds.map((url) => ({ url, name: imageName(url) })),
  });
  const provisioning = p.provisioning ?? "";
  switch (p.family) {
    case "debian": {
      // Debian installer, appendix B.2.2: "auto=true priority=critical url=..." reads the preseed before the
      // network questions; hostname/domain/interface are its documented short aliases.
      const args = [
        "auto=true",
        "priority=critical",
        `url=${files}preseed.cfg`,
        "interface=auto",
        ...hostnameArgs(vars.hostname),
      ];
      return { spec: linux(at("linux"), [at("initrd.gz")], args), files: { "preseed.cfg": provisioning } };
    }
    case "ubuntu": {
      // Subiquity autoinstall from a netbooted casper: the ISO by url=, the user-data by the NoCloud datasource.
      const args = ["ip=dhcp", `url=${p.image}`, "autoinstall", `ds=nocloud-net;s=${files}`];
      const meta = `instance-id: {{ config_id }}\nlocal-hostname: {{ hostname }}\n`;
      return {
        spec: linux(at("casper/vmlinuz"), [at("casper/initrd")], args),
        files: { "user-data": provisioning, "meta-data": meta, "vendor-data": "" },
      };
    }
    case "rhel": {
      // Anaconda boot options: inst.repo names the install tree, inst.ks the kickstart.
      const args = [`inst.repo=${trimSlash(p.location ?? "")}`, `inst.ks=${files}ks.cfg`, "ip=dhcp"];
      return {
        spec: linux(at("images/pxeboot/vmlinuz"), [at("images/pxeboot/initrd.img")], args),
        files: { "ks.cfg": provisioning },
      };
    }
    case "fedora-coreos": {
      // The live PXE image installs to disk with coreos.inst.*; location is the build's file prefix.
      const arch = coreosArch(vars.arch);
      const prefix = trimSlash(p.location ?? "");
      const args = [
        `coreos.live.rootfs_url=${prefix}-live-rootfs.${arch}.img`,
        `coreos.inst.install_dev=${fill("{{install_dev}}", vars, "fedora-coreos")}`,
        `coreos.inst.ignition_url=${files}config.ign`,
        "ignition.firstboot",
        "ignition.platform.id=metal",
      ];
      return {
        spec: linux(`${prefix}-live-kernel-${arch}`, [`${prefix}-live-initramfs.${arch}.img`], args),
        files: { "config.ign": provisioning },
      };
    }
    case "flatcar": {
      const args = ["flatcar.first_boot=1", `ignition.config.url=${files}config.ign`];
      return {
        spec: linux(at("flatcar_production_pxe.vmlinuz"), [at("flatcar_production_pxe_image.cpio.gz")], args),
        files: { "config.ign": provisioning },
      };
    }
    case "alpine": {
      // Alpine's netboot initramfs: modloop and alpine_repo; apkovl carries our script as a local.d service.
      const args = [
        `modloop=${at("modloop-lts")}`,
        `alpine_repo=${fill("{{alpine_repo}}", vars, "alpine")}`,
        "ip=dhcp",
        `apkovl=${files}enforcer.apkovl.tar.gz`,
      ];
      return {
        spec: linux(at("vmlinuz-lts"), [at("initramfs-lts")], args),
        files: { "provision.sh": provisioning },
      };
    }
    case "custom": {
      const kernel = fill(p.kernel ?? "", vars, "kernel");
      const initrds = (p.initrds ?? []).map((u, i) => fill(u, vars, `initrds[${i}]`));
      const args = splitArgs(fill(p.cmdline ?? "", vars, "cmdline"));
      return { spec: linux(kernel, initrds, args), files: p.provisioning ? { provision: provisioning } : {} };
    }
    case "ipxe": {
      const lines = fill(p.ipxe ?? "", vars, "ipxe").split(/\r?\n/);
      const body = lines[0]?.startsWith("#!ipxe") ? lines.slice(1) : lines;
      return {
        spec: { kind: "ipxe", lines: body },
        files: p.provisioning ? { provision: provisioning } : {},
      };
    }
  }
}

function consoleArgs(console: string | undefined): string[] {
  if (console === "") return [];
  return ["console=tty0", `console=${console ?? DEFAULT_CONSOLE}`];
}

function hostnameArgs(fqdn: string | undefined): string[] {
  if (!fqdn) return [];
  const [host, ...rest] = fqdn.split(".");
  return rest.length > 0 ? [`hostname=${host}`, `domain=${rest.join(".")}`] : [`hostname=${host}`];
}

function coreosArch(arch: string | undefined): string {
  return arch === "arm64" || arch === "aarch64" ? "aarch64" : "x86_64";
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, "");
}

/** The name iPXE gives a downloaded image: the last path segment without the query string. */
export function imageName(url: string): string {
  const path = url.split(/[?#]/)[0] ?? "";
  return path.slice(path.lastIndexOf("/") + 1) || "initrd";
}
