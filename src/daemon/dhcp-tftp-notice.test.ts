import assert from "node:assert/strict";
import { test } from "node:test";
import { tftpOffNotice } from "./dhcp-tftp-notice.js";

test("answering DHCP with TFTP off warns that PXE clients are sent to a TFTP server that is not there", () => {
  assert.match(
    tftpOffNotice({ dhcp: "proxy", tftp: false }) ?? "",
    /--dhcp proxy with --no-tftp: BIOS, UEFI PXE/,
  );
  assert.match(tftpOffNotice({ dhcp: "server", tftp: false }) ?? "", /--dhcp server with --no-tftp/);
  assert.equal(tftpOffNotice({ dhcp: "proxy", tftp: true }), undefined);
  assert.equal(tftpOffNotice({ dhcp: "off", tftp: false }), undefined);
});
