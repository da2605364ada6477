// The privileges proxyDHCP needs, proven: Enforcer runs as `nobody` with CAP_NET_BIND_SERVICE as its only
// capability (setpriv: effective, ambient and bounding sets), in a network namespace joined to a client's by
// a veth pair. It binds 67, 69 and 4011, hears a client's broadcast DISCOVER on 0.0.0.0 and broadcasts its
// offer (SO_BROADCAST needs no privilege), answers on 4011 and serves the loader over TFTP: no CAP_NET_RAW
// and no CAP_NET_ADMIN. Needs root (to make the namespaces and drop to nobody).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { startInNs, type NsProcess } from "../support/netns-process.js";
import { provePxeExchange } from "../support/pxe-exchange.js";

const run = promisify(execFile);
const NET = "10.79.3";
const NOBODY = 65534;
/** CAP_NET_BIND_SERVICE is capability 10: bit 10 of the sets in /proc/PID/status. */
const ONLY_NET_BIND_SERVICE = (1n << 10n).toString(16).padStart(16, "0");

describe("proxyDHCP as an unprivileged user with CAP_NET_BIND_SERVICE only", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-caps-"));
  let pair: NetnsPair | undefined;
  let enforcer: NsProcess | undefined;

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

    await provePxeExchange(pair!, NET, dir);
  });
});
