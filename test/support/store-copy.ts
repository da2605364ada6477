// Helpers for the `enforcer store copy` tests: run the command, seed a data directory through a real server,
// and read back what a server on a store answers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startEnforcer, type EnforcerProcess } from "./enforcer-process.js";

const BIN = resolve("bin/enforcer.js");
/** The machine the seeded stores hold. */
export const MAC = "52:54:00:5c:00:01";

/** Runs `enforcer store copy` with these arguments. */
export function storeCopy(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, "store", "copy", ...args], { encoding: "utf8" });
}

/**
 * What a user reads back through the API: machines, profiles, configs (with states), a machine's events; the
 * server's own address (in config URLs) as BASE, since each start has its own port.
 */
async function view(e: EnforcerProcess): Promise<unknown> {
  const get = async (path: string) => (await e.api("GET", path)).body;
  const seen = {
    machines: await get("/machines"),
    profiles: await get("/profiles"),
    configs: await get(`/configs?machine=${MAC}`),
    events: await get(`/machines/${MAC}/events`),
  };
  return JSON.parse(JSON.stringify(seen).replaceAll(e.base, "BASE"));
}

/** A server on `data` with a machine, a profile and an armed config, stopped; answers what it showed. */
export async function seeded(data: string, hostname: string): Promise<unknown> {
  const e = await startEnforcer([], { data });
  try {
    assert.equal((await e.api("POST", "/machines", { mac: MAC, hostname })).status, 201);
    const profile = { name: "p1", family: "custom", kernel: "http://m/vmlinuz", cmdline: "x" };
    assert.equal((await e.api("POST", "/profiles", profile)).status, 201);
    const cfg = await e.api<{ id: string }>("POST", "/configs", { machine: MAC, profile: "p1" });
    assert.equal((await e.api("POST", `/configs/${cfg.body.id}/arm`)).status, 200);
    return await view(e);
  } finally {
    await e.stop();
  }
}

/** Starts a server on a copy (with the source's admin token file, as an operator keeps the token) and reads it. */
export async function viewOf(data: string, tokenFrom: string, args: string[] = []): Promise<unknown> {
  copyFileSync(join(tokenFrom, "admin.token"), join(data, "admin.token"));
  const e = await startEnforcer(args, { data });
  try {
    return await view(e);
  } finally {
    await e.stop();
  }
}
