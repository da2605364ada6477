import assert from "node:assert/strict";
import { test } from "node:test";
import { noLoadersNotice } from "./loader-notice.js";

test("the no-loaders warning names the directory searched, its setting, the TFTP root and the Debian package", () => {
  const plain = noLoadersNotice({ ipxeDir: "/usr/lib/ipxe" });
  assert.match(plain, /in \/usr\/lib\/ipxe \(--ipxe-dir, ENFORCER_IPXE_DIR\):/);
  assert.match(plain, /sudo apt-get install ipxe/);
  assert.doesNotMatch(plain, /tftp-root/);
  assert.match(
    noLoadersNotice({ ipxeDir: "/opt/ipxe", tftpRoot: "/srv/tftp" }),
    /nor under --tftp-root \/srv\/tftp/,
  );
});
