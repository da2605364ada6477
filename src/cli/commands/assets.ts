import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import type { Command } from "commander";
import { clientCommand, cliContext, resourceCommand, type CommonOptions } from "../context.js";
import { show, showFields, UsageError } from "../output.js";
import { assetFields, assetRow, usageLine } from "../record-views.js";

type WithSha = CommonOptions & { sha256?: string };

/** `enforcer assets list|add|rm`: the boot asset cache (docs/assets.md). */
export function registerAssets(program: Command): void {
  const assets = resourceCommand(
    program,
    "assets",
    "the boot asset cache: kernels and initrds kept by Enforcer (list, add, rm)",
  );
  clientCommand(assets, "list", "list the cached files and the cache's use of its cap (the default)", true)
    .alias("ls")
    .action(async (o: CommonOptions) => {
      const ctx = cliContext(o);
      const r = await ctx.client.assets.list();
      show(ctx, r, r.items.map(assetRow), ["id", "name", "size", "source", "lastUsed", "usedBy"]);
      if (!ctx.json) ctx.err(`${usageLine(r.usage)}\n`);
    });
  clientCommand(assets, "add <URL|FILE>", "fetch a URL into the cache, or upload a file (pre-seeding)")
    .option("--sha256 <hex>", "the sha256 the file must have")
    .action(async (source: string, o: WithSha) => {
      const ctx = cliContext(o);
      const e = /^https?:\/\//i.test(source)
        ? await ctx.client.assets.add(source, o.sha256)
        : await ctx.client.assets.upload(uploadName(source), fileBody(source), o.sha256);
      showFields(ctx, e, assetFields(e));
    });
  clientCommand(assets, "rm <ID>", "remove a cached file no armed config needs")
    .alias("remove")
    .action(async (id: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      await ctx.client.assets.remove(id);
      ctx.out(`removed asset ${id}\n`);
    });
}

/** The file as a stream for the request body: never read whole into memory (an initrd is tens of MB). */
function fileBody(file: string): ReadableStream<Uint8Array> {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`${file} is neither an http(s) URL nor a file that can be read`);
  }
  if (!st.isFile()) throw new UsageError(`${file} is not a regular file`);
  return Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
}

/** The name the cache serves an upload as: the file's own, with what a URL path cannot carry replaced. */
function uploadName(file: string): string {
  const name = basename(file)
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^\./, "_")
    .slice(0, 64);
  return name || "file";
}
