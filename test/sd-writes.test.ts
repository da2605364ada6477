import assert from "node:assert/strict";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "./support/enforcer-process.js";

// Kind to SD cards (issue 13): what a boot writes to the data directory, seen from outside the process, as
// each file's size, modification time and inode. docs/store.md, "Writes per boot", says what is written when.

/** Every file under `dir` with what a write to it would change. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    const s = statSync(path, { bigint: true });
    out.set(path.slice(dir.length + 1), `${s.size} bytes, mtime ${s.mtimeNs}, inode ${s.ino}`);
  }
  return out;
}

/** The files that changed between two looks, in words. */
function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .filter((n) => before.get(n) !== after.get(n))
    .map((n) => `${n}: ${before.get(n) ?? "absent"} -> ${after.get(n) ?? "absent"}`);
}

/** Bytes the boot added to the files under `dir` (the journal only grows between compactions). */
function grown(before: Map<string, string>, after: Map<string, string>): number {
  const size = (v: string | undefined) => Number(v?.split(" ")[0] ?? 0);
  return [...after.keys()].reduce((n, k) => n + Math.max(0, size(after.get(k)) - size(before.get(k))), 0);
}

/** The server writes a boot's summary just after it answered: a moment for that to land. */
const settle = () => new Promise((r) => setTimeout(r, 500));

async function fallThrough(e: EnforcerProcess, mac: string): Promise<void> {
  assert.equal((await fetch(`${e.base}/boot.ipxe`)).status, 200);
  const r = await fetch(`${e.base}/boot/machine?mac=${mac}&platform=efi`);
  assert.equal(r.status, 404, "a known machine with nothing armed falls through");
  await r.text();
}

test("a repeated fall-through boot of a known machine does not write to the SD card", async () => {
  const e = await startEnforcer();
  try {
    const mac = "52:54:00:5d:00:01";
    assert.equal((await e.api("POST", "/machines", { mac })).status, 201);
    await fallThrough(e, mac); // the first one records its attempt
    await settle();
    const before = files(e.data);
    for (let i = 0; i < 5; i++) await fallThrough(e, mac);
    await settle();
    const changed = changes(before, files(e.data));
    assert.deepEqual(
      changed,
      [],
      `repeated fall-throughs wrote to the data directory:\n${changed.join("\n")}`,
    );
  } finally {
    await e.stop();
  }
});

test("past --seen-interval, a fall-through of a known machine writes its seen stamp: a line of a few dozen bytes", async () => {
  const e = await startEnforcer(["--seen-interval", "1"]);
  try {
    const mac = "52:54:00:5d:00:03";
    assert.equal((await e.api("POST", "/machines", { mac })).status, 201);
    await fallThrough(e, mac);
    await settle();
    await new Promise((r) => setTimeout(r, 1000));
    const before = files(e.data);
    await fallThrough(e, mac);
    await settle();
    const after = files(e.data);
    const bytes = grown(before, after);
    assert.ok(
      bytes > 0 && bytes <= 100,
      `the seen stamp took ${bytes} bytes: ${changes(before, after).join("; ")}`,
    );
  } finally {
    await e.stop();
  }
});

/** A Debian profile with a preseed file, as the examples have it (its installer fetches the file). */
const PROFILE = {
  name: "debian",
  family: "debian",
  location:
    "http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64",
  provisioning:
    "d-i netcfg/get_hostname string {{ hostname }}\nd-i mirror/http/hostname string deb.debian.org\n",
};

/** What an agent reports of a small server (a discovered machine has it before its first install). */
const INVENTORY = {
  vendor: "QEMU",
  product: "Standard PC (Q35 + ICH9, 2009)",
  cpu: { model: "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", count: 8 },
  memoryBytes: 34359738368,
  disks: [{ name: "sda", sizeBytes: 480103981056, model: "SAMSUNG MZ7LH480", serial: "S4X" }],
};

test("an ordinary boot (armed config: scripts, trigger, preseed, completion, agent report) writes at most 1 KiB", async () => {
  const e = await startEnforcer(["--boot-rate-limit", "0"]);
  try {
    const mac = "52:54:00:5d:00:02";
    assert.equal((await e.api("POST", "/profiles", PROFILE)).status, 201);
    const agent = (await e.api<{ token: string }>("POST", "/tokens", { name: "host", role: "agent" })).body
      .token;
    const report = () =>
      fetch(`${e.base}/api/v1/agent/report`, {
        method: "POST",
        headers: { authorization: `Bearer ${agent}`, "content-type": "application/json" },
        body: JSON.stringify({ macs: [mac], inventory: INVENTORY }),
      });
    assert.equal((await report()).status, 200);
    const config = (await e.api<{ id: string }>("POST", "/configs", { machine: mac, profile: "debian" }))
      .body;
    assert.equal((await e.api("POST", `/configs/${config.id}/arm`)).status, 200);
    await settle();
    const before = files(e.data);

    await (await fetch(`${e.base}/boot.ipxe`)).text();
    const script = await fetch(`${e.base}/boot/machine?mac=${mac}&platform=pcbios`);
    const text = await script.text();
    assert.equal(script.status, 200, text);
    const secret = /\/p\/([^/\s]+)\/preseed\.cfg/.exec(text)?.[1];
    assert.ok(secret, text);
    assert.equal((await fetch(`${e.base}/p/${secret}/preseed.cfg`)).status, 200);
    assert.equal((await fetch(`${e.base}/p/${secret}/complete`, { method: "POST" })).status, 200);
    assert.equal((await report()).status, 200, "the installed system's agent reports the same inventory");
    await settle();

    const after = files(e.data);
    const bytes = grown(before, after);
    process.stdout.write(
      `# bytes written by one ordinary boot: ${bytes} (${changes(before, after).join("; ")})\n`,
    );
    // The goal of issue 13 (879 bytes here when written); `npm run bench -- writes` measures this boot with
    // 10,000 machines.
    assert.ok(bytes <= 1024, `an ordinary boot wrote ${bytes} bytes:\n${changes(before, after).join("\n")}`);
    assert.deepEqual(
      changes(before, after).map((c) => c.split(":")[0]),
      ["store/journal-0.log"],
      "only the journal is written (appended to)",
    );

    // The journal writes events in a shorter form than the API shows them: after a crash and a restart, which
    // replays it, the history, the config and the machine read exactly as before (the secret URLs aside: they
    // name the new port).
    const shown = async (x: EnforcerProcess) => {
      const paths = [`/machines/${mac}/events`, `/configs/${config.id}`, `/machines/${mac}`];
      const bodies = await Promise.all(paths.map(async (p) => (await x.api("GET", p)).body));
      return JSON.stringify(bodies, (k, v: unknown) => (k === "urls" ? undefined : v), 1);
    };
    const seen = await shown(e);
    assert.match(seen, /"kind": "boot.attempt"/);
    const gone = new Promise((r) => e.child.once("exit", r));
    e.child.kill("SIGKILL");
    await gone;
    const again = await startEnforcer([], { data: e.data });
    try {
      assert.equal(await shown(again), seen);
    } finally {
      await again.stop();
    }
  } finally {
    if (e.child.exitCode === null && e.child.signalCode === null) await e.stop();
    rmSync(e.data, { recursive: true, force: true });
  }
});
