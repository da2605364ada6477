#!/bin/sh
# Enforcer's JSON agent for busybox (the discovery image) and any POSIX host with wget: reports this
# machine's inventory, then long-polls for commands and carries them out. Protocol: docs/agents.md,
# "Enforcer's JSON agent protocol".
# Settings come from the kernel command line (enforcer.url=, enforcer.key=) or the environment
# (ENFORCER_URL, ENFORCER_KEY: a discovery key, or an agent-role token on installed hosts).
# ENFORCER_REBOOT_CMD replaces "reboot -f" (tests, dry runs).
set -u

arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline 2>/dev/null; }
url=${ENFORCER_URL:-$(arg enforcer\\.url)}
key=${ENFORCER_KEY:-$(arg enforcer\\.key)}
[ -n "$url" ] && [ -n "$key" ] || { echo "enforcer-agent: no enforcer.url/enforcer.key" >&2; exit 2; }

clean() { [ -r "$1" ] && tr -d '"\\\000-\037' < "$1" 2>/dev/null | head -c 64; }

inventory() {
  macs="" nics="" disks=""
  for dev in /sys/class/net/*; do
    [ -e "$dev/device" ] || continue
    mac=$(clean "$dev/address"); [ -n "$mac" ] || continue
    driver=$(basename "$(readlink "$dev/device/driver" 2>/dev/null)" 2>/dev/null)
    link=false; [ "$(cat "$dev/carrier" 2>/dev/null)" = 1 ] && link=true
    macs="$macs${macs:+,}\"$mac\""
    nics="$nics${nics:+,}{\"name\":\"$(basename "$dev")\",\"mac\":\"$mac\",\"driver\":\"$driver\",\"link\":$link}"
  done
  for dev in /sys/block/*; do
    [ -e "$dev" ] || continue
    case "$(basename "$dev")" in loop*|ram*|sr*) continue ;; esac
    size=$(( $(cat "$dev/size" 2>/dev/null || echo 0) * 512 ))
    disks="$disks${disks:+,}{\"name\":\"$(basename "$dev")\",\"sizeBytes\":$size,\"model\":\"$(clean "$dev/device/model")\",\"serial\":\"$(clean "$dev/device/serial")\"}"
  done
  mem=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)
  cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -1 | tr -d '"\\' | head -c 64)
  printf '{"macs":[%s],"inventory":{"macs":[%s],"uuid":"%s","serial":"%s","vendor":"%s","product":"%s","cpu":{"model":"%s","count":%s},"memoryKiB":%s,"disks":[%s],"nics":[%s]}}' \
    "$macs" "$macs" "$(clean /sys/class/dmi/id/product_uuid)" "$(clean /sys/class/dmi/id/product_serial)" \
    "$(clean /sys/class/dmi/id/sys_vendor)" "$(clean /sys/class/dmi/id/product_name)" "$cpu" \
    "$(grep -c '^processor' /proc/cpuinfo 2>/dev/null || echo 0)" "${mem:-0}" "$disks" "$nics"
}

# Debian's busybox-static 1.35 wget crashes on its own -T option, so the time limit comes from timeout.
call() { # call PATH [POST-DATA]: prints the answer; fails on an HTTP error
  if [ $# -gt 1 ]; then
    timeout 45 wget -q -O - --header "Authorization: Bearer $key" --header "Content-Type: application/json" --post-data "$2" "$url$1"
  else
    timeout 45 wget -q -O - --header "Authorization: Bearer $key" "$url$1"
  fi
}

until call /api/v1/agent/report "$(inventory)" >/dev/null; do
  echo "enforcer-agent: report failed, retrying" >&2
  sleep 5
done
echo "ENF-AGENT-REPORTED"
# With a discovery key the server knows the machine; with an agent token the poll names it.
self=$(for dev in /sys/class/net/*; do [ -e "$dev/device" ] && clean "$dev/address" && break; done)

while :; do
  lines=$(call "/api/v1/agent/commands?wait=25&format=lines&mac=$self") || { sleep 5; continue; }
  echo "$lines" | while read -r id type; do
    [ -n "$id" ] || continue
    case "$type" in
      reboot)
        call "/api/v1/agent/commands/$id?mac=$self" '{"ok":true,"detail":"rebooting"}' >/dev/null
        echo "ENF-AGENT-REBOOT"
        sync
        ${ENFORCER_REBOOT_CMD:-reboot -f}
        ;;
      *) call "/api/v1/agent/commands/$id?mac=$self" "{\"ok\":false,\"detail\":\"unknown command $type\"}" >/dev/null ;;
    esac
  done
done
