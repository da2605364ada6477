// What the server no longer does at start (docs/footprint.md) must not turn a first use into an error: each
// route's validator is compiled on its first request, the agent adapters load only when configured, the
// client's commands are not loaded by `serve`. The real binary, each thing used for the first time.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { untilLine } from "../bench/ready-line.js";
import { freePort, startEnforcer } from "./support/enforcer-process.js";

test("first uses after a lean start: OpenAPI, the UI, a refused and an accepted body, a render, an agent system", async () => {
  assert.ok(existsSync("dist/ui/index.html"), "the web app is not built: run npm run build first");
  // A Consul agent nobody answers: its adapter is loaded only because it is configured.
  const e = await startEnforcer(["--consul", "http://127.0.0.1:9", "--agent-interval", "3600"]);
  try {
    const doc = await fetch(`${e.base}/api/v1/openapi.json`, {
      headers: { authorization: `Bearer ${e.token}` },
    });
    assert.equal(doc.status, 200);
    const paths = Object.keys(((await doc.json()) as { paths: object }).paths);
    assert.ok(paths.includes("/api/v1/profiles/{name}/preview"), paths.join(" "));

    const ui = await fetch(`${e.base}/ui/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<html/i);

    // The first request to each route compiles its validator: a refusal must still be the coded 400.
    const unknownField = await e.api("POST", "/profiles", { name: "p", family: "debian", nonsense: 1 });
    assert.equal(unknownField.status, 400, JSON.stringify(unknownField.body));
    assert.equal((unknownField.body as { code: string }).code, "ENF_ERR_HTTP_VALIDATION");
    const infinite = await e.api("GET", "/machines?limit=Infinity");
    assert.equal((infinite.body as { code: string }).code, "ENF_ERR_HTTP_VALIDATION");

    const profile = await e.api("POST", "/profiles", {
      name: "lean",
      family: "debian",
      location: "http://deb.example/debian/installer-amd64",
      provisioning: "d-i netcfg/get_hostname string {{ hostname }}\n",
    });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
    const mac = "52:54:00:f0:00:01";
    assert.ok((await e.api("POST", "/machines", { mac, hostname: "lean1.lab" })).status < 300);
    const preview = await e.api("POST", "/profiles/lean/preview", { machine: mac });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const files = (preview.body as { files: Record<string, string> }).files;
    assert.match(Object.values(files).join(""), /get_hostname string lean1\.lab/);

    const systems = await e.api("GET", "/agents");
    assert.equal(systems.status, 200);
    assert.match(JSON.stringify(systems.body), /consul/i);
  } finally {
    await e.stop();
  }
});

test("bin/enforcer.js run as a program starts the server with its V8 flags", async () => {
  const data = mkdtempSync(join(tmpdir(), "enforcer-footprint-"));
  const port = await freePort();
  // The `#!` line finds `node` on PATH, as an installed `enforcer` does: this one first.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };
  const child = spawn(
    resolve("bin/enforcer.js"),
    ["serve", "--data", data, "--http-port", String(port), "--listen", "127.0.0.1", "--no-tftp"],
    { stdio: ["ignore", "pipe", "inherit"], env },
  );
  try {
    await untilLine(child);
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    assert.ok(argv.includes("--max-semi-space-size=1"), argv.join(" "));
    assert.equal((await fetch(`http://127.0.0.1:${port}/boot.ipxe`)).status, 200);
  } finally {
    child.kill("SIGTERM");
  }
});

test("the binary runs the bundle, and a start with --dhcp off loads no DHCP code", async () => {
  assert.ok(existsSync("dist/bundle/enforcer.js"), "the server bundle is not built: run npm run build first");
  const dir = mkdtempSync(join(tmpdir(), "enforcer-modules-"));
  const trace = join(dir, "modules.txt");
  process.env.ENFORCER_MODULE_TRACE = trace;
  const hooks = resolve("dist/test/support/module-trace.js");
  const e = await startEnforcer(["--dhcp", "off"], { node: [process.execPath, "--import", hooks] });
  try {
    assert.equal((await fetch(`${e.base}/boot.ipxe`)).status, 200);
    const ours = readFileSync(trace, "utf8")
      .split("\n")
      .filter((u) => u.includes("/dist/"));
    assert.ok(
      ours.some((u) => u.endsWith("/dist/bundle/enforcer.js")),
      ours.join("\n"),
    );
    const fromSrc = ours.filter((u) => u.includes("/dist/src/"));
    assert.deepEqual(fromSrc, [], "modules loaded from dist/src instead of the bundle");
    assert.ok(ours.length < 15, `${ours.length} files of ours loaded:\n${ours.join("\n")}`);
    assert.ok(!ours.some((u) => /\/dhcp-[^/]*\.js$/.test(u)), ours.join("\n"));
  } finally {
    delete process.env.ENFORCER_MODULE_TRACE;
    await e.stop();
  }
});
