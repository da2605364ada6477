import assert from "node:assert/strict";
import { test } from "node:test";
import type { Settings } from "../config/settings.js";
import { isEnforcerError } from "../domain/errors.js";
import { bootNetwork } from "./boot-network.js";

const proxy = (extra: Partial<Settings>) => ({ dhcp: "proxy", ...extra }) as Settings;

test("loopback is never a boot network, and the refusal says so instead of 'not an address of this host'", () => {
  assert.throws(
    () => bootNetwork(proxy({}), "http://127.0.0.1:8080"),
    (e) =>
      isEnforcerError(e, "ENF_ERR_DHCP_NETWORK") &&
      /127\.0\.0\.1 is not an IPv4 address of this host's network interfaces \(loopback does not count\)/.test(
        e.message,
      ),
  );
  assert.throws(
    () => bootNetwork(proxy({ dhcpInterface: "lo" }), "http://127.0.0.1:8080"),
    (e) =>
      isEnforcerError(e, "ENF_ERR_DHCP_NETWORK") &&
      /interface lo has no IPv4 address that can answer DHCP \(loopback never can\)/.test(e.message),
  );
});

test("--dhcp-subnet names the network; Enforcer's address is the public URL's host inside it", () => {
  assert.deepEqual(
    bootNetwork(proxy({ dhcpSubnet: "127.0.0.0/8" }), "http://127.0.0.9:8080").address,
    "127.0.0.9",
  );
});
