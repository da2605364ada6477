#!/usr/bin/env bash
# Makes sure the real peers are installed. `test` (default): iPXE in QEMU (BIOS and OVMF), Debian's iPXE
# loaders, busybox-static and cpio for the test initrd, the TFTP clients curl, atftp and tftp-hpa, serf,
# Chromium for the web app's tests (driven by playwright-core; no browser is downloaded), python3 (its raw
# sockets send the UDP datagrams from source port 0 that Node cannot) and python3-yaml: PyYAML and shlex, the
# readers cloud-init and Anaconda use, for the provisioning-file escaping tests. The layer-2 lab (test/lab/) and the DHCP tests (test/dhcp/):
# iproute2 (namespaces, bridge, veth, tap) and dnsmasq-base (the site's DHCP server and dnsmasq's proxyDHCP;
# the binary only: the `dnsmasq` package would also start a system-wide DNS service); udhcpc is busybox's.
# systemd (systemd-analyze) and libseccomp2 for the unit's tests (test/systemd/).
# The ARM smoke (test/arm64/): qemu-user-static and the arm64 and armhf cross libraries the official Node
# builds load (libatomic too for armv7l); the Node binaries come from npm (docs/platforms.md).
# The container image test (test/container/): podman, buildah and runc (crun fails on this kind of VM), and
# libcap2-bin's setcap for the locally made base image.
# `bench`: also tftpd-hpa and wrk, the peers the benchmarks compare with, strace (the writes row) and nginx (the boot
# storm's classic stack; installed without starting the system service on port 80). Installs what is missing with
# apt-get when running as root; otherwise stops with one line that says what to install.
set -euo pipefail

packages=(qemu-system-x86 ipxe-qemu ipxe ovmf busybox-static cpio curl atftp tftp-hpa serf chromium python3 python3-yaml iproute2 dnsmasq-base
  systemd libseccomp2
  qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libc6-armhf-cross libstdc++6-armhf-cross libatomic1-armhf-cross
  podman buildah runc libcap2-bin)
# etcd: the shared store's tests (one member or a 3-member cluster on loopback; the policy-rc.d below keeps
# the package's own etcd service from starting).
packages+=(etcd-server etcd-client)
# Power control: ipmitool is the IPMI driver's tool; ipmi_sim (openipmi) is the BMC its tests drive.
packages+=(ipmitool openipmi)
# The Redfish contract fake makes its self-signed certificate with openssl (the etcd TLS tests use it too).
packages+=(openssl)
[ "${1:-test}" = bench ] && packages+=(tftpd-hpa wrk strace nginx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# atftpd (the TFTP bench's windowsize peer) conflicts with tftpd-hpa as a package: its binary is unpacked
# from the .deb instead (bench/tftp-peers.ts looks there), and it runs unprivileged on a high port.
atftpd_dir=/var/cache/enforcer-peers/atftpd
if [ "${1:-test}" = bench ] && [ ! -x "$atftpd_dir/usr/sbin/atftpd" ] && [ ! -x /usr/sbin/atftpd ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "enforcer benches need atftpd: sudo bash scripts/ensure-peers.sh bench (unpacks it to $atftpd_dir)" >&2
    exit 1
  fi
  deb_dir=$(mktemp -d) && trap 'rm -rf "$deb_dir"' EXIT
  (cd "$deb_dir" && apt-get download -qq atftpd 2>/dev/null) || { apt-get update -qq && (cd "$deb_dir" && apt-get download -qq atftpd); }
  mkdir -p "$atftpd_dir" && dpkg-deb -x "$deb_dir"/atftpd_*.deb "$atftpd_dir"
fi
# The QEMU tests build their kernel from the current linux-image package: apt needs its package lists.
need_lists=0
apt-cache policy linux-image-amd64 2>/dev/null | grep -q "Candidate: [0-9]" || need_lists=1
[ ${#missing[@]} -eq 0 ] && [ $need_lists -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "enforcer ${1:-test}s need these Debian packages: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing test peers: ${missing[*]}" >&2
  # A policy-rc.d that says 101 keeps maintainer scripts from starting services (nginx would take port 80);
  # one already there (a container's) stays as it is.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  status=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  exit $status
fi
