import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FileStore } from "../src/store/file-store.js";
import { startEnforcer } from "./support/enforcer-process.js";

const CAP = 20;

/** A stand-in discovery image: serve only checks that the two files exist. */
function fakeDiscoveryImage(): string {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-discovery-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "vmlinuz"), "kernel");
  writeFileSync(join(dir, "initrd.gz"), "initrd");
  return dir;
}

function randomMac(i: number): string {
  const h = (n: number) => (n & 255).toString(16).padStart(2, "0");
  return `02:${h(i >> 24)}:${h(i >> 16)}:${h(i >> 8)}:${h(i)}:${h(i * 7)}`;
}

async function keyFor(base: string, path: string, mac: string): Promise<string> {
  const r = await fetch(`${base}${path}?mac=${mac}&platform=efi`);
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return /enforcer\.key=(ens_\S+)/.exec(text)![1]!;
}

test("anonymous discovery calls: one session per MAC, random MACs bounded, keys stored only hashed (real serve)", async () => {
  const args = [
    "--discovery",
    "--discovery-image",
    fakeDiscoveryImage(),
    "--boot-rate-limit",
    "0",
    "--max-discovery-sessions",
    String(CAP),
    "--max-unknown-machines",
    String(CAP),
  ];
  const enf = await startEnforcer(args);
  const issued = new Set<string>();
  let same: string;
  try {
    const mac = "52:54:00:aa:00:01";
    const keys = new Set<string>();
    for (let i = 0; i < 50; i++)
      keys.add(await keyFor(enf.base, i % 2 ? "/boot/discovery" : "/boot/machine", mac));
    assert.equal(keys.size, 1, "repeated discovery calls for one MAC got different keys");
    for (let i = 0; i < 200; i++) {
      issued.add(await keyFor(enf.base, "/boot/discovery", randomMac(i)));
      issued.add(await keyFor(enf.base, "/boot/machine", randomMac(100_000 + i)));
    }
    same = await keyFor(enf.base, "/boot/discovery", randomMac(199));
    for (const k of keys) issued.add(k);
  } finally {
    assert.equal(await enf.stop(), 0);
  }

  const dir = join(enf.data, "store");
  const stored = readdirSync(dir)
    .filter((f) => f.startsWith("journal-") || f === "snapshot.json")
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
  for (const k of issued) assert.ok(!stored.includes(k.slice(4)), `key ${k} is in the store`);
  assert.equal(statSync(join(enf.data, "session.secret")).mode & 0o777, 0o600);
  const store = await FileStore.open({ dir });
  try {
    assert.ok(store.count("agent-sessions") <= CAP, `${store.count("agent-sessions")} sessions`);
    assert.ok(store.count("machines") <= CAP, `${store.count("machines")} machines`);
    assert.ok(store.count("events") <= CAP, `${store.count("events")} events`);
  } finally {
    await store.close();
  }

  // The secret outlives a restart: the same boot asking again gets the same key.
  const again = await startEnforcer(args, { data: enf.data });
  try {
    assert.equal(await keyFor(again.base, "/boot/discovery", randomMac(199)), same);
  } finally {
    await again.stop();
  }
});
