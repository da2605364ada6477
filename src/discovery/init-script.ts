/** NIC drivers and their dependencies, loaded in this order (most are modules in Debian's kernel). */
export const NIC_MODULES = [
  "virtio_ring",
  "virtio",
  "virtio_pci_modern_dev",
  "virtio_pci_legacy_dev",
  "virtio_pci",
  "failover",
  "net_failover",
  "virtio_net",
  "e1000",
  "e1000e",
  "igb",
  "ixgbe",
  "r8169",
  "tg3",
  "bnx2",
];

/** The start of every image's /init: busybox applets, pseudo file systems, NIC drivers. */
export const INIT_PREAMBLE = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in ${NIC_MODULES.join(" ")}; do insmod /lib/modules/$m.ko 2>/dev/null; done
`;

/** Brings the NICs up one by one until DHCP answers on one of them. */
export const INIT_NETWORK = `ip link set lo up
for i in 1 2 3 4 5; do ls /sys/class/net | grep -qv '^lo$' && break; sleep 1; done
for dev in /sys/class/net/*; do
  n=$(basename "$dev"); [ "$n" = lo ] && continue
  ip link set "$n" up
  udhcpc -i "$n" -n -q -t 10 -s /bin/udhcpc-script >/dev/null 2>&1 && break
done
`;

/**
 * The discovery image's /init: mount the pseudo file systems, load the NIC drivers, bring a NIC up with
 * DHCP, then run Enforcer's shell agent, which reports and waits for commands.
 */
export const DISCOVERY_INIT = `${INIT_PREAMBLE}echo "ENF-DISCOVERY-UP"
${INIT_NETWORK}exec /bin/enforcer-agent
`;

/** busybox udhcpc's hook: configure the address and the default route. */
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ifconfig "$interface" "$ip" netmask "$subnet" up
    [ -n "$router" ] && route add default gw "$router" "$interface"
    ;;
esac
exit 0
`;
