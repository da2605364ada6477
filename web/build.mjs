// Builds the web app into dist/ui: one minified ES module bundle (with the shared API client), the
// stylesheet and the page, each also gzip- and brotli-compressed so the server sends the small copy.
// esbuild-wasm: the WebAssembly build of esbuild, so no native binary is installed (Raspberry Pi, plain npm).
import * as esbuild from "esbuild-wasm";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "dist", "ui");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { minify: true, target: ["chrome100", "firefox100", "safari15"], logLevel: "warning" };
await esbuild.build({
  ...common,
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  format: "esm",
  outfile: join(out, "app.js"),
  legalComments: "none",
});
await esbuild.build({ ...common, entryPoints: [join(here, "styles.css")], outfile: join(out, "styles.css") });
writeFileSync(join(out, "index.html"), readFileSync(join(here, "index.html")));
await esbuild.stop?.();

let raw = 0;
let gz = 0;
const rows = [];
for (const name of ["index.html", "styles.css", "app.js"]) {
  const data = readFileSync(join(out, name));
  const g = gzipSync(data, { level: 9 });
  writeFileSync(join(out, `${name}.gz`), g);
  writeFileSync(
    join(out, `${name}.br`),
    brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
  raw += data.length;
  gz += g.length;
  rows.push(`${name} ${data.length} B (gzip ${g.length} B)`);
}
process.stdout.write(`web app: ${rows.join(", ")}; total ${raw} B, ${gz} B gzip\n`);
