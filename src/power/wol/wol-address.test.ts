import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import { WOL_DEFAULT_ADDRESS } from "../../domain/power-input.js";
import { parseWolAddress } from "./wol-address.js";

test("no address is the limited broadcast on the discard port", () => {
  assert.equal(WOL_DEFAULT_ADDRESS, "255.255.255.255:9");
  for (const none of [undefined, ""]) {
    assert.deepEqual(parseWolAddress(none), {
      host: "255.255.255.255",
      port: 9,
      family: "udp4",
      shown: "255.255.255.255:9",
    });
  }
});

test("a directed broadcast, a port, a name and a bracketed IPv6 address", () => {
  assert.deepEqual(parseWolAddress("10.0.0.255"), {
    host: "10.0.0.255",
    port: 9,
    family: "udp4",
    shown: "10.0.0.255:9",
  });
  assert.equal(parseWolAddress("10.0.0.255:7").port, 7);
  assert.deepEqual(parseWolAddress("wake.example.org:9"), {
    host: "wake.example.org",
    port: 9,
    family: "udp4",
    shown: "wake.example.org:9",
  });
  assert.deepEqual(parseWolAddress("[ff02::1]:9"), {
    host: "ff02::1",
    port: 9,
    family: "udp6",
    shown: "[ff02::1]:9",
  });
});

test("anything else is ENF_ERR_POWER_INVALID naming the address", () => {
  for (const bad of [
    "ff02::1",
    "[nope]:9",
    "10.0.0.255:0",
    "10.0.0.255:65536",
    "-oProxy",
    "a b",
    "h:9:9",
    "[::1]x",
  ]) {
    assert.throws(
      () => parseWolAddress(bad),
      (err) => isEnforcerError(err, "ENF_ERR_POWER_INVALID") && err.message.startsWith("address:"),
      bad,
    );
  }
});
