// Lint rules: typescript-eslint's recommended set, plus the layers of docs/architecture.md ("dependencies
// point inward"): each folder of src/ may import only what its layer may. A wrong import fails `npm run lint`;
// test/lint-layers.test.ts proves that each rule fires, and that a right import passes.
import tseslint from "typescript-eslint";

const LAYERS = [
  "agents",
  "cli",
  "client",
  "config",
  "core",
  "daemon",
  "discovery",
  "domain",
  "files",
  "http",
  "logging",
  "power",
  "protocols",
  "store",
];
const except = (...allowed) => LAYERS.filter((l) => !allowed.includes(l));

/**
 * What each layer of src/ must not import, and why. daemon/ is the composition root: it may import every
 * layer, and no layer may import it (bin/enforcer.js runs it). `pure` layers import no node:* either
 * (client/ runs in the browser too), and domain/ imports no package at all.
 * `only`: of a layer it may import, the only files or folders it may (`{ store: ["store.js"] }`).
 * Tests (`*.test.ts`, `testing/` helpers) obey the same rule, except `testsMay`: where a test must reach across.
 */
const LAYER_RULES = {
  domain: { why: "domain imports nothing", forbid: except("domain"), pure: "nothing" },
  store: { why: "the store knows only domain", forbid: except("store", "domain") },
  core: {
    why: "core decides: it knows domain, its own ports and the store",
    forbid: except("core", "domain", "store"),
    // The store's port and names, not a backend: which backend runs is the daemon's choice.
    only: { store: ["store.js", "collections.js", "testing/"] },
    // A core test may run the services over the real file store too (reopen, compaction, a failing disk).
    testsOnly: { store: ["store.js", "collections.js", "testing/", "file-store.js"] },
  },
  protocols: {
    why: "wire formats and servers know no policy, no storage, no wiring",
    forbid: except("protocols", "domain"),
  },
  agents: {
    why: "agents implement core's ports with domain's types",
    forbid: except("agents", "core", "domain"),
  },
  power: {
    why: "power drivers (IPMI, Redfish, Wake-on-LAN) implement core's power port with domain's types",
    forbid: except("power", "core", "domain"),
  },
  http: {
    why: "routes reach data through core and render with protocols/ipxe",
    forbid: ["store", "agents", "power", "daemon", "cli", "client", "config", "discovery"],
    only: { protocols: ["ipxe/"] },
    // A route test builds a real core over a fake store, and seeds or reads it to check what the route did.
    testsMay: ["store"],
  },
  files: {
    why: "the boot file namespace is a protocol-level helper (daemon and http use it)",
    forbid: except("files", "domain"),
  },
  config: {
    why: "settings are parsed and validated with domain's types only",
    forbid: except("config", "domain"),
    // load.test.ts checks that the defaults it documents are core's limits.
    testsMay: ["core"],
  },
  discovery: {
    why: "the discovery image builder stands alone; only the entry point runs it",
    forbid: except("discovery"),
  },
  logging: {
    why: "log helpers (pino setup, a log budget) serve http and the daemon and know nothing else",
    forbid: except("logging"),
  },
  cli: { why: "the CLI talks to the API through client/ only", forbid: except("cli", "client") },
  client: {
    why: "the API client is shared with the web UI: it imports nothing of the server",
    forbid: except("client"),
    pure: true,
  },
  daemon: { why: "", forbid: [] },
};

const TESTS = ["**/*.test.ts", "**/testing/**"];

/**
 * A relative path not in its shortest form: an empty segment (`//`), a `.` segment past the start (`x/./y`,
 * `.././x`), `./..`, or a `..` after a named segment (`../core/../store`).
 */
const NOT_SHORTEST = "//|/\\.(/|$)|^\\./\\.\\.(/|$)|(^|/)(?!\\.\\.?/)[^/]+/\\.\\.(/|$)";

/**
 * The no-restricted-imports setting that forbids `forbid`, all but `only` of a layer, node:* if `pure`, and
 * testing/ helpers in `production` files, in files of `layer`.
 */
function restrict(layer, why, forbid, pure, only = {}, production = false) {
  const patterns = forbid.map((other) => ({
    // Relative imports are matched by the folder they climb to (`../../store/x.js`). Paths are not
    // resolved, so a subfolder named like a layer would match too; none exists.
    regex: `^(\\.\\./)+${other.replace("/", "\\/")}(/|$)`,
    message: `${layer}/ must not import ${other}/: ${why}.`,
  }));
  for (const [other, allowed] of Object.entries(only)) {
    const keep = allowed.map((a) => a.replace(/[.]/g, "\\.") + (a.endsWith("/") ? "" : "$")).join("|");
    patterns.push({
      regex: `^(\\.\\./)+${other}/(?!${keep})`,
      message: `${layer}/ must not import ${other}/ but ${allowed.join(", ")}: ${why}.`,
    });
  }
  // The layer patterns match the path as written, so every relative path must be written in its shortest
  // form: `../core/../store/x.js`, `./../store/x.js` or `../../src/store/x.js` would slip past them.
  patterns.push(
    {
      regex: NOT_SHORTEST,
      message: `${layer}/: write a relative import in its shortest form (no ./.., x/.., //): the layer rules read paths as written.`,
    },
    {
      regex: "^(\\.\\./)+(src|dist)(/|$)",
      message: `${layer}/: import within src/ by the shortest relative path, not by climbing out to src/ or dist/.`,
    },
  );
  // Test helpers may reach across layers (`testsMay`, node:*): imported by the server, they would carry
  // that reach into it, one file removed.
  if (production)
    patterns.push({
      regex: "(^|/)testing(/|$)",
      message: `${layer}/ must not import a testing/ helper outside tests: helpers may reach where ${layer}/ may not.`,
    });
  if (pure === "nothing")
    patterns.push({ regex: "^[^.]", message: `${layer}/ is pure: no node:*, no package (${why}).` });
  else if (pure) patterns.push({ regex: "^node:", message: `${layer}/ is pure: no node:* (${why}).` });
  return ["error", { patterns }];
}

// One block per folder and kind of file: a later block for the same file would replace the rule, not add to it.
const layerBlocks = Object.entries(LAYER_RULES).flatMap(([layer, r]) => [
  {
    files: [`src/${layer}/**/*.ts`],
    ignores: TESTS,
    rules: { "no-restricted-imports": restrict(layer, r.why, r.forbid, r.pure, r.only, true) },
  },
  {
    // Tests run under node:test, so node:* is fine in them.
    files: TESTS.map((t) => `src/${layer}/${t}`),
    rules: {
      "no-restricted-imports": restrict(
        layer,
        r.why,
        r.forbid.filter((f) => !(r.testsMay ?? []).includes(f)),
        false,
        r.testsOnly ?? r.only,
      ),
    },
  },
]);

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", ".cache/", "bench/results/"] },
  ...tseslint.configs.recommended,
  ...layerBlocks,
  {
    // no-restricted-imports reads only static imports (and `import x = require`): an import() expression, a
    // type's import("…") or a require() would pass the layer rules unseen. No layer needs them; the
    // composition root may import every layer, so it may also load one lazily.
    files: ["src/**/*.ts"],
    ignores: ["src/daemon/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        ...[
          "ImportExpression",
          "TSImportType",
          "CallExpression[callee.name=/^(require|createRequire)$/]",
        ].map((selector) => ({
          selector,
          message: "import statically (`import … from`): the layer rules check only static imports.",
        })),
      ],
    },
  },
  {
    // The web UI is a separate package: of the server's source it uses only the API client.
    files: ["web/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^(\\.\\./)+src/(?!client/)", message: "web/ uses only src/client/ (the API)." },
            { regex: NOT_SHORTEST, message: "web/ uses only src/client/, by the shortest relative path." },
          ],
        },
      ],
    },
  },
  {
    // End-to-end tests and benchmarks run the real binary: nothing imports daemon/.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^(\\.\\./)+src/daemon(/|$)", message: "nothing imports daemon/: run bin/enforcer.js." },
            {
              regex: NOT_SHORTEST,
              message: "nothing imports daemon/: write a relative import in its shortest form.",
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
);
