// Client classes from what real firmware sends (vendor classes from protocols.md §3.10, §4.1 and the lab).
import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyDhcpClient } from "./dhcp-client.js";
import { DHCP_CLIENT_CASES } from "./testing/dhcp-client-cases.js";

for (const [name, hints, expected] of DHCP_CLIENT_CASES)
  test(name, () => assert.deepEqual(classifyDhcpClient(hints), expected));
