import assert from "node:assert/strict";
import { test } from "node:test";
import { inIpv4Net, ipv4NetText, parseIpv4Cidr } from "./ipv4-net.js";

test("CIDR parsing clears host bits and refuses what is not a network", () => {
  assert.deepEqual(parseIpv4Cidr("10.9.0.17/24"), { network: "10.9.0.0", prefix: 24 });
  assert.deepEqual(parseIpv4Cidr("0.0.0.0/0"), { network: "0.0.0.0", prefix: 0 });
  assert.equal(ipv4NetText(parseIpv4Cidr("192.168.7.200/30")!), "192.168.7.200/30");
  for (const bad of ["10.9.0.0/33", "10.9.0/24", "10.9.0.256/24", "10.9.0.0", "a.b.c.d/8", " 10.9.0.0/24"])
    assert.equal(parseIpv4Cidr(bad), undefined, bad);
});

test("membership at the edges of the prefix", () => {
  const net = parseIpv4Cidr("10.9.0.0/23")!;
  assert.ok(inIpv4Net(net, "10.9.0.0") && inIpv4Net(net, "10.9.1.255"));
  assert.ok(!inIpv4Net(net, "10.9.2.0") && !inIpv4Net(net, "10.8.255.255"));
  assert.ok(inIpv4Net(parseIpv4Cidr("0.0.0.0/0")!, "255.255.255.255"));
  assert.ok(
    inIpv4Net(parseIpv4Cidr("10.0.0.5/32")!, "10.0.0.5") &&
      !inIpv4Net(parseIpv4Cidr("10.0.0.5/32")!, "10.0.0.6"),
  );
  assert.ok(!inIpv4Net(net, "not an address"));
});
