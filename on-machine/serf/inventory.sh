#!/bin/sh
# Serf query handler for "inventory": prints this machine's identity as one compact JSON line.
# Serf sends a query reply only if the handler exits 0, and drops replies over its response size limit
# (1024 bytes by default), so this stays small: at most 4 MACs, short strings. Enforcer validates it all.
# Install: serf agent -event-handler 'query:inventory=/path/to/inventory.sh'
set -u

clean() { # one line of a sysfs file, without quotes, backslashes or control characters, at most 64 bytes
  [ -r "$1" ] && tr -d '"\\\000-\037' < "$1" 2>/dev/null | head -c 64
}

macs=""
n=0
for dev in /sys/class/net/*; do
  [ -e "$dev/device" ] || continue # physical NICs only, not lo or bridges
  mac=$(clean "$dev/address")
  [ -n "$mac" ] || continue
  [ $n -lt 4 ] || break
  macs="$macs${macs:+,}\"$mac\""
  n=$((n + 1))
done

mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)
cpus=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null)
printf '{"macs":[%s],"uuid":"%s","serial":"%s","vendor":"%s","product":"%s","cpus":%s,"memoryKiB":%s,"bootId":"%s"}\n' \
  "$macs" \
  "$(clean /sys/class/dmi/id/product_uuid)" \
  "$(clean /sys/class/dmi/id/product_serial)" \
  "$(clean /sys/class/dmi/id/sys_vendor)" \
  "$(clean /sys/class/dmi/id/product_name)" \
  "${cpus:-0}" "${mem_kb:-0}" \
  "$(clean /proc/sys/kernel/random/boot_id)"
