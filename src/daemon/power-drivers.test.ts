// The driver registry: the names and actions serve registers without loading a driver match the drivers'
// own, and a lazy driver loads its code once, on its first run.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PowerDriver } from "../core/power-port.js";
import { ipmiDriver } from "../power/ipmi/ipmi-driver.js";
import { redfishDriver } from "../power/redfish/redfish-driver.js";
import { wolDriver } from "../power/wol/wol-driver.js";
import { lazyDriver, powerDrivers } from "./power-drivers.js";

test("the registry names each driver with the actions the driver itself declares", () => {
  const real = [ipmiDriver(), redfishDriver(), wolDriver()];
  assert.deepEqual(
    powerDrivers().map((d) => [d.name, [...d.actions]]),
    real.map((d) => [d.name, [...d.actions]]),
  );
});

test("fake driver: a lazy driver loads once, on its first run, and tries again after a failed load", async () => {
  let loads = 0;
  let fail = true;
  const fake: PowerDriver = {
    name: "ipmi",
    actions: ["status"],
    run: async () => ({ state: "on", detail: "fake" }),
  };
  const d = lazyDriver("ipmi", ["status"], async () => {
    loads++;
    if (fail) throw new Error("module missing");
    return fake;
  });
  assert.equal(loads, 0);
  const target = { machine: "m", address: "10.0.0.1", options: {} };
  await assert.rejects(d.run(target, "status", new AbortController().signal), /module missing/);
  fail = false;
  assert.deepEqual(await d.run(target, "status", new AbortController().signal), {
    state: "on",
    detail: "fake",
  });
  await d.run(target, "status", new AbortController().signal);
  assert.equal(loads, 2);
});
