import assert from "node:assert/strict";
import { test } from "node:test";
import { ConsulAgent } from "./consul-agent.js";

test("the agent id viewers see never carries the credentials a Consul URL may hold", () => {
  assert.equal(new ConsulAgent({ url: "https://ops:s3cret@consul.lan:8501/" }).id, "consul:consul.lan:8501");
  assert.equal(new ConsulAgent({ url: "http://127.0.0.1:8500" }).id, "consul:127.0.0.1:8500");
});
