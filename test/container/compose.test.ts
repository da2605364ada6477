// compose.yaml against the Dockerfile and the settings: the wiring a user starts with `compose up` must agree
// with the image (stage names, the data volume, the health check's port) and with Enforcer's ENFORCER_* names.
// The image test (image.test.ts) runs the same two images the same way, with podman, on its own ports.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { SETTING_NAMES } from "../../src/config/settings.js";

interface Service {
  build: { context: string; target: string };
  network_mode?: string;
  volumes?: string[];
  environment?: Record<string, string>;
  command?: string[];
}

const compose = parse(readFileSync("compose.yaml", "utf8")) as { services: Record<string, Service> };
const dockerfile = readFileSync("Dockerfile", "utf8");
const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);

describe("compose.yaml", () => {
  const { enforcer, serf } = compose.services;

  test("both services build a stage of the Dockerfile and use the host's network", () => {
    assert.equal(enforcer?.build.target, "runtime");
    assert.equal(serf?.build.target, "serf");
    // runtime is the last stage: a plain `docker build .` gives the Enforcer image.
    assert.deepEqual(stages, ["build", "serf", "runtime"]);
    assert.equal(enforcer.network_mode, "host");
    assert.equal(serf.network_mode, "host");
  });

  test("Enforcer's data is the image's volume, and every variable is a setting Enforcer reads", () => {
    assert.match(dockerfile, /^VOLUME \/var\/lib\/enforcer$/m);
    assert.ok(enforcer!.volumes!.some((v) => /^[a-z-]+:\/var\/lib\/enforcer$/.test(v)));
    const known = new Set(Object.values(SETTING_NAMES).map((n) => n.env));
    for (const key of Object.keys(enforcer!.environment!)) assert.ok(known.has(key), `${key} is no setting`);
  });

  test("the public URL and the health check name the port Enforcer listens on", () => {
    const env = enforcer!.environment!;
    assert.equal(new URL(env.ENFORCER_PUBLIC_URL!).port, env.ENFORCER_HTTP_PORT);
    assert.match(dockerfile, /^HEALTHCHECK .*process\.env\.ENFORCER_HTTP_PORT/m);
  });

  test("Enforcer reaches the serf agent's RPC address, which only loopback can reach", () => {
    const rpc = serf!.command!.find((a) => a.startsWith("-rpc-addr="))!.slice("-rpc-addr=".length);
    assert.equal(enforcer!.environment!.ENFORCER_SERF, rpc);
    assert.match(rpc, /^127\.0\.0\.1:\d+$/);
  });
});
