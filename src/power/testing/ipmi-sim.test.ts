import assert from "node:assert/strict";
import { test } from "node:test";
import { simLog } from "./ipmi-sim.js";

// What ipmi_sim printed (debug msg) for `chassis bootdev pxe options=efiboot`, its "\n\r" line ends included.
const LOG = [
  "Receive message:",
  " channel=1 netfn=0x0 cmd=0x8 rs_addr=0x20 rs_lun=0x0 rq_addr=0x81",
  " rq_lun=0x0 rq_seq=0x7",
  " 04 01 01",
  "Response message: 1795785321.592932",
  " 00",
  "Receive message:",
  " channel=1 netfn=0x0 cmd=0x8 rs_addr=0x20 rs_lun=0x0 rq_addr=0x81",
  " rq_lun=0x0 rq_seq=0x8",
  " 05 a0 04 00 00 00",
  "Receive message:",
  " channel=1 netfn=0x0 cmd=0x1 rs_addr=0x20 rs_lun=0x0 rq_addr=0x81",
  " rq_lun=0x0 rq_seq=0x6",
  "",
  "Response message: 1795785516.665149",
  " 00 01 00 00",
  "",
]
  .map((l) => `${l}\n\r`)
  .join("");

test("ipmi_sim log: the boot flags are read wherever the pipe cuts the log into chunks", () => {
  for (let cut = 0; cut <= LOG.length; cut++) {
    const log = simLog();
    log.feed(LOG.slice(0, cut));
    log.feed(LOG.slice(cut));
    assert.deepEqual(log.flags, [{ device: "pxe", efi: true, persistent: false }], `cut at ${cut}`);
  }
});
