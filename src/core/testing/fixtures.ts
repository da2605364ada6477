import type { Store } from "../../store/store.js";
import { MemoryStore } from "../../store/testing/fake-stores.js";
import { createCore, type Core } from "../create-core.js";
import type { Clock, CoreSettings } from "../ports.js";

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.parse("2026-01-01T00:00:00.000Z")) {}
  now(): Date {
    return new Date(this.t);
  }
  /** Moves time forward. */
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A core over an in-memory store with a manual clock and test settings. */
export function testCore(over: Partial<CoreSettings> = {}, store: Store = new MemoryStore()) {
  const clock = new ManualClock();
  const settings: CoreSettings = {
    publicUrl: "http://enf.test:8080",
    retryWindowMs: 60_000,
    discovery: false,
    remotes: [],
    ...over,
  };
  const core: Core = createCore(store, settings, clock);
  return { core, clock, store };
}

/** A custom profile whose cmdline uses the completion URL, as the QEMU tests do. */
export const CUSTOM_PROFILE = {
  name: "linux",
  family: "custom" as const,
  kernel: "http://mirror/vmlinuz",
  initrds: ["http://mirror/initrd.gz"],
  cmdline: "console=ttyS0 host={{hostname}} done={{complete_url}}",
  provisioning: "#!/bin/sh\necho {{ hostname }} {{ mac }} {{ facts.cpu.model }}\n",
};
