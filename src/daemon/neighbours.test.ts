// The ARP lookup behind Pi boot directories: with `--listen ::` the TFTP socket is dual-stack, and an IPv4
// client's address arrives as `::ffff:a.b.c.d`, while the kernel's table names it `a.b.c.d`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { neighbourMacs } from "./neighbours.js";

const TABLE = [
  "IP address       HW type     Flags       HW address            Mask     Device",
  "10.77.0.50       0x1         0x2         dc:a6:32:01:36:c2     *        veth0",
  "10.77.0.51       0x1         0x0         00:00:00:00:00:00     *        veth0",
  "",
].join("\n");

test("an IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) is found by its IPv4 entry", async () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-arp-"));
  try {
    const file = join(dir, "arp");
    writeFileSync(file, TABLE);
    const lookup = neighbourMacs(file);
    assert.equal(await lookup("10.77.0.50"), "dc:a6:32:01:36:c2");
    assert.equal(await lookup("::ffff:10.77.0.50"), "dc:a6:32:01:36:c2");
    assert.equal(await lookup("::FFFF:10.77.0.50"), "dc:a6:32:01:36:c2");
    // An incomplete entry has no MAC; another IPv6 address is never an ARP entry.
    assert.equal(await lookup("::ffff:10.77.0.51"), undefined);
    assert.equal(await lookup("fe80::1"), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
