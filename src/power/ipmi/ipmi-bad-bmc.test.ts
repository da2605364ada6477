import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { PowerTarget } from "../../core/power-port.js";
import { isEnforcerError, type ErrorCode } from "../../domain/errors.js";
import { ipmiDriver } from "./ipmi-driver.js";

// BMCs that answer badly or not at all, as UDP sockets on loopback; the real ipmitool talks to them. For a
// silent one ipmitool tries for 1 s, once, here (-N 1 -R 1) so the file runs in seconds; the defaults
// (-N 1 -R 2) take 6 s. A closed port and junk run with the defaults: the early probe ends them.
const PASSWORD = "Bad-bmc.pw.93e1";
const driver = ipmiDriver({ requestTimeoutSec: 1, retries: 1 });
const sockets: Socket[] = [];
let silentPort = 0;
// Its own silent port, so the /proc scan finds this test's ipmitool, not the other one's.
let abortPort = 0;
let junkPort = 0;
let closedPort = 0;

const bind = async (): Promise<Socket> => {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  sockets.push(s);
  return s;
};

before(async () => {
  silentPort = (await bind()).address().port;
  abortPort = (await bind()).address().port;
  const junk = await bind();
  junkPort = junk.address().port;
  junk.on("message", (_m, from) =>
    junk.send("HTTP/1.1 400 Bad Request\r\n\r\n\x1b[31mno\x00", from.port, from.address),
  );
  const closed = await bind();
  closedPort = closed.address().port;
  await new Promise<void>((resolve) => closed.close(resolve));
  sockets.pop();
});
after(() => sockets.forEach((s) => s.close()));

const target = (port: number): PowerTarget => ({
  machine: "m1",
  address: `127.0.0.1:${port}`,
  username: "admin",
  password: PASSWORD,
  options: {},
});

/** Runs `action`, expects `code`, and returns the error's message and how long it took. */
async function fails(port: number, code: ErrorCode, signal = AbortSignal.timeout(20_000), d = driver) {
  const start = Date.now();
  const err = await d.run(target(port), "status", signal).then(
    () => assert.fail("it should have failed"),
    (e: unknown) => e,
  );
  assert.ok(isEnforcerError(err, code), `${code} expected, got ${String(err)}`);
  assert.ok(!err.message.includes(PASSWORD), "the password is in no message");
  return { message: err.message, ms: Date.now() - start };
}

// The four run at once: each waits on ipmitool's timers, not on the CPU.
describe("ipmi: bad BMCs", { concurrency: true }, () => {
  test("ipmi: a port nothing listens on is ENF_ERR_POWER_UNREACHABLE (ICMP port unreachable), in about a second", async () => {
    const { message } = await fails(closedPort, "ENF_ERR_POWER_UNREACHABLE");
    assert.match(message, /nothing listens/);
    assert.match(message, new RegExp(`127\\.0\\.0\\.1:${closedPort}`));
  });

  test("ipmi: a port that answers junk is ENF_ERR_POWER_BAD_ANSWER quoting it, control characters removed, in about a second", async () => {
    const { message, ms } = await fails(junkPort, "ENF_ERR_POWER_BAD_ANSWER", undefined, ipmiDriver());
    // Loose for a loaded CI, still below ipmitool's own 6 s of retries that the probe cuts short.
    assert.ok(ms < 5000, `${ms} ms: the probe after 1 s stops ipmitool's 6 s of retries`);
    assert.match(message, /not IPMI/);
    assert.match(message, /HTTP\/1\.1 400 Bad Request/);
    assert.doesNotMatch(message, /[\u0000-\u001f\u007f]/);
  });

  test("ipmi: a port that never answers ends with ENF_ERR_POWER_TIMEOUT by ipmitool's own retries, below the signal", async () => {
    const { message, ms } = await fails(silentPort, "ENF_ERR_POWER_TIMEOUT");
    assert.match(message, /did not answer/);
    // ~3.3 s here; the bound is the signal's 20 s, which this must not have needed ("did not answer").
    assert.ok(ms < 15_000, `${ms} ms: -N 1 -R 1 and the probe's second`);
  });

  test("ipmi: the signal ends a silent BMC's run at once: TIMEOUT, the ipmitool child gone, the password never in its argv", async () => {
    const controller = new AbortController();
    const running = fails(abortPort, "ENF_ERR_POWER_TIMEOUT", controller.signal);
    const pid = await ipmitoolFor(abortPort, 3000);
    const argv = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0");
    assert.ok(argv.includes("-E") && argv.includes("lanplus"), argv.join(" "));
    assert.ok(
      !argv.some((a) => a.includes(PASSWORD)),
      "the password is not in the child's argv (what ps shows)",
    );
    const aborted = Date.now();
    controller.abort();
    const { message } = await running;
    // Far below ipmitool's own 3000 ms: the abort ended it, not ipmitool's timeout (loose for a loaded CI).
    assert.ok(Date.now() - aborted < 2500, `${Date.now() - aborted} ms from the abort to the error`);
    assert.match(message, /within the power timeout/);
    assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, "no ipmitool is left");
  });
});

/** The pid of the running ipmitool that talks to `port` (read from /proc, as ps would). */
async function ipmitoolFor(port: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  for (;;) {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      } catch {
        continue; // gone meanwhile, or not ours to read
      }
      const p = argv.indexOf("-p");
      if (argv[0]?.endsWith("ipmitool") && p > 0 && argv[p + 1] === String(port)) return Number(entry);
    }
    if (Date.now() > end) throw new Error(`no ipmitool for port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
