// Bundles the compiled server (dist/src, from tsc) into dist/bundle: one ES module for the entry plus one chunk
// per lazily imported part (serve, the client's commands, the agents, discovery), so a start reads a handful of
// files instead of ~300 modules (docs/footprint.md). bin/enforcer.js prefers it; tests of src/ units keep
// importing dist/src. node_modules stay outside (`packages: "external"`): pino's worker transports and
// Fastify's plugins load as they always do.
// esbuild-wasm: the WebAssembly build of esbuild, as for web/, so no native binary is installed.
import * as esbuild from "esbuild-wasm";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const out = join(dist, "bundle");
rmSync(out, { recursive: true, force: true });

// A module that finds files beside it (the UI, on-machine/) says `new URL("../../ui/", import.meta.url)`;
// in a chunk, import.meta.url is the chunk's. Each such module gets its own place back, relative to the
// bundle's folder, so the bundle moves with the package (a global install, the container) like dist/src does.
const ownUrl = {
  name: "own-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (args) => {
      const code = readFileSync(args.path, "utf8");
      if (!code.includes("import.meta.url")) return { contents: code, loader: "js" };
      const rel = relative(out, args.path).split("\\").join("/");
      const own = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      return { contents: code.replaceAll("import.meta.url", own), loader: "js" };
    });
  },
};

const result = await esbuild.build({
  entryPoints: { enforcer: join(dist, "src", "daemon", "main.js") },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  outdir: out,
  chunkNames: "[name]-[hash]",
  // Names stay (stack traces and logs read as in the source); whitespace goes, which is most of the saving.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [ownUrl],
});
await esbuild.stop?.();

const files = Object.entries(result.metafile.outputs);
const bytes = files.reduce((sum, [, o]) => sum + o.bytes, 0);
const modules = Object.keys(result.metafile.inputs).length;
process.stdout.write(`server bundle: ${modules} modules into ${files.length} files, ${bytes} B\n`);
