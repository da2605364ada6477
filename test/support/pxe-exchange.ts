import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inNs } from "./netns-curl.js";
import type { NetnsPair } from "./netns-pair.js";

const run = promisify(execFile);
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "scripted-dhcp-client.js");

/**
 * A UEFI PXE client's whole exchange with a server at `${net}.2` on a namespace pair: the broadcast
 * DISCOVER answered with `ipxe.efi`, then (with the address `${net}.9`) the boot-server request on 4011, then
 * the loader over TFTP from port 69, compared in size with Debian's. `dir` takes the downloaded copy.
 */
export async function provePxeExchange(pair: NetnsPair, net: string, dir: string): Promise<void> {
  const inClient = (cmd: string[]) => inNs(pair.clientNs, cmd, 20_000);
  const dhcp = async (args: string[]) =>
    JSON.parse((await inClient([process.execPath, CLIENT, ...args])).stdout);
  // A client without an address broadcasts; the offer comes back as a broadcast.
  const offer = (await dhcp(["uefi-x64", "discover", "255.255.255.255", "67", "1500"])) as {
    replies: { from: string; type: number; file: string }[];
  };
  assert.deepEqual(
    offer.replies.map((r) => [r.from, r.type, r.file]),
    [[`${net}.2`, 2, "ipxe.efi"]],
  );
  await run("ip", ["-n", pair.clientNs, "addr", "add", `${net}.9/24`, "dev", pair.clientIf]);
  const ack = (await dhcp(["uefi-x64", "request", `${net}.2`, "4011", "1500", `${net}.9`])) as {
    replies: { type: number; file: string }[];
  };
  assert.deepEqual(
    ack.replies.map((r) => [r.type, r.file]),
    [[5, "ipxe.efi"]],
  );
  const got = join(dir, "ipxe.efi");
  await inClient(["busybox", "tftp", "-g", "-r", "ipxe.efi", "-l", got, `${net}.2`]);
  assert.equal(statSync(got).size, statSync("/usr/lib/ipxe/ipxe.efi").size);
}
