import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

const MAC = "52:54:00:00:00:01";

test("commands: a reboot is queued for a known machine and lands in its history", async () => {
  const t = await testApp();
  const unknown = await t.api({
    method: "POST",
    url: "/api/v1/commands",
    payload: { machine: MAC, type: "reboot" },
  });
  assert.deepEqual([unknown.statusCode, unknown.json().code], [404, "ENF_ERR_MACHINE_NOT_FOUND"]);
  await t.http.inject(`/boot/machine?mac=${MAC}`);
  const r = await t.api({
    method: "POST",
    url: "/api/v1/commands",
    payload: { machine: MAC, type: "reboot" },
  });
  assert.equal(r.statusCode, 202);
  assert.equal(r.json().state, "queued");
  assert.equal((await t.api(`/api/v1/commands/${r.json().id}`)).json().type, "reboot");
  assert.equal((await t.api(`/api/v1/commands?machine=${MAC}&state=queued`)).json().items.length, 1);
  const bad = await t.api({
    method: "POST",
    url: "/api/v1/commands",
    payload: { machine: MAC, type: "format-disk" },
  });
  assert.equal(bad.statusCode, 400);
  const history = (await t.api(`/api/v1/machines/${MAC}/events`))
    .json()
    .items.map((e: { kind: string }) => e.kind);
  assert.ok(history.includes("command.queued"));
});

test("discovery and remotes change at run time, persist, and change what machines get", async () => {
  const t = await testApp();
  const off = await t.http.inject(`/boot/machine?mac=${MAC}`);
  assert.equal(off.statusCode, 404);
  const on = await t.api({
    method: "PUT",
    url: "/api/v1/discovery",
    payload: { enabled: true, url: "http://img/d.ipxe" },
  });
  assert.deepEqual(on.json(), { enabled: true, url: "http://img/d.ipxe" });
  assert.match(
    (await t.http.inject(`/boot/machine?mac=${MAC}`)).body,
    /chain --autofree http:\/\/img\/d\.ipxe/,
  );
  const remotes = await t.api({
    method: "PUT",
    url: "/api/v1/remotes",
    payload: { remotes: ["http://10.1.1.1:8080/"] },
  });
  assert.deepEqual(remotes.json(), { remotes: ["http://10.1.1.1:8080"] });
  assert.match((await t.http.inject("/boot.ipxe")).body, /http:\/\/10\.1\.1\.1:8080\/boot\/machine/);
  assert.deepEqual(t.core.settings.stored(), {
    discovery: true,
    discoveryUrl: "http://img/d.ipxe",
    remotes: ["http://10.1.1.1:8080"],
  });
  const hostile = await t.api({
    method: "PUT",
    url: "/api/v1/remotes",
    payload: { remotes: ["http://a b"] },
  });
  assert.equal(hostile.statusCode, 400);
});

test("preview renders a profile against a machine without storing a config; forget refuses a busy machine", async () => {
  const t = await testApp();
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "host={{ hostname }}" });
  await t.http.inject(`/boot/machine?mac=${MAC}`);
  const p = await t.api({ method: "POST", url: "/api/v1/profiles/linux/preview", payload: { machine: MAC } });
  assert.equal(p.statusCode, 200);
  assert.equal(p.json().files.provision, "host=node-525400000001");
  assert.match(p.json().scripts.efi, /^kernel http:\/\/mirror\/vmlinuz initrd=initrd\.gz /m);
  assert.equal(t.core.configs.list().length, 0);

  const c = await t.core.configs.create({ machine: MAC, profile: "linux" });
  await t.core.configs.arm(c.id);
  const busy = await t.api({ method: "DELETE", url: `/api/v1/machines/${MAC}` });
  assert.deepEqual([busy.statusCode, busy.json().code], [409, "ENF_ERR_MACHINE_BUSY"]);
  await t.core.configs.cancel(c.id);
  assert.equal((await t.api({ method: "DELETE", url: `/api/v1/machines/${MAC}` })).statusCode, 204);
  assert.equal((await t.api(`/api/v1/machines/${MAC}`)).statusCode, 404);
});

test("the event stream replays from Last-Event-ID, filters by machine and goes on live", async () => {
  const t = await testApp();
  await t.http.listen({ port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${(t.http.server.address() as { port: number }).port}`;
  await t.http.inject(`/boot/machine?mac=${MAC}`); // seq 1: machine.seen
  await t.http.inject("/boot/machine?mac=52:54:00:00:00:02"); // seq 2
  const ac = new AbortController();
  const res = await fetch(`${base}/api/v1/events?machine=${MAC}`, {
    headers: { authorization: `Bearer ${t.tokens.viewer}`, "last-event-id": "0" },
    signal: ac.signal,
  });
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = res.body!.getReader();
  let text = "";
  const until = async (re: RegExp) => {
    while (!re.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  };
  await until(/: connected/);
  assert.match(text, /id: 1\nevent: machine\.seen\ndata: \{"seq":1/);
  assert.ok(!text.includes("52:54:00:00:00:02"), "another machine's event leaked through the filter");
  await t.core.machines.update(MAC, { labels: { rack: "r9" } });
  await until(/event: machine\.updated/);
  ac.abort();
  await t.http.close();
});

test("a discovery URL that cannot go into a script is refused when it is set, and nothing is stored", async () => {
  const t = await testApp();
  for (const url of ["http://img/d.ipxe?mac=${net0/mac}", "http://img/a|b", "http://img/é"]) {
    const r = await t.api({ method: "PUT", url: "/api/v1/discovery", payload: { enabled: true, url } });
    assert.deepEqual([r.statusCode, r.json().code], [422, "ENF_ERR_IPXE_UNSAFE_VALUE"], url);
  }
  assert.deepEqual(t.core.settings.stored(), {});
  assert.equal(t.core.settings.discovery, false);
});

test("an unsafe discovery URL stored by an older version still lets unknown machines be recorded", async () => {
  const t = await testApp({ discovery: true, discoveryUrl: "http://img/a|b" });
  const r = await t.http.inject(`/boot/machine?mac=${MAC}`);
  assert.equal(r.json().code, "ENF_ERR_IPXE_UNSAFE_VALUE");
  assert.ok(t.core.machines.find(MAC as never), "the machine was not recorded");
});
