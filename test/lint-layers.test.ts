// The layer rules of eslint.config.js fire: a wrong import fails `npm run lint`, a right one passes.
// eslint's own Node API lints a one-line file at a path inside each layer (the file need not exist).
import assert from "node:assert/strict";
import { test } from "node:test";
import { readdirSync } from "node:fs";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: process.cwd() });

/** The layer messages eslint gives for `import "<what>"` in a file at `path`. */
async function layerErrors(path: string, what: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import "${what}";\n`, { filePath: path });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const CASES: [family: string, file: string, wrong: string, right: string][] = [
  [
    "core imports no protocol",
    "src/core/x.ts",
    "../protocols/ipxe/config-script.js",
    "../domain/boot-config.js",
  ],
  ["core imports no http, agents or config", "src/core/x.ts", "../http/server.js", "./ports.js"],
  ["domain imports nothing", "src/domain/x.ts", "../store/store.js", "./mac.js"],
  ["domain imports no node:*", "src/domain/x.ts", "node:fs", "./errors.js"],
  ["domain imports no package", "src/domain/x.ts", "liquidjs", "./mac.js"],
  ["store imports only domain", "src/store/x.ts", "../core/ports.js", "../domain/errors.js"],
  ["protocols import no core", "src/protocols/tftp/x.ts", "../../core/ports.js", "../../domain/errors.js"],
  [
    "protocols import no files",
    "src/protocols/tftp/x.ts",
    "../../files/boot-files.js",
    "../udp/safe-socket.js",
  ],
  ["agents import no http", "src/agents/serf/x.ts", "../../http/server.js", "../../core/ports.js"],
  ["power drivers import no http", "src/power/ipmi/x.ts", "../../http/server.js", "../../core/power-port.js"],
  ["http imports no power driver", "src/http/api/x.ts", "../../power/ipmi/ipmi-driver.js", "../present.js"],
  ["http reads no store", "src/http/api/x.ts", "../../store/store.js", "../../core/create-core.js"],
  [
    "http imports no TFTP",
    "src/http/x.ts",
    "../protocols/tftp/server.js",
    "../protocols/ipxe/general-script.js",
  ],
  ["http imports no agent adapter", "src/http/api/x.ts", "../../agents/serf/serf-agent.js", "../present.js"],
  ["core logs nothing itself", "src/core/x.ts", "../logging/log-budget.js", "./change-set.js"],
  ["logging stands alone", "src/logging/x.ts", "../core/ports.js", "pino"],
  ["nothing imports daemon", "src/http/x.ts", "../daemon/serve.js", "./errors.js"],
  ["tests import no daemon", "test/x.test.ts", "../src/daemon/serve.js", "../src/core/create-core.js"],
  ["cli uses client only", "src/cli/commands/x.ts", "../../domain/errors.js", "../../client/api-client.js"],
  ["cli runs no daemon", "src/cli/x.ts", "../daemon/serve.js", "./output.js"],
  ["client stands alone", "src/client/x.ts", "../domain/errors.js", "eventsource-parser"],
  ["client imports no node:*", "src/client/x.ts", "node:fs", "./api-client.js"],
  [
    "config imports no protocol",
    "src/config/x.ts",
    "../protocols/ipxe/general-script.js",
    "../domain/errors.js",
  ],
  ["files import no core", "src/files/x.ts", "../core/ports.js", "../domain/errors.js"],
  ["discovery stands alone", "src/discovery/x.ts", "../domain/errors.js", "node:child_process"],
  ["only the entry runs discovery", "src/core/x.ts", "../discovery/build.js", "../store/store.js"],
  ["web uses the client only", "web/src/x.ts", "../../src/domain/mac.js", "../../src/client/api-client.js"],
  [
    "web uses the client only, by no detour",
    "web/src/x.ts",
    "../../src/client/../domain/mac.js",
    "../../src/client/api-client.js",
  ],
  [
    "tests import no daemon, by no detour",
    "test/x.test.ts",
    "../src/core/../daemon/serve.js",
    "../src/core/ports.js",
  ],
  [
    "core imports the store's port, not a backend",
    "src/core/x.ts",
    "../store/file-store.js",
    "../store/store.js",
  ],
  [
    "http renders with protocols/ipxe, nothing else of protocols",
    "src/http/x.ts",
    "../protocols/udp/safe-socket.js",
    "../protocols/ipxe/general-script.js",
  ],
];

for (const [family, file, wrong, right] of CASES) {
  test(`layers: ${family} (${file}: "${wrong}" fails, "${right}" passes)`, async () => {
    const errors = await layerErrors(file, wrong);
    assert.equal(errors.length, 1, `${wrong} in ${file} should fail the lint`);
    assert.match(errors[0]!, /must not import|is pure|uses only|nothing imports/);
    assert.deepEqual(await layerErrors(file, right), []);
  });
}

test("layers: the entry point (daemon/) may import every layer", async () => {
  for (const what of ["../cli/program.js", "../discovery/build.js", "../store/store.js", "../http/server.js"])
    assert.deepEqual(await layerErrors("src/daemon/main.ts", what), [], what);
});

test("layers: a route test may reach the store to seed and check it; the route itself may not", async () => {
  assert.deepEqual(await layerErrors("src/http/api/x.test.ts", "../../store/testing/fake-stores.js"), []);
  assert.notDeepEqual(await layerErrors("src/http/api/x.ts", "../../store/testing/fake-stores.js"), []);
  // The leniency is only where a test must reach across: a test still runs no daemon.
  assert.equal((await layerErrors("src/http/api/x.test.ts", "../../daemon/serve.js")).length, 1);
});

test("layers: a core test may run the services over the file store; a service may not import it", async () => {
  assert.deepEqual(await layerErrors("src/core/x.test.ts", "../store/file-store.js"), []);
  assert.equal((await layerErrors("src/core/x.ts", "../store/file-store.js")).length, 1);
  // Only the file store: a core test still reaches no protocol.
  assert.equal((await layerErrors("src/core/x.test.ts", "../protocols/ipxe/config-script.js")).length, 1);
});

/** The layer and import-form messages eslint gives for the source `code` in a file at `path`. */
async function importErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\n`, { filePath: path });
  return result!.messages
    .filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax")
    .map((m) => m.message);
}

// The layer rules read import paths as written: a path that reaches a forbidden layer by a detour, or an
// import the rule does not read (import(), a type's import("…"), require), would slip past them.
const DETOURS: [how: string, code: string][] = [
  ["through a layer it may import", `import "../domain/../protocols/ipxe/config-script.js";`],
  ["from ./..", `import "./../protocols/ipxe/config-script.js";`],
  ["with an empty segment", `import "..//protocols/ipxe/config-script.js";`],
  ["by climbing out to src/", `import "../../src/protocols/ipxe/config-script.js";`],
  ["from dist/", `import "../../dist/src/protocols/ipxe/config-script.js";`],
  ["by import()", `export const m = await import("../protocols/ipxe/config-script.js");`],
  ["in a type's import()", `export type T = import("../protocols/ipxe/config-script.js").Platform;`],
  ["by require()", `import { createRequire } from "node:module";\ncreateRequire(import.meta.url)("x");`],
  ["re-exported", `export { renderConfig } from "../protocols/ipxe/config-script.js";`],
  ["as a type only", `import type { Platform } from "../protocols/ipxe/config-script.js";`],
];

for (const [how, code] of DETOURS) {
  test(`layers: core cannot reach protocols ${how}`, async () => {
    assert.notDeepEqual(await importErrors("src/core/x.ts", code), [], code);
  });
}

test("layers: shortest relative paths and static imports pass; the entry point may load a layer lazily", async () => {
  for (const what of ["./ports.js", "../domain/boot-config.js", "../store/store.js", "liquidjs"])
    assert.deepEqual(await importErrors("src/core/x.ts", `import "${what}";`), [], what);
  assert.deepEqual(
    await importErrors("src/daemon/x.ts", `export const m = await import("../cli/program.js");`),
    [],
  );
});

test("layers: every folder of src/ has a layer rule (a new folder is unchecked until eslint.config.js names it)", async () => {
  const folders = readdirSync("src", { withFileTypes: true }).filter((d) => d.isDirectory());
  assert.ok(folders.length > 10);
  for (const d of folders) {
    const config = await eslint.calculateConfigForFile(`src/${d.name}/x.ts`);
    assert.ok(
      config.rules?.["no-restricted-imports"],
      `src/${d.name}/ has no layer rule in eslint.config.js`,
    );
  }
});

test("layers: the server imports no testing/ helper (a helper may reach where its layer may not); a test may", async () => {
  assert.notDeepEqual(await layerErrors("src/http/x.ts", "./testing/app.js"), []);
  assert.notDeepEqual(await layerErrors("src/core/x.ts", "../store/testing/fake-stores.js"), []);
  assert.deepEqual(await layerErrors("src/http/x.test.ts", "./testing/app.js"), []);
  assert.deepEqual(await layerErrors("src/core/x.test.ts", "../store/testing/fake-stores.js"), []);
});
