import { appendFileSync } from "node:fs";

// The loader hooks module-trace.ts registers (they run on Node's loader thread).

/** Node's load hook: notes the module's URL, then loads it as usual. */
export async function load(
  url: string,
  context: object,
  next: (url: string, context: object) => Promise<unknown>,
): Promise<unknown> {
  const to = process.env.ENFORCER_MODULE_TRACE;
  if (to && url.startsWith("file:")) appendFileSync(to, `${url}\n`);
  return next(url, context);
}
