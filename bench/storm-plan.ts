// The storm's plan: which machines there are (MAC, UUID, address, xid), which are armed, the window they start
// in, the file sizes they must receive. Made from a seed, so both stacks get the same storm, run after run.
import { benchMac } from "./seed.js";

/** The boot network: the servers' address and its prefix. */
export const NET = { server: "10.78.0.1", cidr: "10.78.0.1/21", prefix: 21 };
/** The most machines a storm may have. */
export const MAX_MACHINES = 2_000;
/**
 * Source addresses the machines share (machine i uses the (i mod 250)-th). The kernel's ARP table is one for
 * all namespaces, and its hard limit (gc_thresh3) is 1,024 entries on a stock host: 1,000 addresses would
 * fill it (and the other namespace tests running here) and drop packets that are no fault of either stack.
 */
const SOURCE_ADDRESSES = 250;

/** One simulated machine. */
export interface PlannedMachine {
  mac: string;
  uuid: string;
  address: string;
  /** The firmware's transaction id (DISCOVER and the port-4011 REQUEST); iPXE's is the next one. */
  xid: number;
  armed: boolean;
}

/** Everything the client process needs. */
export interface StormPlan {
  server: string;
  seed: number;
  windowMs: number;
  machines: PlannedMachine[];
  loaderBytes: number;
  kernelBytes: number;
  initrdBytes: number;
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The n-th source address: 10.78.0.10 onwards. */
function address(n: number): string {
  const v = 10 + n;
  return `10.78.${v >> 8}.${v & 255}`;
}

/** The plan for `count` machines, the first `armed` of them armed (their start times are seeded too). */
export function makePlan(o: {
  count: number;
  armed: number;
  seed: number;
  windowMs: number;
  sizes: { loader: number; kernel: number; initrd: number };
}): StormPlan {
  const random = mulberry32(o.seed ^ 0x5eed);
  const word = () => Math.floor(random() * 2 ** 32) >>> 0;
  const hex = (n: number) => word().toString(16).padStart(8, "0").slice(0, n);
  const machines = Array.from({ length: o.count }, (_, i) => ({
    mac: benchMac(i),
    uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(8)}${hex(4)}`,
    address: address(i % SOURCE_ADDRESSES),
    xid: (word() & 0xfffffffe) >>> 0,
    armed: i < o.armed,
  }));
  return {
    server: NET.server,
    seed: o.seed,
    windowMs: o.windowMs,
    machines,
    loaderBytes: o.sizes.loader,
    kernelBytes: o.sizes.kernel,
    initrdBytes: o.sizes.initrd,
  };
}
