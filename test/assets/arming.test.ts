// The boot asset cache from the operator's side, against the real binary and a local mirror: arming fetches
// a profile's files once and the script names Enforcer's copies; an upstream failure or a wrong checksum
// fails the arm and arms nothing; the API and the CLI list, pre-seed (URL and upload), and remove (not
// while an armed config needs it); with the mirror gone, arming again still works.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { startMirror, type Mirror } from "../../src/core/testing/asset-mirror.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";

const BIN = resolve("bin/enforcer.js");
const KERNEL = Buffer.alloc(300_000, "k");
const INITRD = Buffer.alloc(500_000, "i");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

type Asset = {
  id: string;
  name: string;
  source: string;
  size: number;
  sha256: string;
  url: string;
  usedBy: string[];
};
type Config = { id: string; state: string; spec: { kernel: string; initrds: { url: string }[] } };

describe("boot asset cache: arming, API and CLI", { timeout: 120_000 }, () => {
  let mirror: Mirror;
  let base: string;
  let e: EnforcerProcess;
  const dir = mkdtempSync(join(tmpdir(), "enforcer-assets-"));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      env: { ...process.env, ENFORCER_URL: e.base, ENFORCER_TOKEN: e.token },
      encoding: "utf8",
    });
  const profile = (name: string, over: Record<string, unknown> = {}) =>
    e.api("POST", "/profiles", {
      name,
      family: "custom",
      kernel: `${base}/os/vmlinuz`,
      initrds: [`${base}/os/initrd.gz`],
      cmdline: "console=ttyS0 done={{complete_url}}",
      ...over,
    });
  const arm = async (mac: string, p: string) => {
    const c = await e.api<Config>("POST", "/configs", { machine: mac, profile: p });
    return e.api<Config & { code?: string; message?: string }>("POST", `/configs/${c.body.id}/arm`);
  };
  const list = async () =>
    (await e.api<{ items: Asset[]; usage: { bytes: number; maxBytes: number } }>("GET", "/assets")).body;

  before(async () => {
    mirror = await startMirror({
      "/os/vmlinuz": { body: KERNEL },
      "/os/initrd.gz": { body: INITRD },
      "/seed/extra.img": { body: Buffer.from("extra") },
    });
    base = mirror.url("");
    e = await startEnforcer(["--asset-cache-size", "8MiB"]);
  });
  after(async () => {
    await e?.stop();
    await mirror?.close();
  });

  test("arming fetches each file once; the script and the config name Enforcer's copies", async () => {
    assert.equal((await profile("cached")).status, 201);
    const first = await arm("52:54:00:aa:00:01", "cached");
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const { kernel, initrds } = first.body.spec;
    assert.match(kernel, new RegExp(`^${e.base}/assets/[0-9a-f]{16}/vmlinuz$`));
    assert.match(initrds[0]!.url, new RegExp(`^${e.base}/assets/[0-9a-f]{16}/initrd\\.gz$`));
    const second = await arm("52:54:00:aa:00:02", "cached");
    assert.equal(second.body.spec.kernel, kernel, "the same file, the same copy");
    assert.equal(mirror.hits("/os/vmlinuz"), 1);
    assert.equal(mirror.hits("/os/initrd.gz"), 1);
    const script = await (await fetch(`${e.base}/boot/machine?mac=52-54-00-aa-00-01&platform=pcbios`)).text();
    assert.ok(script.includes(`kernel ${kernel}`), script);
    const got = Buffer.from(await (await fetch(kernel)).arrayBuffer());
    assert.ok(got.equals(KERNEL), "Enforcer serves the mirror's bytes");

    const { items, usage } = await list();
    const k = items.find((a) => a.source === `${base}/os/vmlinuz`)!;
    assert.equal(k.size, KERNEL.length);
    assert.equal(k.sha256, sha(KERNEL));
    assert.deepEqual(k.usedBy.sort(), [first.body.id, second.body.id].sort());
    assert.equal(usage.maxBytes, 8 * 1024 * 1024);
    assert.equal(usage.bytes, KERNEL.length + INITRD.length);
  });

  test("an upstream 404 or a wrong checksum fails the arm with its code and URL, and nothing is armed", async () => {
    await profile("missing", { kernel: `${base}/os/gone`, initrds: [] });
    const gone = await arm("52:54:00:aa:00:03", "missing");
    assert.equal(gone.status, 502);
    assert.equal(gone.body.code, "ENF_ERR_ASSET_FETCH");
    assert.ok(gone.body.message!.includes(`${base}/os/gone`), gone.body.message);
    await profile("wrong-sum", {
      name: "wrong-sum",
      kernel: `${base}/seed/extra.img`,
      initrds: [],
      checksums: { [`${base}/seed/extra.img`]: "0".repeat(64) },
    });
    const wrong = await arm("52:54:00:aa:00:04", "wrong-sum");
    assert.equal(wrong.body.code, "ENF_ERR_ASSET_CHECKSUM", JSON.stringify(wrong.body));
    for (const mac of ["52:54:00:aa:00:03", "52:54:00:aa:00:04"]) {
      const mine = (await e.api<{ items: Config[] }>("GET", `/configs?machine=${mac}`)).body.items;
      assert.deepEqual(
        mine.map((c) => c.state),
        ["draft"],
        `${mac}: nothing armed`,
      );
    }
    assert.ok(!(await list()).items.some((a) => a.name === "gone" || a.name === "extra.img"));
    const bad = await e.api<{ code: string }>("POST", "/profiles", {
      name: "bad-sum",
      family: "custom",
      kernel: "http://m/k",
      checksums: { "http://m/k": "xyz" },
    });
    assert.equal(bad.status, 400);
  });

  test("the API: a viewer lists, only an operator adds; pre-seed by URL and upload; rm refused while in use", async () => {
    const viewer = (await e.api<{ token: string }>("POST", "/tokens", { name: "v", role: "viewer" })).body
      .token;
    const asViewer = (method: string, path: string, body?: unknown) =>
      fetch(`${e.base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${viewer}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    assert.equal((await asViewer("GET", "/assets")).status, 200);
    assert.equal((await asViewer("POST", "/assets", { url: `${base}/seed/extra.img` })).status, 403);

    const seeded = await e.api<Asset>("POST", "/assets", {
      url: `${base}/seed/extra.img`,
      sha256: sha("extra"),
    });
    assert.equal(seeded.status, 201, JSON.stringify(seeded.body));
    assert.equal(seeded.body.url, `${e.base}/assets/${seeded.body.id}/extra.img`);

    const upload = (name: string, body: Uint8Array, q = "") =>
      fetch(`${e.base}/api/v1/assets/${name}${q}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${e.token}`, "content-type": "application/octet-stream" },
        body: new Uint8Array(body),
      });
    const up = await upload("my-kernel", Buffer.from("uploaded kernel"), `?sha256=${sha("uploaded kernel")}`);
    assert.equal(up.status, 201);
    const u = (await up.json()) as Asset;
    assert.equal(u.source, "upload:my-kernel");
    assert.equal(await (await fetch(u.url)).text(), "uploaded kernel");
    const wrong = await upload("other", Buffer.from("x"), `?sha256=${"0".repeat(64)}`);
    assert.equal(((await wrong.json()) as { code: string }).code, "ENF_ERR_ASSET_CHECKSUM");
    const json = await fetch(`${e.base}/api/v1/assets/as-json`, {
      method: "PUT",
      headers: { authorization: `Bearer ${e.token}`, "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(json.status, 400, "a JSON body is no file");
    const huge = await upload("huge", Buffer.alloc(9 * 1024 * 1024));
    assert.equal(((await huge.json()) as { code: string }).code, "ENF_ERR_ASSET_TOO_LARGE");
    assert.ok(!(await list()).items.some((a) => a.name === "other" || a.name === "huge"));

    const kernel = (await list()).items.find((a) => a.name === "vmlinuz")!;
    const busy = await e.api<{ code: string }>("DELETE", `/assets/${kernel.id}`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.code, "ENF_ERR_ASSET_IN_USE");
    assert.equal((await e.api("DELETE", `/assets/${u.id}`)).status, 204);
    assert.equal((await e.api("DELETE", `/assets/${u.id}`)).status, 404);
  });

  test("the CLI: assets add URL|FILE, ls, rm", () => {
    const file = join(dir, "pi kernel8.img");
    writeFileSync(file, "a pi kernel");
    const added = cli("assets", "add", file, "--sha256", sha("a pi kernel"));
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /^source +upload:pi_kernel8\.img$/m);
    assert.match(added.stdout, /^verified +sha256$/m);
    const id = /^id +([0-9a-f]{16})$/m.exec(added.stdout)![1]!;
    const fromUrl = cli("assets", "add", `${base}/seed/extra.img`, "--json");
    assert.equal(JSON.parse(fromUrl.stdout).name, "extra.img");
    const ls = cli("assets", "ls");
    assert.equal(ls.status, 0, ls.stderr);
    assert.match(ls.stdout, /^ID +NAME +SIZE +SOURCE +LASTUSED +USEDBY$/m);
    assert.match(ls.stdout, new RegExp(`^${id} +pi_kernel8\\.img +11 B +upload:pi_kernel8\\.img `, "m"));
    assert.match(ls.stderr, /^\d+ file\(s\), [\d.]+ [KM]iB of 8\.0 MiB \(\d+%\)$/m);
    assert.equal(cli("assets", "rm", id).stdout, `removed asset ${id}\n`);
    const missing = cli("assets", "add", join(dir, "nope"));
    assert.equal(missing.status, 2, "a missing file is a usage error");
    const busy = cli(
      "assets",
      "rm",
      (JSON.parse(cli("assets", "ls", "--json").stdout) as { items: Asset[] }).items.find(
        (a) => a.name === "vmlinuz",
      )!.id,
    );
    assert.equal(busy.status, 5, "exit 5: conflict");
    assert.match(busy.stderr, /ENF_ERR_ASSET_IN_USE/);
  });

  test("a rack without internet: with the mirror stopped, arming the same profile again works", async () => {
    await mirror.close();
    const again = await arm("52:54:00:aa:00:05", "cached");
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.match(again.body.spec.kernel, /\/assets\/[0-9a-f]{16}\/vmlinuz$/);
    const offline = await arm("52:54:00:aa:00:06", "missing");
    assert.equal(offline.body.code, "ENF_ERR_ASSET_FETCH", "what is not cached still fails clearly");
  });
});
