import assert from "node:assert/strict";
import type { EnforcerProcess } from "./enforcer-process.js";
import { until } from "./until.js";

/** The machine-script request iPXE makes for `mac` (dashes in the query, as the general script writes it). */
export function machineScriptUrl(e: Pick<EnforcerProcess, "base">, mac: string): string {
  return `${e.base}/boot/machine?mac=${mac.replaceAll(":", "-")}&platform=pcbios`;
}

/** Creates a `custom` profile `name` that boots a kernel from a mirror that does not exist (never fetched here). */
export async function createProfile(e: Pick<EnforcerProcess, "api">, name: string): Promise<void> {
  const r = await e.api("POST", "/profiles", {
    name,
    family: "custom",
    kernel: "http://mirror.invalid/vmlinuz",
    cmdline: "console=ttyS0",
  });
  assert.equal(r.status, 201, `profile ${name}: ${JSON.stringify(r.body)}`);
}

/** Creates a config of `profile` for `mac` through `e` and arms it there; answers its id. */
export async function armThrough(
  e: Pick<EnforcerProcess, "api">,
  mac: string,
  profile: string,
): Promise<string> {
  const created = await e.api<{ id: string }>("POST", "/configs", { machine: mac, profile });
  assert.equal(created.status, 201, `create config: ${JSON.stringify(created.body)}`);
  const armed = await e.api<{ state: string }>("POST", `/configs/${created.body.id}/arm`);
  assert.equal(armed.status, 200, `arm: ${JSON.stringify(armed.body)}`);
  return created.body.id;
}

/** Waits until every instance's API shows config `id` in `state` (their memory follows the store's watch). */
export async function seenEverywhere(
  instances: readonly Pick<EnforcerProcess, "api">[],
  id: string,
  state: string,
  ms = 10_000,
): Promise<void> {
  await Promise.all(
    instances.map((e, i) =>
      until(
        `instance ${i} to show config ${id} ${state}`,
        async () => {
          const r = await e.api<{ state: string }>("GET", `/configs/${id}`);
          return r.status === 200 && r.body.state === state ? true : undefined;
        },
        ms,
        50,
      ),
    ),
  );
}

/** The kinds of the events a machine's history holds for config `id`, as instance `e` answers them. */
export async function configEventKinds(
  e: Pick<EnforcerProcess, "api">,
  mac: string,
  id: string,
): Promise<string[]> {
  const r = await e.api<{ items: { kind: string; config?: string }[] }>("GET", `/machines/${mac}/events`);
  assert.equal(r.status, 200, `history of ${mac}: ${JSON.stringify(r.body)}`);
  return r.body.items.filter((x) => x.config === id).map((x) => x.kind);
}

/** How many of `kinds` are `kind`. */
export function count(kinds: readonly string[], kind: string): number {
  return kinds.filter((k) => k === kind).length;
}

/**
 * What every instance answers about config `id` of `mac` once `served` scripts of it were served in all:
 * triggered, one `config.triggered`, and every further script served a written retry (the product serves a
 * triggered config again inside --retry-window): its fetch count and `config.retried` events match `served`.
 * A script served on a value another instance had changed would show as a fetch counted once for two answers.
 */
export async function assertServedAsWritten(
  instances: readonly Pick<EnforcerProcess, "api">[],
  mac: string,
  id: string,
  served: number,
): Promise<void> {
  for (const [i, e] of instances.entries()) {
    const kinds = await until(
      `instance ${i}'s history of ${mac} to hold ${served} fetches served`,
      async () => {
        const k = await configEventKinds(e, mac, id);
        return count(k, "config.triggered") + count(k, "config.retried") >= served ? k : undefined;
      },
      10_000,
      50,
    );
    assert.equal(count(kinds, "config.triggered"), 1, `instance ${i}, ${mac}: one trigger`);
    assert.equal(count(kinds, "config.retried"), served - 1, `instance ${i}, ${mac}: retries`);
    const c = await e.api<{ lifecycle: { state: string; fetches?: number } }>("GET", `/configs/${id}`);
    assert.equal(c.body.lifecycle.state, "triggered", `instance ${i}, ${mac}`);
    assert.equal(c.body.lifecycle.fetches, served, `instance ${i}, ${mac}: fetch count`);
  }
}
