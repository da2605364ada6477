import assert from "node:assert/strict";
import { test } from "node:test";
import { AddressLimiter, addressKey } from "./address-limiter.js";

test("IPv6 addresses count per /64; IPv4 and IPv4-mapped addresses per address", () => {
  assert.equal(addressKey("10.0.0.1"), "10.0.0.1");
  assert.equal(addressKey("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(addressKey("2001:db8:0:1::5"), "2001:db8:0:1::/64");
  assert.equal(addressKey("2001:0db8:0000:0001:ffff:1:2:3"), "2001:db8:0:1::/64");
  assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(addressKey("::1"), "0:0:0:0::/64");
  const l = new AddressLimiter(3);
  for (let i = 1; i <= 3; i++) l.hit(`2001:db8::${i}`);
  assert.ok(l.exceeded("2001:db8::99"), "one /64 shares one budget");
  assert.ok(!l.exceeded("2001:db8:0:2::1"));
  l.stop();
});

test("a spray of addresses cannot grow the map past its cap: new ones share one window", () => {
  const l = new AddressLimiter(5, 60_000, 10);
  for (let i = 0; i < 10; i++) l.hit(`10.0.0.${i}`);
  for (let i = 10; i < 20; i++) l.hit(`10.0.0.${i}`);
  assert.ok(l.exceeded("10.0.1.1"), "the shared window is used up");
  assert.ok(!l.exceeded("10.0.0.1"), "tracked addresses keep their own count");
  l.stop();
});
