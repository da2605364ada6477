/** Polls `cond` every 20 ms until it holds; fails after `ms` naming `what` (etcd's tests wait on feeds and health). */
export async function untilTrue(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
