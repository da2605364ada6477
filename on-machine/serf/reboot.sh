#!/bin/sh
# Serf query handler for "reboot": answers "ok <boot id>" at once, then reboots a few seconds later, detached,
# so the reply leaves the host first (serf runs handlers one at a time and sends the reply after exit 0).
# ENFORCER_REBOOT_CMD replaces the reboot command (tests use it; default: reboot).
# Install: serf agent -event-handler 'query:reboot=/path/to/reboot.sh'
set -u
cmd=${ENFORCER_REBOOT_CMD:-reboot}
echo "ok $(tr -d '\n' < /proc/sys/kernel/random/boot_id 2>/dev/null)"
(sleep 3; sh -c "$cmd") </dev/null >/dev/null 2>&1 &
exit 0
