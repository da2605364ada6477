// Several instances on a real etcd, in one process: two cores over two EtcdStores on one etcd (the fake
// shared store's multi-instance tests, multi-instance.test.ts, on the real engine).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { etcdViews } from "../store/testing/etcd-views.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const MAC = "52:54:00:00:00:01";
const who = { mac: parseMac(MAC), platform: "efi" as const, arch: "x86_64" };

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test(
  "etcd: 200 concurrent fetches of one armed config over two instances on one etcd trigger it exactly once, 5 times over",
  { timeout: 90_000 },
  async () => {
    const etcd = await etcdViews();
    try {
      const [a, b] = [testCore({}, await etcd.open()).core, testCore({}, await etcd.open()).core];
      await Promise.all([a.events.ready(), b.events.ready()]);
      await a.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
      for (let round = 0; round < 5; round++) {
        const c = await a.configs.create({ machine: MAC, profile: "linux" });
        await a.configs.arm(c.id);
        await until(() => b.configs.holdingFor(MAC)?.lifecycle.state === "armed", "b sees the armed config");
        const answers = await Promise.all(
          Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).boot.machineScript(who)),
        );
        const served = answers.filter((d) => d.kind === "config").length;
        const triggered = () =>
          a.events
            .forMachine(MAC, 0, 10_000)
            .filter((e) => e.config === c.id && e.kind === "config.triggered");
        await until(() => triggered().length > 0, "a hears the trigger");
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(triggered().length, 1, `round ${round}: one trigger`);
        const written = a.events.forMachine(MAC, 0, 10_000).filter((e) => e.config === c.id);
        assert.equal(
          served,
          written.filter((e) => e.kind === "config.triggered" || e.kind === "config.retried").length,
        );
        assert.ok(
          answers.every((d) => d.kind === "config" || (d.kind === "none" && d.reason === "no-config")),
        );
        await a.configs.cancel(c.id);
        await until(() => b.configs.holdingFor(MAC) === undefined, "b sees the cancel");
      }
    } finally {
      await etcd.stop();
    }
  },
);
