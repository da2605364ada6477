// The boot timeline through a real `enforcer serve`: a real TFTP client (curl) fetches the loader, curl fetches
// boot.ipxe and the machine script, and the API, the CLI and the event stream show one attempt with those steps.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { armTestLinux } from "../support/test-config.js";
import { until } from "../support/until.js";

const run = promisify(execFile);
const MAC = "52:54:00:7e:11:01";

interface Attempt {
  n: number;
  outcome: string;
  stopIndex?: number;
  hint?: { code: string; text: string };
  steps: { kind: string; label: string; [k: string]: unknown }[];
}
interface Timeline {
  mac: string;
  machine: string | null;
  attempts: Attempt[];
  recorded: { at: string; detail: Record<string, unknown> }[];
}

/** Bytes under a directory (the store: what a boot writes to the SD card). */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? bytesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

describe("boot timeline through enforcer serve", { timeout: 120_000 }, () => {
  let e: EnforcerProcess & { tftpPort?: number };
  before(async () => {
    try {
      execFileSync("curl", ["--version"]);
    } catch {
      throw new Error("curl is missing: run scripts/ensure-peers.sh");
    }
    e = await startEnforcer([], { tftp: true });
    const r = await e.api("POST", "/machines", { mac: MAC });
    assert.equal(r.status, 201);
  });
  after(() => e?.stop());

  /** One boot as iPXE chained from firmware does it: the loader over TFTP, boot.ipxe, the machine script. */
  async function boot(): Promise<void> {
    const loader = await run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{size_download}",
      `tftp://127.0.0.1:${e.tftpPort}/ipxe.efi`,
    ]);
    assert.ok(Number(loader.stdout) > 100_000, "the loader came over TFTP");
    const script = await fetch(`${e.base}/boot.ipxe`);
    assert.equal(script.status, 200);
    await script.text();
    const machine = await fetch(`${e.base}/boot/machine?mac=${MAC}&arch=x86_64&platform=efi`);
    assert.equal(machine.status, 404, "nothing armed: the script falls through");
    await machine.text();
  }
  const timeline = async () => {
    const r = await e.api<Timeline>("GET", `/machines/${MAC}/timeline`);
    assert.equal(r.status, 200);
    return r.body;
  };

  test("API: one attempt with the loader, boot.ipxe and the machine script; stop and hint named", async () => {
    const storeBefore = bytesUnder(join(e.data, "store"));
    await boot();
    const t = await until("three steps", async () => {
      const t = await timeline();
      return t.attempts[0]?.steps.length === 3 ? t : undefined;
    });
    assert.equal(t.attempts.length, 1, JSON.stringify(t.attempts));
    const a = t.attempts[0]!;
    assert.deepEqual(
      a.steps.map((s) => s.kind),
      ["tftp", "http", "http"],
    );
    assert.match(a.steps[0]!.label, /^tftp ipxe\.efi complete \d+ B$/);
    assert.equal(a.steps[0]!.outcome, "complete");
    assert.equal(a.steps[1]!.label, "http boot-script 200");
    assert.equal(a.steps[2]!.label, "http machine-script 404 none:no-config");
    assert.equal(a.outcome, "fell-through");
    assert.equal(a.stopIndex, 2);
    assert.equal(a.hint?.code, "fell-through");
    // Persisted: one compact event for this known machine.
    const rec = await until("a recorded attempt", async () => {
      const t = await timeline();
      return t.recorded.length === 1 ? t.recorded : undefined;
    });
    assert.equal(rec[0]!.detail.outcome, "fell-through");
    assert.match(
      String(rec[0]!.detail.path),
      /tftp ipxe\.efi complete .* > http boot-script 200 > http machine-script 404/,
    );
    const written = bytesUnder(join(e.data, "store")) - storeBefore;
    // The boot writes its machine's last-seen and the attempt's summary: measured, and bounded.
    process.stdout.write(`# bytes written to the store by the first boot: ${written}\n`);
    assert.ok(written < 4096, `${written} bytes for one boot`);
  });

  test("a repeated fall-through boot starts a second attempt and writes nothing new", async () => {
    const storeBefore = bytesUnder(join(e.data, "store"));
    await boot();
    const t = await until("a second attempt", async () => {
      const t = await timeline();
      return t.attempts.length === 2 && t.attempts[1]!.steps.length === 3 ? t : undefined;
    });
    assert.equal(t.attempts[1]!.n, 2);
    assert.equal(t.attempts[1]!.outcome, "fell-through");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await timeline()).recorded.length, 1, "the same fall-through is not recorded again");
    const written = bytesUnder(join(e.data, "store")) - storeBefore;
    process.stdout.write(`# bytes written to the store by a repeated fall-through boot: ${written}\n`);
    assert.equal(written, 0);
  });

  test("CLI: machines timeline shows the attempt as a table with the stop step and hint, and --json", async () => {
    const env = { ...process.env, ENFORCER_URL: e.base, ENFORCER_TOKEN: e.token };
    const bin = resolve("bin/enforcer.js");
    const { stdout } = await run(process.execPath, [bin, "machines", "timeline", MAC, "--limit", "1"], {
      env,
    });
    assert.match(stdout, new RegExp(`^attempt 2 of ${MAC}, started .*: fell-through$`, "m"));
    assert.match(stdout, /^ {3}1 {2}\d\d:\d\d:\d\d {2}tftp ipxe\.efi complete \d+ B$/m);
    assert.match(stdout, /^> {2}3 {2}\d\d:\d\d:\d\d {2}http machine-script 404 none:no-config$/m);
    assert.match(stdout, /stopped at step 3: every source fell through.*\[fell-through\]/);
    const json = JSON.parse(
      (await run(process.execPath, [bin, "machines", "timeline", MAC, "--json"], { env })).stdout,
    ) as Timeline;
    assert.equal(json.attempts.length, 2);
    const missing = await run(process.execPath, [bin, "machines", "timeline", "52:54:00:00:00:99"], {
      env,
    }).catch((err: { code: number; stderr: string }) => err);
    assert.equal((missing as { code: number }).code, 4, "an unknown MAC with no boot seen: not found");
  });

  test("an armed boot is one attempt: boot.ipxe, the machine script that triggered it, the completion", async () => {
    const mac = "52:54:00:7e:11:02";
    assert.equal((await e.api("POST", "/machines", { mac })).status, 201);
    await armTestLinux(e, mac, "timeline-armed", "http://127.0.0.1:1/none");
    // From an address of its own (the earlier tests' boots came from 127.0.0.1): boot.ipxe waits under the
    // address until the machine script's MAC claims it, which must happen before the trigger is recorded.
    const from = ["-sS", "--interface", "127.0.0.7"];
    await run("curl", [...from, "-o", "/dev/null", `${e.base}/boot.ipxe`]);
    const text = (
      await run("curl", [...from, "-f", `${e.base}/boot/machine?mac=${mac}&arch=x86_64&platform=efi`])
    ).stdout;
    const secret = /\/p\/([^/\s]+)\/complete/.exec(text)?.[1];
    assert.ok(secret, `the armed config is served: ${text}`);
    await run("curl", [...from, "-f", "-X", "POST", `${e.base}/p/${secret}/complete`]);
    const t = await until("the provisioned attempt", async () => {
      const r = await e.api<Timeline>("GET", `/machines/${mac}/timeline`);
      return r.body.attempts.some((a) => a.outcome === "provisioned") ? r.body : undefined;
    });
    assert.equal(t.attempts.length, 1, JSON.stringify(t.attempts));
    assert.deepEqual(
      t.attempts[0]!.steps.map((s) => s.label.split(" ").slice(0, 2).join(" ")),
      ["http boot-script", "config.triggered", "http machine-script", "config.completed", "http completion"],
    );
  });

  test("SSE: the events stream carries the boot.attempt summary", async () => {
    const ac = new AbortController();
    const res = await fetch(`${e.base}/api/v1/events?machine=${MAC}&after=0`, {
      headers: { authorization: `Bearer ${e.token}` },
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    let text = "";
    const deadline = Date.now() + 10_000;
    while (!text.includes("event: boot.attempt") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    ac.abort();
    assert.match(text, /event: boot\.attempt\ndata: .*"outcome":"fell-through"/);
  });
});
