// The smoke suite of the built server on an ARM Node under qemu-user: one start, the checks a Raspberry Pi
// user relies on, then a kill -9 and a restart on the same data. Each arch's test file calls armSmoke once.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readlinkSync, rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { armNodeCommand, armNodeReport, type ArmNode } from "./arm-node.js";
import { apiCaller, startEnforcer, type EnforcerProcess } from "./enforcer-process.js";
import { sha256, tftpRoot } from "./tftp-fixture.js";
import { until } from "./until.js";

const run = promisify(execFile);
// Emulation is 10-30x slower than native: a start takes seconds, not the 15 s the x64 helper allows.
const START_MS = 300_000;
const MAC = "52:54:00:a7:00:01";

type Started = EnforcerProcess & { tftpPort?: number };

/** The ready line's structured twin (pino JSON at info): what the server itself says it runs on. */
async function readyRecord(e: Started): Promise<{ node: string; readyMs: number }> {
  // pino writes asynchronously: the JSON record may come after the plain ready line.
  const line = await until(
    "the ready record in the log",
    async () =>
      e
        .logs()
        .split("\n")
        .find((l) => l.includes('"readyMs"')),
    30_000,
  );
  return JSON.parse(line) as { node: string; readyMs: number };
}

/** Registers the smoke suite of the built server on `n`, in one describe block. */
export function armSmoke(n: ArmNode): void {
  describe(`the built server on ${n.pkg}@${n.version} under ${n.qemu}`, { timeout: 1_200_000 }, () => {
    const root = tftpRoot({ "loader.bin": 300 * 1024 + 17 });
    let command: string[];
    let e: Started;
    let startWallMs = 0;
    const start = async (data?: string): Promise<Started> => {
      const t0 = performance.now();
      const s = await startEnforcer(["--log-level", "info", "--tftp-root", root.dir], {
        tftp: true,
        node: command,
        readyTimeoutMs: START_MS,
        data,
      });
      startWallMs = Math.round(performance.now() - t0);
      return s;
    };
    before(async () => {
      command = await armNodeCommand(n);
      e = await start();
    });
    after(async () => {
      await e?.stop();
      for (const dir of [root.dir, e?.data]) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test(`the ARM build serves: its Node says ${n.arch}, and so does the server's ready record`, async (t) => {
      const own = await armNodeReport(command);
      assert.deepEqual(own, { arch: n.arch, version: `v${n.version}` });
      const ready = await readyRecord(e);
      assert.equal(ready.node, `v${n.version} linux-${n.arch}`);
      // The process serving is the emulator, not this test's x64 node.
      assert.equal(readlinkSync(`/proc/${e.child.pid}/exe`).split("/").at(-1), n.qemu);
      t.diagnostic(
        `start to ready ${ready.readyMs} ms (server's own), ${startWallMs} ms spawn to ready line`,
      );
    });

    test("the API answers its token and refuses a wrong one and none", async () => {
      assert.equal((await e.api("GET", "/profiles")).status, 200);
      const wrong = await apiCaller(e.base, `${e.token.slice(0, -4)}AAAA`)("GET", "/profiles");
      assert.equal(wrong.status, 401);
      assert.equal((await fetch(`${e.base}/api/v1/profiles`)).status, 401);
    });

    test("boot.ipxe chains to this server's machine script", async () => {
      const r = await fetch(`${e.base}/boot.ipxe`);
      assert.equal(r.status, 200);
      const body = await r.text();
      assert.match(body, /^#!ipxe\n/);
      assert.ok(body.includes(`chain --autofree ${e.base}/boot/machine?`), body);
    });

    test("an armed config is served, completed by its callback, and the next fetch falls through", async () => {
      const p = await e.api("POST", "/profiles", {
        name: "pi",
        family: "custom",
        kernel: "http://m/vmlinuz",
        cmdline: "done={{complete_url}}",
      });
      assert.equal(p.status, 201);
      const c = await e.api<{ id: string }>("POST", "/configs", { machine: MAC, profile: "pi" });
      assert.equal((await e.api("POST", `/configs/${c.body.id}/arm`)).status, 200);
      const first = await fetch(`${e.base}/boot/machine?mac=${MAC.replaceAll(":", "-")}&platform=pcbios`);
      assert.equal(first.status, 200);
      const script = await first.text();
      assert.match(script, /kernel .*http:\/\/m\/vmlinuz/);
      // The installer's callback ends the config; until then a fetch inside the retry window gets it again.
      assert.equal((await fetch(/done=(\S+)/.exec(script)![1]!)).status, 200);
      const state = await e.api<{ state: string }>("GET", `/configs/${c.body.id}`);
      assert.equal(state.body.state, "completed");
      const second = await fetch(`${e.base}/boot/machine?mac=${MAC.replaceAll(":", "-")}&platform=pcbios`);
      assert.equal(second.status, 404);
    });

    test("TFTP: curl fetches a loader and boot.ipxe byte for byte", async () => {
      const url = `tftp://127.0.0.1:${e.tftpPort}`;
      const loader = await run("curl", ["-sS", "--tftp-blksize", "1468", `${url}/loader.bin`], {
        encoding: "buffer",
        maxBuffer: 4 * 1024 * 1024,
      });
      assert.equal(sha256(loader.stdout), sha256(root.data["loader.bin"]!));
      const script = await run("curl", ["-sS", `${url}/boot.ipxe`], { encoding: "buffer" });
      const overHttp = Buffer.from(await (await fetch(`${e.base}/boot.ipxe`)).arrayBuffer());
      assert.equal(sha256(script.stdout), sha256(overHttp));
    });

    test("an agent report becomes the machine's facts", async () => {
      const token = (await e.api<{ token: string }>("POST", "/tokens", { name: "pi agent", role: "agent" }))
        .body.token;
      const r = await apiCaller(e.base, token)("POST", "/agent/report", {
        macs: [MAC],
        inventory: { hostname: "pi-node", memoryKiB: 4_000_000 },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const m = await e.api<{ agents?: string[]; facts: { hostname?: string; memoryKiB?: number } }>(
        "GET",
        `/machines/${MAC}`,
      );
      assert.deepEqual(m.body.agents, ["json:pi agent"]);
      assert.deepEqual([m.body.facts.hostname, m.body.facts.memoryKiB], ["pi-node", 4_000_000]);
    });

    test("kill -9 in the middle of writes, restart: nothing acknowledged is lost", async (t) => {
      const acked: string[] = [];
      let killed = false;
      // Writers keep creating profiles; the kill lands while some are in flight.
      const writer = async (w: number) => {
        for (let i = 0; !killed; i++) {
          const name = `w${w}-${i}`;
          const r = await e
            .api("POST", "/profiles", { name, family: "custom", kernel: "http://m/k" })
            .catch(() => undefined);
          if (killed) break;
          assert.equal(r?.status, 201, `creating ${name} before the kill`);
          acked.push(name);
          if (acked.length >= 12 && !killed) {
            killed = true;
            e.child.kill("SIGKILL");
          }
        }
      };
      const exited = new Promise((res) => e.child.once("exit", (_c, signal) => res(signal)));
      await Promise.all([0, 1, 2, 3].map(writer));
      assert.equal(await exited, "SIGKILL");
      const data = e.data;
      e = await start(data);
      t.diagnostic(
        `${acked.length} writes acknowledged before the kill; restart: ${(await readyRecord(e)).readyMs} ms, ${startWallMs} ms spawn to ready`,
      );
      const names = new Set(
        (await e.api<{ items: { name: string }[] }>("GET", "/profiles")).body.items.map((p) => p.name),
      );
      const lost = acked.filter((a) => !names.has(a));
      assert.deepEqual(lost, [], `acknowledged before the kill, missing after the restart`);
      // What was decided before the kill stays decided: the served config is not served again.
      const again = await fetch(`${e.base}/boot/machine?mac=${MAC.replaceAll(":", "-")}&platform=pcbios`);
      assert.equal(again.status, 404);
      const m = await e.api<{ agents?: string[] }>("GET", `/machines/${MAC}`);
      assert.deepEqual(m.body.agents, ["json:pi agent"]);
    });
  });
}
