// The privileges proxyDHCP needs, proven: Enforcer runs as `nobody` with CAP_NET_BIND_SERVICE as its only
// capability (setpriv: effective, ambient and bounding sets), in a network namespace joined to a client's by
// a veth pair. It binds 67, 69 and 4011, hears a client's broadcast DISCOVER on 0.0.0.0 and broadcasts its
// offer (SO_BROADCAST needs no privilege), answers on 4011 and serves the loader over TFTP: no CAP_NET_RAW
// and no CAP_NET_ADMIN. Needs root (to make the namespaces and drop to nobody).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { inNs } from "../support/netns-curl.js";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { startInNs, type NsProcess } from "../support/netns-process.js";

const run = promisify(execFile);
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "../support/scripted-dhcp-client.js");
const NET = "10.79.3";
const NOBODY = 65534;
/** CAP_NET_BIND_SERVICE is capability 10: bit 10 of the sets in /proc/PID/status. */
const ONLY_NET_BIND_SERVICE = (1n << 10n).toString(16).padStart(16, "0");

describe("proxyDHCP as an unprivileged user with CAP_NET_BIND_SERVICE only", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-caps-"));
  let pair: NetnsPair | undefined;
  let enforcer: NsProcess | undefined;
  const inClient = (cmd: string[]) => inNs(pair!.clientNs, cmd, 20_000);

  before(async () => {
    pair = await createNetnsPair("c", `${NET}.2/24`);
    await run("ip", ["-n", pair.clientNs, "route", "add", "255.255.255.255/32", "dev", pair.clientIf]);
    // mkdtemp makes the directory 0700; nobody must be able to reach its data directory inside.
    chmodSync(dir, 0o711);
    const data = join(dir, "data");
    await run("mkdir", [data]);
    chownSync(data, NOBODY, NOBODY);
    // prettier-ignore
    enforcer = startInNs(pair.serverNs, [
      "setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups",
      "--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
      "--bounding-set=-all,+net_bind_service",
      process.execPath, resolve("bin/enforcer.js"), "serve", "--dhcp", "proxy", "--data", data,
      "--public-url", `http://${NET}.2:8080`,
    ], /enforcer: ready .*tftp=69 dhcp=proxy:67,4011/);
    await enforcer.ready;
  });

  after(async () => {
    await enforcer?.stop();
    await pair?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test("runs as nobody with CAP_NET_BIND_SERVICE alone, and still answers on 67 and 4011 and serves TFTP", async () => {
    // `ip netns exec` and setpriv exec in place: the child's PID is Enforcer's.
    const status = readFileSync(`/proc/${enforcer!.child.pid}/status`, "utf8");
    assert.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}`, "m"));
    assert.match(status, new RegExp(`^CapEff:\\s+${ONLY_NET_BIND_SERVICE}$`, "m"));
    assert.match(status, new RegExp(`^CapBnd:\\s+${ONLY_NET_BIND_SERVICE}$`, "m"));

    // A client without an address broadcasts; the offer comes back as a broadcast.
    const offer = JSON.parse(
      (await inClient([process.execPath, CLIENT, "uefi-x64", "discover", "255.255.255.255", "67", "1500"]))
        .stdout,
    ) as { replies: { from: string; type: number; file: string }[] };
    assert.deepEqual(
      offer.replies.map((r) => [r.from, r.type, r.file]),
      [[`${NET}.2`, 2, "ipxe.efi"]],
    );

    // With an address: the boot-server request on 4011, then the loader over TFTP from port 69.
    await run("ip", ["-n", pair!.clientNs, "addr", "add", `${NET}.9/24`, "dev", pair!.clientIf]);
    const ack = JSON.parse(
      (
        await inClient([
          process.execPath,
          CLIENT,
          "uefi-x64",
          "request",
          `${NET}.2`,
          "4011",
          "1500",
          `${NET}.9`,
        ])
      ).stdout,
    ) as { replies: { type: number; file: string }[] };
    assert.deepEqual(
      ack.replies.map((r) => [r.type, r.file]),
      [[5, "ipxe.efi"]],
    );
    const got = join(dir, "ipxe.efi");
    await inClient(["busybox", "tftp", "-g", "-r", "ipxe.efi", "-l", got, `${NET}.2`]);
    assert.equal(statSync(got).size, statSync("/usr/lib/ipxe/ipxe.efi").size);
  });
});
