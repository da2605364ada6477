// Real TFTP clients from Debian (curl, atftp, tftp-hpa) against Enforcer's TFTP server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { sha256, startTestTftp, tftpRoot } from "../support/tftp-fixture.js";

const run = promisify(execFile);
// 65536 blocks of 512 bytes plus a little: the block number wraps to 0 on the way.
const WRAP_SIZE = 65536 * 512 + 1000;

describe("real TFTP clients", { timeout: 300_000 }, () => {
  const root = tftpRoot({
    "one.bin": 1024 * 1024,
    "exact.bin": 1468 * 20,
    "wrap.bin": WRAP_SIZE,
    "text.txt": Buffer.from("line one\nline two\r\nend\n"),
  });
  const out = mkdtempSync(join(tmpdir(), "enforcer-tftp-out-"));
  let srv: Awaited<ReturnType<typeof startTestTftp>>;
  before(async () => {
    srv = await startTestTftp(root.dir);
  });
  after(() => srv.server.close());
  const got = (name: string) => sha256(readFileSync(join(out, name)));

  test("curl with blksize 1468 and the default 512, including a file of more than 65535 blocks", async () => {
    const port = srv.server.port;
    await run("curl", [
      "-sS",
      "--tftp-blksize",
      "1468",
      `tftp://127.0.0.1:${port}/one.bin`,
      "-o",
      join(out, "c1"),
    ]);
    assert.equal(got("c1"), sha256(root.data["one.bin"]!));
    await run("curl", [
      "-sS",
      "--tftp-blksize",
      "1468",
      `tftp://127.0.0.1:${port}/exact.bin`,
      "-o",
      join(out, "c2"),
    ]);
    assert.equal(got("c2"), sha256(root.data["exact.bin"]!), "a file that is an exact multiple of blksize");
    await run("curl", [
      "-sS",
      "--tftp-blksize",
      "512",
      `tftp://127.0.0.1:${port}/wrap.bin`,
      "-o",
      join(out, "c3"),
    ]);
    assert.equal(got("c3"), sha256(root.data["wrap.bin"]!));
    const wrap = srv.transfers.find((t) => t.file === "wrap.bin");
    assert.deepEqual([wrap?.outcome, wrap?.bytes, wrap?.options.blksize], ["complete", WRAP_SIZE, "512"]);
  });

  test("atftp with blksize, tsize and windowsize 8 and 16 (RFC 7440)", async () => {
    for (const w of ["8", "16"]) {
      const args = ["--option", "blksize 1468", "--option", `windowsize ${w}`, "--option", "tsize 0"];
      const { stdout, stderr } = await run("atftp", [
        ...args,
        "--trace",
        "-g",
        "-r",
        "one.bin",
        "-l",
        join(out, `a${w}`),
        "127.0.0.1",
        String(srv.server.port),
      ]);
      assert.equal(got(`a${w}`), sha256(root.data["one.bin"]!));
      assert.match(stdout + stderr, new RegExp(`received OACK.*windowsize: ${w}`, "s"));
    }
  });

  test("tftp-hpa, plain RFC 1350 (no options), octet and netascii", async () => {
    const port = String(srv.server.port);
    await run("tftp", ["127.0.0.1", port, "-m", "binary", "-c", "get", "one.bin", join(out, "h1")]);
    assert.equal(got("h1"), sha256(root.data["one.bin"]!));
    await run("tftp", ["127.0.0.1", port, "-m", "ascii", "-c", "get", "text.txt", join(out, "h2")]);
    assert.equal(readFileSync(join(out, "h2"), "latin1"), "line one\nline two\r\nend\n");
    const plain = srv.transfers.find((t) => t.file === "one.bin" && Object.keys(t.options).length === 0);
    assert.equal(plain?.outcome, "complete");
  });

  test("a missing file and an escape attempt get TFTP errors the clients print", async () => {
    const port = srv.server.port;
    await assert.rejects(
      run("curl", ["-sS", `tftp://127.0.0.1:${port}/nope.bin`, "-o", join(out, "x")]),
      { code: 68 }, // curl: "TFTP: file not found"
    );
    const r = await run("tftp", [
      "127.0.0.1",
      String(port),
      "-c",
      "get",
      "../../etc/passwd",
      join(out, "y"),
    ]).catch((e: { stdout: string; stderr: string }) => e);
    assert.match(r.stdout + r.stderr, /Error code 2: access violation: '\.\.' is not allowed/);
  });
});
