// BootService.fallsThrough: the DHCP answer's view of "boot.ipxe would only send this machine to its disk".
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const MAC = "52:54:00:00:00:01";

test("a known machine falls through until a config is armed, and again once it is cancelled", async () => {
  const { core } = testCore();
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const m = await core.machines.register(parseMac(MAC), {});
  assert.equal(core.boot.fallsThrough(m), true);
  const c = await core.configs.create({ machine: MAC, profile: "linux" });
  assert.equal(core.boot.fallsThrough(m), true, "a draft boots nothing");
  await core.configs.arm(c.id);
  assert.equal(core.boot.fallsThrough(m), false, "armed: the loader must come");
  await core.configs.cancel(c.id);
  assert.equal(core.boot.fallsThrough(m), true);
});

test("remote Enforcers or discovery for a machine without facts keep the loader coming", async () => {
  const remote = testCore({ remotes: ["http://10.0.0.9:8080"] });
  const a = await remote.core.machines.register(parseMac(MAC), {});
  assert.equal(remote.core.boot.fallsThrough(a), false);
  const disc = testCore({ discovery: true, discoveryUrl: "http://10.0.0.9/discover.ipxe" });
  const b = await disc.core.machines.register(parseMac(MAC), {});
  assert.equal(disc.core.boot.fallsThrough(b), false);
});
