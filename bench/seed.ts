import { createCore } from "../src/core/create-core.js";
import { parseMac } from "../src/domain/mac.js";
import type { Machine } from "../src/domain/machine.js";
import { FileStore } from "../src/store/file-store.js";
import type { Store } from "../src/store/store.js";

/** The i-th benchmark MAC, 52:54:00:xx:xx:xx. */
export function benchMac(i: number): string {
  const h = (n: number) => n.toString(16).padStart(2, "0");
  return `52:54:00:${h((i >> 16) & 255)}:${h((i >> 8) & 255)}:${h(i & 255)}`;
}

/** Facts about the size an agent reports for a small server. */
function facts(i: number) {
  return {
    vendor: "QEMU",
    product: "Standard PC (Q35 + ICH9, 2009)",
    cpu: { model: "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", count: 8 },
    memoryBytes: 34359738368,
    disks: [{ name: "sda", sizeBytes: 480103981056, model: "SAMSUNG MZ7LH480", serial: `S4${i}` }],
    nics: [{ name: "eno1", mac: benchMac(i), driver: "igb", link: true }],
  };
}

/**
 * Fills a data directory the way a rack would: `machines` known machines with facts, and the first `armed`
 * of them with an armed config (`seenAt`: when they were last seen, default now). Written through the real store and core, so the files are what serve reads.
 */
export async function seed(dir: string, machines: number, armed: number, seenAt?: string): Promise<void> {
  const store = await FileStore.open({ dir });
  await seedStore(store, machines, armed, seenAt);
  await store.close();
}

/** The same rack written into any open store (the etcd bench's too), in commits the store accepts. */
export async function seedStore(
  store: Store,
  machines: number,
  armed: number,
  seenAt?: string,
): Promise<void> {
  const now = new Date().toISOString();
  const chunk = Math.min(500, store.maxOpsPerCommit);
  for (let start = 0; start < machines; start += chunk) {
    const ops = [];
    for (let i = start; i < Math.min(machines, start + chunk); i++) {
      const mac = parseMac(benchMac(i));
      const m: Machine = {
        id: mac,
        macs: [mac],
        labels: { rack: `r${i % 40}` },
        facts: facts(i),
        firstSeen: now,
        lastSeen: seenAt ?? now,
        origin: "agent",
        hostname: `node-${i}.rack.example`,
        arch: "x86_64",
        platform: "pcbios",
      };
      ops.push({ op: "put" as const, collection: "machines", id: mac, value: m });
    }
    await store.commit(ops);
  }
  const core = createCore(store, {
    publicUrl: "http://127.0.0.1:1",
    retryWindowMs: 300_000,
    discovery: false,
    remotes: [],
  });
  await core.profiles.create({
    name: "bench",
    family: "debian",
    location:
      "http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64",
    provisioning:
      "d-i netcfg/get_hostname string {{ hostname }}\nd-i mirror/http/hostname string deb.debian.org\n",
  });
  for (let start = 0; start < armed; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, armed - start) }, async (_, k) => {
        const c = await core.configs.create({ machine: benchMac(start + k), profile: "bench" });
        await core.configs.arm(c.id);
      }),
    );
  }
}
