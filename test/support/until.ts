/** Polls `fn` until it answers something other than undefined, or fails after `ms` naming `what`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 20_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
