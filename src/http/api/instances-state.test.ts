// Several instances over one shared store (the FAKE shared store: two views of one engine, each applying
// the other's commits asynchronously, as two processes over etcd): what the API changes through instance A
// is what instance B's API answers once B's feed heard it, with nothing stale left in B's indexes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { twoInstances, until } from "../testing/instances.js";

const MAC = "52:54:00:00:15:01";
const PROFILE = { ...CUSTOM_PROFILE, provisioning: "host={{ hostname }}\n" };

test("fake shared store: machines, search, profiles, configs and tokens changed through A are B's answers", async () => {
  const { a, b, close } = await twoInstances();
  try {
    const reg = await a.api({
      method: "POST",
      url: "/api/v1/machines",
      payload: { mac: MAC, hostname: "rack1-node7", labels: { rack: "r1" } },
    });
    assert.equal(reg.statusCode, 201);
    await until(() => b.core.machines.find(MAC as never) !== undefined, "the machine on B");
    const search = await b.api("/api/v1/machines?search=node7");
    assert.deepEqual(
      search.json().items.map((m: { id: string }) => m.id),
      [MAC],
      "B's text index found it",
    );
    // Renamed through A: B's index forgets the old name (nothing stale) and finds the new one.
    await a.api({ method: "PATCH", url: `/api/v1/machines/${MAC}`, payload: { hostname: "rack2-node9" } });
    await until(() => b.core.machines.find(MAC as never)?.hostname === "rack2-node9", "the new name on B");
    assert.equal((await b.api("/api/v1/machines?search=node7")).json().items.length, 0);
    assert.equal((await b.api("/api/v1/machines?search=rack2")).json().items.length, 1);
    assert.equal((await b.api("/api/v1/machines?label=rack%3Dr1")).json().items.length, 1);

    assert.equal(
      (await a.api({ method: "POST", url: "/api/v1/profiles", payload: PROFILE })).statusCode,
      201,
    );
    await until(() => b.store.get("profiles", "linux") !== undefined, "the profile on B");
    assert.equal((await b.api("/api/v1/profiles/linux")).json().kernel, PROFILE.kernel);

    const cfg = await a.api({
      method: "POST",
      url: "/api/v1/configs",
      payload: { machine: MAC, profile: "linux" },
    });
    assert.equal(cfg.statusCode, 201, cfg.body);
    const id = cfg.json().id as string;
    assert.equal((await a.api({ method: "POST", url: `/api/v1/configs/${id}/arm` })).statusCode, 200);
    await until(() => b.core.configs.holdingFor(MAC) !== undefined, "the armed config on B");
    assert.equal((await b.api(`/api/v1/machines/${MAC}`)).json().state, "armed");
    // B serves it (its config index followed the feed), with B's own completion URL.
    const script = await b.http.inject(`/boot/machine?mac=${MAC}`);
    assert.equal(script.statusCode, 200);
    assert.match(script.body, /done=http:\/\/b\.test:8080\/p\//);
    await until(() => a.core.configs.get(id).lifecycle.state === "triggered", "the trigger on A");
    assert.equal((await a.api(`/api/v1/configs/${id}`)).json().lifecycle.state, "triggered");
    // A profile in use on B (through a config A made) is refused there too.
    assert.equal((await b.api({ method: "DELETE", url: "/api/v1/profiles/linux" })).statusCode, 409);

    // A token made through A works on B; revoked through A, B refuses it.
    const made = await a.api({
      method: "POST",
      url: "/api/v1/tokens",
      payload: { name: "ci", role: "viewer" },
    });
    const token = made.json().token as string;
    await until(() => b.core.tokens.verify(token) !== undefined, "the token on B");
    const who = await b.http.inject({ url: "/api/v1/whoami", headers: { authorization: `Bearer ${token}` } });
    assert.equal(who.statusCode, 200);
    await a.api({ method: "DELETE", url: `/api/v1/tokens/${made.json().id}` });
    await until(() => b.core.tokens.verify(token) === undefined, "the revocation on B");
    const gone = await b.http.inject({
      url: "/api/v1/whoami",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(gone.statusCode, 401);
  } finally {
    await close();
  }
});

test("fake shared store: discovery and remotes changed through A change what B's machines get", async () => {
  const { a, b, close } = await twoInstances();
  try {
    assert.equal((await b.http.inject(`/boot/machine?mac=${MAC}`)).statusCode, 404);
    await a.api({
      method: "PUT",
      url: "/api/v1/discovery",
      payload: { enabled: true, url: "http://img/d.ipxe" },
    });
    await a.api({ method: "PUT", url: "/api/v1/remotes", payload: { remotes: ["http://10.1.1.1:8080/"] } });
    await until(() => b.core.settings.remotes.length === 1 && b.core.settings.discovery, "the settings on B");
    assert.deepEqual((await b.api("/api/v1/discovery")).json(), { enabled: true, url: "http://img/d.ipxe" });
    assert.deepEqual((await b.api("/api/v1/remotes")).json(), { remotes: ["http://10.1.1.1:8080"] });
    // The general script B renders is kept until the settings change: it changed through A.
    assert.match((await b.http.inject("/boot.ipxe")).body, /http:\/\/10\.1\.1\.1:8080\/boot\/machine/);
    assert.match(
      (await b.http.inject(`/boot/machine?mac=${MAC}`)).body,
      /chain --autofree http:\/\/img\/d\.ipxe/,
    );
    await a.api({ method: "PUT", url: "/api/v1/remotes", payload: { remotes: [] } });
    await until(() => b.core.settings.remotes.length === 0, "the remotes cleared on B");
    assert.doesNotMatch((await b.http.inject("/boot.ipxe")).body, /10\.1\.1\.1/);
  } finally {
    await close();
  }
});
