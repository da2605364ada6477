// `npm install -g` as docs/systemd.md has a user do it: packed from sources without dist/ (prepare builds),
// installed with production dependencies only, then `enforcer serve --data DIR` from the install's bin/:
// the ready line, boot.ipxe, the API, the UI, and the CLI creating a profile from a shipped example. Takes
// about a minute, most of it the build inside `npm pack`.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { apiCaller, freePort } from "../support/enforcer-process.js";
import { packAndInstall, type GlobalInstall } from "../support/global-install.js";

const run = promisify(execFile);

describe("npm pack, npm install -g, enforcer serve from the global install", { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-global-"));
  let install: GlobalInstall;
  let server: ChildProcess | undefined;
  // The bin's `#!/usr/bin/env node` finds this Node first, as it finds the system's on a host.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };

  before(async () => {
    install = await packAndInstall(dir);
    console.log(
      `npm pack (with its build) ${install.seconds.pack.toFixed(1)} s, npm install -g ${install.seconds.install.toFixed(1)} s`,
    );
  });

  after(() => {
    server?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("the tarball holds what runs, the examples and the unit, and nothing of the tests", async () => {
    const files = (await run("tar", ["-tzf", install.tarball])).stdout.split("\n").filter(Boolean);
    for (const f of [
      "package/bin/enforcer.js",
      "package/dist/src/daemon/main.js",
      "package/dist/bundle/enforcer.js",
      "package/dist/ui/index.html",
      "package/dist/ui/app.js.gz",
      "package/examples/debian-bookworm.yaml",
      "package/packaging/systemd/enforcer.service",
      "package/docs/systemd.md",
      "package/on-machine/shell/enforcer-agent.sh",
    ])
      assert.ok(files.includes(f), `${f} is in the tarball`);
    const stray = files.filter((f) =>
      /\.test\.|\/testing\/|\.map$|^package\/(test|bench|src|web)\/|screenshots/.test(f),
    );
    assert.deepEqual(stray, [], "no tests, test helpers, source maps, sources or screenshots");
    const kib = statSync(install.tarball).size / 1024;
    // 470 KiB before issue 14, 544 after it (the asset cache, its API, CLI and screen, and their docs), 700
    // after issue 16 (etcd, then power control: three drivers, their routes, CLI, screen and docs).
    assert.ok(kib < 800, `the tarball is ${kib.toFixed(0)} KiB`);
    // Only production dependencies were installed: a dev dependency needed at run time would fail below.
    assert.equal(existsSync(join(install.pkg, "node_modules/typescript")), false);
    assert.equal(existsSync(join(install.pkg, "node_modules/fastify")), true);
  });

  test("enforcer serve --data DIR: ready, boot.ipxe, the API, the UI, and the CLI with a shipped example", async () => {
    const data = join(dir, "data");
    const port = await freePort();
    const bin = join(install.prefix, "bin/enforcer");
    server = spawn(
      bin,
      ["serve", "--data", data, "--listen", "127.0.0.1", "--http-port", String(port), "--no-tftp"],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    server.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    server.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no ready line in 20 s:\n${out}`)), 20_000);
      server!.stdout!.on("data", () => {
        if (out.includes("enforcer: ready")) res(clearTimeout(timer));
      });
      server!.once("exit", (code) => rej(new Error(`enforcer exited ${code}:\n${out}`)));
    });
    assert.match(out, new RegExp(`enforcer: ready http=${port} .*data=${data}`));
    const base = `http://127.0.0.1:${port}`;
    const script = await fetch(`${base}/boot.ipxe`);
    assert.equal(script.status, 200);
    assert.match(await script.text(), /^#!ipxe\n/);
    const ui = await fetch(`${base}/ui/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<!doctype html>/i);
    const token = readFileSync(join(data, "admin.token"), "utf8").trim();
    const example = join(install.pkg, "examples/debian-bookworm.yaml");
    const created = await run(bin, ["profiles", "create", "-f", example, "--json"], {
      env: { ...env, ENFORCER_URL: base, ENFORCER_TOKEN: token },
    });
    const name = (JSON.parse(created.stdout) as { name: string }).name;
    const got = await apiCaller(base, token)<{ name: string }>("GET", `/profiles/${name}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.name, name);
  });
});
