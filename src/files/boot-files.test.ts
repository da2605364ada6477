import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkName } from "./boot-file-name.js";
import { BootFiles } from "./boot-files.js";

function tree() {
  const base = mkdtempSync(join(tmpdir(), "enforcer-files-"));
  const root = join(base, "root");
  mkdirSync(join(root, "pxelinux.cfg"), { recursive: true });
  writeFileSync(join(root, "undionly.kpxe"), "LOADER");
  writeFileSync(join(root, "pxelinux.cfg", "default"), "MENU");
  writeFileSync(join(base, "secret"), "SECRET");
  symlinkSync(join(base, "secret"), join(root, "escape"));
  symlinkSync("undionly.kpxe", join(root, "inside-link"));
  symlinkSync(base, join(root, "dir-escape"));
  const loaders = new Map([["snponly.efi", join(base, "secret")]]);
  const files = new BootFiles({
    root,
    loaders,
    generated: (n) => (n === "boot.ipxe" ? Buffer.from("#!ipxe\n") : undefined),
  });
  return files;
}

async function text(files: BootFiles, name: string | Buffer) {
  const f = await files.open(name);
  if (!f.ok) return f;
  const data = (await f.read(0, f.size)).toString();
  f.close();
  return data;
}

test("names are relative to the root; backslashes become slashes; ROM garbage at the end is dropped", async () => {
  const files = tree();
  assert.equal(await text(files, "undionly.kpxe"), "LOADER");
  assert.equal(await text(files, "/undionly.kpxe"), "LOADER");
  assert.equal(await text(files, "pxelinux.cfg\\default"), "MENU");
  assert.equal(await text(files, Buffer.from([...Buffer.from("undionly.kpxe"), 0xff, 0xff])), "LOADER");
  assert.equal(await text(files, "inside-link"), "LOADER");
  assert.equal(await text(files, "boot.ipxe"), "#!ipxe\n");
  assert.equal(await text(files, "snponly.efi"), "SECRET", "a loader named at start is served by name");
});

test("never a byte outside the root: each hostile name gets its own precise refusal", async () => {
  const files = tree();
  const cases: [string | Buffer, number, RegExp][] = [
    ["../secret", 2, /'\.\.' is not allowed/],
    ["pxelinux.cfg/../../secret", 2, /'\.\.' is not allowed/],
    ["..\\secret", 2, /'\.\.' is not allowed/],
    ["escape", 2, /leads outside the TFTP root/],
    ["dir-escape/secret", 2, /leads outside the TFTP root/],
    [Buffer.from("undionly\0.kpxe"), 2, /non-printing byte 0x0/],
    [Buffer.from("a\x1b[2Jb"), 2, /non-printing byte 0x1b/],
    ["x".repeat(300), 2, /longer than 255 bytes/],
    ["/etc/passwd", 1, /file not found: etc\/passwd/],
    ["pxelinux.cfg", 1, /not a regular file/],
    ["", 1, /empty file name/],
    ["missing", 1, /file not found: missing/],
  ];
  for (const [name, code, re] of cases) {
    const f = await files.open(name);
    assert.equal(f.ok, false, String(name));
    if (!f.ok) {
      assert.equal(f.code, code, String(name));
      assert.match(f.message, re);
    }
  }
});

test("checkName never passes a '..' segment or a non-printing byte", () => {
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(
      Array.from(
        { length: 1 + (i % 40) },
        () => [0x2e, 0x2f, 0x5c, 0x41, 0x00, 0xff, 0x0a][Math.floor(Math.random() * 7)]!,
      ),
    );
    const c = checkName(bytes);
    if (c.ok) {
      assert.ok(!c.segments.includes(".."));
      assert.ok(/^[\x20-\x7e]+$/.test(c.name));
      assert.ok(!c.name.startsWith("/"));
    }
  }
});

test("concurrent first requests for a file share one load; loads past the cache budget read from disk", async () => {
  const root = mkdtempSync(join(tmpdir(), "enforcer-files-load-"));
  const MiB = 1024 * 1024;
  for (let i = 0; i < 8; i++) writeFileSync(join(root, `f${i}.bin`), Buffer.alloc(12 * MiB, i));
  const files = new BootFiles({ root, generated: () => undefined });
  const same = await Promise.all(Array.from({ length: 20 }, () => files.open("f0.bin")));
  const loaded = same.map((f) => (f.ok ? f.data : undefined));
  assert.ok(loaded[0] && loaded.every((d) => d === loaded[0]), "one buffer for all twenty");
  // Eight different 12 MiB files at once: at most 64 MiB of them is loaded into memory together.
  const fresh = new BootFiles({ root, generated: () => undefined });
  const many = await Promise.all(Array.from({ length: 8 }, (_, i) => fresh.open(`f${i}.bin`)));
  let inMemory = 0;
  for (const [i, f] of many.entries()) {
    assert.ok(f.ok);
    if (f.data) inMemory += f.size;
    assert.equal((await f.read(5 * MiB, 4))[3], i);
    f.close();
  }
  assert.ok(inMemory > 0 && inMemory <= 64 * MiB, `${inMemory / MiB} MiB loaded at once`);
});

test("a generated file's version follows its content (it changes with the settings)", async () => {
  let script = "#!ipxe\necho one\n";
  const files = new BootFiles({ generated: (n) => (n === "boot.ipxe" ? Buffer.from(script) : undefined) });
  const a = await files.open("boot.ipxe");
  script = "#!ipxe\necho two, longer\n";
  const b = await files.open("boot.ipxe");
  assert.ok(a.ok && b.ok && a.version !== b.version);
});

// A large file truncated or rewritten in place while a TFTP transfer read it: the read past the new end
// came back short, the transfer sent a short block, and the client took the first 5.5 MB of a 40 MB
// file for the whole file. A read that ends before the size the transfer announced now fails, so the
// transfer ends with an error and the client starts over.
test("a file that shrinks while it is read from disk fails the read instead of coming back short", async () => {
  const root = mkdtempSync(join(tmpdir(), "enforcer-files-shrink-"));
  writeFileSync(join(root, "big.bin"), Buffer.alloc(17 * 1024 * 1024, 7));
  const files = new BootFiles({ root, generated: () => undefined });
  const f = await files.open("big.bin");
  assert.ok(f.ok && !f.data, "served from disk");
  assert.equal((await f.read(0, 1468)).length, 1468);
  truncateSync(join(root, "big.bin"), 1024 * 1024);
  await assert.rejects(async () => f.read(8 * 1024 * 1024, 1468), /shrank|changed/);
  // The end of the file is still short only where the announced size says so.
  f.close();
});
