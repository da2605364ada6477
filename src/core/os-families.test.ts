// Each family's exact boot, checked against the installer's documented boot parameters (docs/profiles.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { fillBootTemplate } from "./boot-template.js";
import { familyBoot } from "../domain/os-families.js";
import type { Profile } from "../domain/profile.js";

const FILES = "http://enf:8080/p/SECRET/";
const vars = {
  files_url: FILES,
  hostname: "web1.rack3.example",
  mac: "52:54:00:00:00:01",
  arch: "x86_64",
  install_dev: "/dev/vda",
};
const base = { createdAt: "", updatedAt: "", provisioning: "PROVISION" };
const CONSOLE = ["console=tty0", "console=ttyS0,115200n8"];

test("debian: netboot linux + initrd.gz, preseed by url= with auto/priority, hostname and domain split", () => {
  const loc =
    "http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64";
  const fb = familyBoot(
    { ...base, name: "d", family: "debian", location: `${loc}/` } as Profile,
    vars,
    fillBootTemplate,
  );
  assert.deepEqual(fb.spec, {
    kind: "linux",
    kernel: `${loc}/linux`,
    initrds: [{ url: `${loc}/initrd.gz`, name: "initrd.gz" }],
    args: [
      "auto=true",
      "priority=critical",
      `url=${FILES}preseed.cfg`,
      "interface=auto",
      "hostname=web1",
      "domain=rack3.example",
      ...CONSOLE,
    ],
  });
  assert.deepEqual(fb.files, { "preseed.cfg": "PROVISION" });
});

test("ubuntu: casper kernel/initrd, ISO by url=, autoinstall with the NoCloud datasource at our files URL", () => {
  const p = {
    ...base,
    name: "u",
    family: "ubuntu",
    location: "http://m/ubuntu-24.04",
    image: "http://m/ubuntu-24.04.iso",
  } as Profile;
  const fb = familyBoot(p, vars, fillBootTemplate);
  assert.deepEqual(fb.spec, {
    kind: "linux",
    kernel: "http://m/ubuntu-24.04/casper/vmlinuz",
    initrds: [{ url: "http://m/ubuntu-24.04/casper/initrd", name: "initrd" }],
    args: [
      "ip=dhcp",
      "url=http://m/ubuntu-24.04.iso",
      "autoinstall",
      `ds=nocloud-net;s=${FILES}`,
      ...CONSOLE,
    ],
  });
  assert.deepEqual(Object.keys(fb.files).sort(), ["meta-data", "user-data", "vendor-data"]);
  assert.equal(fb.files["user-data"], "PROVISION");
});

test("rhel: images/pxeboot, inst.repo is the tree and inst.ks the kickstart", () => {
  const loc = "http://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os";
  const fb = familyBoot(
    { ...base, name: "r", family: "rhel", location: loc } as Profile,
    vars,
    fillBootTemplate,
  );
  assert.deepEqual(fb.spec, {
    kind: "linux",
    kernel: `${loc}/images/pxeboot/vmlinuz`,
    initrds: [{ url: `${loc}/images/pxeboot/initrd.img`, name: "initrd.img" }],
    args: [`inst.repo=${loc}`, `inst.ks=${FILES}ks.cfg`, "ip=dhcp", ...CONSOLE],
  });
  assert.deepEqual(fb.files, { "ks.cfg": "PROVISION" });
});

test("fedora-coreos: live kernel/initramfs/rootfs from the build prefix, coreos.inst.* installs with our Ignition", () => {
  const prefix = "http://m/fcos/fedora-coreos-40.20240616.3.0";
  const fb = familyBoot(
    { ...base, name: "f", family: "fedora-coreos", location: prefix } as Profile,
    vars,
    fillBootTemplate,
  );
  assert.deepEqual(fb.spec, {
    kind: "linux",
    kernel: `${prefix}-live-kernel-x86_64`,
    initrds: [
      {
        url: `${prefix}-live-initramfs.x86_64.img`,
        name: "fedora-coreos-40.20240616.3.0-live-initramfs.x86_64.img",
      },
    ],
    args: [
      `coreos.live.rootfs_url=${prefix}-live-rootfs.x86_64.img`,
      "coreos.inst.install_dev=/dev/vda",
      `coreos.inst.ignition_url=${FILES}config.ign`,
      "ignition.firstboot",
      "ignition.platform.id=metal",
      ...CONSOLE,
    ],
  });
});

test("flatcar: PXE vmlinuz and image cpio, first boot with ignition.config.url", () => {
  const loc = "http://stable.release.flatcar-linux.net/amd64-usr/current";
  const fb = familyBoot(
    { ...base, name: "fl", family: "flatcar", location: loc, console: "" } as Profile,
    vars,
    fillBootTemplate,
  );
  assert.deepEqual(fb.spec, {
    kind: "linux",
    kernel: `${loc}/flatcar_production_pxe.vmlinuz`,
    initrds: [
      { url: `${loc}/flatcar_production_pxe_image.cpio.gz`, name: "flatcar_production_pxe_image.cpio.gz" },
    ],
    args: ["flatcar.first_boot=1", `ignition.config.url=${FILES}config.ign`],
  });
});

test("alpine: netboot lts kernel, modloop and alpine_repo, our script delivered as an apkovl", () => {
  const loc = "http://dl-cdn.alpinelinux.org/alpine/v3.20/releases/x86_64/netboot";
  const p = { ...base, name: "a", family: "alpine", location: loc, variables: {} } as Profile;
  assert.throws(
    () => familyBoot(p, vars, fillBootTemplate),
    (e) => isEnforcerError(e, "ENF_ERR_TEMPLATE_VARIABLE_MISSING"),
  );
  const fb = familyBoot(
    p,
    { ...vars, alpine_repo: "http://dl-cdn.alpinelinux.org/alpine/v3.20/main" },
    fillBootTemplate,
  );
  assert.deepEqual(fb.spec, {
    kind: "linux",
    kernel: `${loc}/vmlinuz-lts`,
    initrds: [{ url: `${loc}/initramfs-lts`, name: "initramfs-lts" }],
    args: [
      `modloop=${loc}/modloop-lts`,
      "alpine_repo=http://dl-cdn.alpinelinux.org/alpine/v3.20/main",
      "ip=dhcp",
      `apkovl=${FILES}enforcer.apkovl.tar.gz`,
      ...CONSOLE,
    ],
  });
  assert.deepEqual(fb.files, { "provision.sh": "PROVISION" });
});

test("custom: explicit kernel, initrds and cmdline with placeholders filled", () => {
  const p = {
    ...base,
    name: "c",
    family: "custom",
    kernel: "http://m/{{arch}}/vmlinuz",
    initrds: ["http://m/initrd.gz"],
    cmdline: "root=/dev/ram0 host={{hostname}}",
    console: "",
  } as Profile;
  assert.deepEqual(familyBoot(p, vars, fillBootTemplate).spec, {
    kind: "linux",
    kernel: "http://m/x86_64/vmlinuz",
    initrds: [{ url: "http://m/initrd.gz", name: "initrd.gz" }],
    args: ["root=/dev/ram0", "host=web1.rack3.example"],
  });
});

test("no variable can add a kernel argument or a script line, in any template", () => {
  const hostile = ["a b", "x\nshell", "${net0/mac}", "a||reboot", "a&&b", 'q"uote', "back\\slash", "nul\0x"];
  const p = {
    ...base,
    name: "c",
    family: "custom",
    kernel: "http://m/k",
    cmdline: "x={{serial}}",
    console: "",
  } as Profile;
  const raw = { ...base, name: "i", family: "ipxe", ipxe: "#!ipxe\nchain http://m/{{serial}}" } as Profile;
  for (const serial of hostile) {
    for (const prof of [p, raw]) {
      assert.throws(
        () => familyBoot(prof, { ...vars, serial }, fillBootTemplate),
        (e) => isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE"),
      );
    }
  }
});
