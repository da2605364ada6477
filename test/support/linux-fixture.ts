import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { buildBootImage } from "../../src/discovery/build.js";
import { INIT_NETWORK, INIT_PREAMBLE } from "../../src/discovery/init-script.js";

/** A real Debian kernel and a busybox initrd whose /init prints markers and calls the completion URL. */
export interface LinuxFixture {
  kernel: string;
  initrd: string;
}

// The test image's /init. It reports what the kernel and DMI say, fetches the URL named by
// enforcer.done= on the kernel command line (the config's completion callback) and powers off.
const INIT = `${INIT_PREAMBLE}echo "ENF-INITRD-UP"
echo "ENF-DMI uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null) serial=$(cat /sys/class/dmi/id/product_serial 2>/dev/null)"
${INIT_NETWORK}done_url=$(sed -n 's/.*enforcer\\.done=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
if [ -n "$done_url" ]; then
  if wget -q -O /tmp/done "$done_url"; then echo "ENF-COMPLETED"; else echo "ENF-COMPLETE-FAILED"; fi
fi
echo "ENF-POWEROFF"
poweroff -f
`;

/**
 * Builds (once, cached under .cache/) the test image with the same builder as `enforcer discovery build`,
 * with the test /init instead of the agent. Built in a temporary directory and renamed into place, so
 * parallel test files never see half a fixture.
 */
export function linuxFixture(): LinuxFixture {
  const root = resolve(process.env.ENFORCER_TEST_CACHE ?? ".cache/linux-fixture");
  const done = { kernel: join(root, "vmlinuz"), initrd: join(root, "initrd.gz") };
  if (existsSync(done.kernel) && existsSync(done.initrd)) return done;
  mkdirSync(dirname(root), { recursive: true });
  const work = mkdtempSync(`${root}.build-`);
  try {
    buildBootImage(join(work, "out"), { init: INIT });
    try {
      renameSync(join(work, "out"), root);
    } catch {
      // Another test file finished first; its fixture is the same.
    }
    return done;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
