import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";

/** A real Debian kernel and a busybox initrd whose /init prints markers and calls the completion URL. */
export interface LinuxFixture {
  kernel: string;
  initrd: string;
}

const MODULES = [
  "virtio_ring",
  "virtio",
  "virtio_pci_modern_dev",
  "virtio_pci_legacy_dev",
  "virtio_pci",
  "failover",
  "net_failover",
  "virtio_net",
  "e1000",
];

// The test initrd's /init. It reports what the kernel and DMI say, fetches the URL named by
// enforcer.done= on the kernel command line (the config's completion callback) and powers off.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in ${MODULES.join(" ")}; do insmod /lib/modules/$m.ko 2>/dev/null; done
echo "ENF-INITRD-UP"
echo "ENF-DMI uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null) serial=$(cat /sys/class/dmi/id/product_serial 2>/dev/null)"
ip link set lo up
for i in 1 2 3 4 5; do [ -e /sys/class/net/eth0 ] && break; sleep 1; done
ip link set eth0 up
udhcpc -i eth0 -n -q -t 10 -s /bin/udhcpc-script >/dev/null 2>&1 || echo "ENF-DHCP-FAILED"
done_url=$(sed -n 's/.*enforcer\\.done=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
if [ -n "$done_url" ]; then
  if wget -q -O /tmp/done "$done_url"; then echo "ENF-COMPLETED"; else echo "ENF-COMPLETE-FAILED"; fi
fi
echo "ENF-POWEROFF"
poweroff -f
`;

const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ifconfig "$interface" "$ip" netmask "$subnet" up
    [ -n "$router" ] && route add default gw "$router" "$interface"
    ;;
esac
exit 0
`;

/**
 * Builds (once, cached under .cache/) the kernel from Debian's current linux-image package and an initrd
 * of busybox-static plus the NIC modules. Built in a temporary directory and renamed into place, so
 * parallel test files never see half a fixture.
 */
export function linuxFixture(): LinuxFixture {
  const root = resolve(process.env.ENFORCER_TEST_CACHE ?? ".cache/linux-fixture");
  const done = { kernel: join(root, "vmlinuz"), initrd: join(root, "initrd.gz") };
  if (existsSync(done.kernel) && existsSync(done.initrd)) return done;
  mkdirSync(join(root, ".."), { recursive: true });
  const work = mkdtempSync(`${root}.build-`);
  try {
    const sh = (cmd: string) =>
      execFileSync("sh", ["-c", cmd], { cwd: work, stdio: ["ignore", "pipe", "inherit"] });
    const pkg = sh("apt-cache depends linux-image-amd64 | grep -o 'linux-image-[0-9][^ ]*' | head -1")
      .toString()
      .trim();
    if (!pkg) throw new Error("cannot find the current linux-image package (run apt-get update)");
    sh(`apt-get download ${pkg} 2>/dev/null && dpkg-deb -x ${pkg}_*.deb pkg && rm -f ${pkg}_*.deb`);
    const vmlinuz = readdirSync(join(work, "pkg/boot")).find((f) => f.startsWith("vmlinuz-"));
    if (!vmlinuz) throw new Error(`${pkg} has no vmlinuz`);
    const initrd = join(work, "initrd");
    mkdirSync(join(initrd, "bin"), { recursive: true });
    mkdirSync(join(initrd, "lib/modules"), { recursive: true });
    copyFileSync("/bin/busybox", join(initrd, "bin/busybox"));
    for (const m of MODULES) {
      const found = sh(`find pkg/lib/modules -name '${m}.ko' | head -1`).toString().trim();
      if (found) copyFileSync(join(work, found), join(initrd, "lib/modules", `${m}.ko`));
    }
    writeFileSync(join(initrd, "init"), INIT);
    writeFileSync(join(initrd, "bin/udhcpc-script"), UDHCPC_SCRIPT);
    chmodSync(join(initrd, "init"), 0o755);
    chmodSync(join(initrd, "bin/udhcpc-script"), 0o755);
    sh("cd initrd && find . | cpio -o -H newc 2>/dev/null | gzip -9 > ../initrd.gz");
    const out = join(work, "out");
    mkdirSync(out);
    renameSync(join(work, "pkg/boot", vmlinuz), join(out, "vmlinuz"));
    renameSync(join(work, "initrd.gz"), join(out, "initrd.gz"));
    try {
      renameSync(out, root);
    } catch {
      // Another test file finished first; its fixture is the same.
    }
    return done;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
