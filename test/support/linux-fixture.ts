import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { buildBootImage, buildDiscoveryImage } from "../../src/discovery/build.js";
import { DISCOVERY_INIT, INIT_NETWORK, INIT_PREAMBLE } from "../../src/discovery/init-script.js";

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
  return cached(
    resolve(process.env.ENFORCER_TEST_CACHE ?? ".cache/linux-fixture"),
    (out) => void buildBootImage(out, { init: INIT }),
  );
}

/**
 * The discovery image `enforcer discovery build` makes, built once and cached under .cache/ in a folder named
 * by a hash of its /init and the shell agent, so a changed agent gets a new image. Tests that need a VM to go
 * through discovery without paying the Debian download each run pass its folder as --discovery-image.
 */
export function discoveryFixture(): LinuxFixture & { dir: string } {
  const agent = readFileSync(resolve("on-machine/shell/enforcer-agent.sh"));
  const key = createHash("sha256").update(DISCOVERY_INIT).update(agent).digest("hex").slice(0, 12);
  const dir = resolve(`.cache/discovery-image-${key}`);
  return { dir, ...cached(dir, (out) => void buildDiscoveryImage(out)) };
}

function cached(root: string, build: (out: string) => void): LinuxFixture {
  const done = { kernel: join(root, "vmlinuz"), initrd: join(root, "initrd.gz") };
  if (existsSync(done.kernel) && existsSync(done.initrd)) return done;
  mkdirSync(dirname(root), { recursive: true });
  const work = mkdtempSync(`${root}.build-`);
  try {
    build(join(work, "out"));
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
