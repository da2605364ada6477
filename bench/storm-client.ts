// The storm's machines, run inside the client namespace by `ip netns exec` (the bench's own process stays
// outside): each machine, at its seeded start time, does what a UEFI machine does and reports each step's time.
// Usage: node storm-client.js PLAN_JSON_FILE   (prints one JSON line: StormClientReport)
import { readFileSync } from "node:fs";
import { StormDhcp } from "./storm-dhcp.js";
import { MachineHttp } from "./storm-http.js";
import { chainUrls, scriptBoot } from "./storm-ipxe.js";
import { mulberry32, type StormPlan } from "./storm-plan.js";
import { tftpGet } from "./storm-tftp.js";

/** One machine's outcome: the time of each step it finished, and the step that failed. */
export interface MachineReport {
  mac: string;
  armed: boolean;
  steps: Record<string, number>;
  failedAt?: string;
  error?: string;
  /** Milliseconds from the storm's start to this machine's end. */
  endMs: number;
}

/** What the client process prints. */
export interface StormClientReport {
  machines: MachineReport[];
  /** From the first machine's start to the last machine's end. */
  totalMs: number;
  /** CPU the client process used (user + system), ms. */
  clientCpuMs: number;
  dhcpRetries: number;
  tftpRetries: number;
}

const plan = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as StormPlan;
const dhcp = await StormDhcp.open();
const random = mulberry32(plan.seed);
let tftpRetries = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();

async function boot(i: number): Promise<MachineReport> {
  const m = plan.machines[i]!;
  const r: MachineReport = { mac: m.mac, armed: m.armed, steps: {}, endMs: 0 };
  const id = {
    mac: Buffer.from(m.mac.replace(/:/g, ""), "hex"),
    guid: Buffer.concat([Buffer.from([0]), Buffer.from(m.uuid.replace(/-/g, ""), "hex")]),
  };
  const http = new MachineHttp(m.address);
  let step = "dhcp";
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    step = name;
    const s = performance.now();
    const out = await f();
    r.steps[name] = Math.round(performance.now() - s);
    return out;
  };
  try {
    const pxe = await timed("dhcp", () => dhcp.firmware(id, m.xid, m.address, plan.server));
    const loader = await timed("tftp", () =>
      tftpGet(pxe.nextServer !== "0.0.0.0" ? pxe.nextServer : pxe.serverId, pxe.file, m.address),
    );
    tftpRetries += loader.retries;
    if (loader.bytes !== plan.loaderBytes)
      throw new Error(`loader ${loader.bytes} bytes, not ${plan.loaderBytes}`);
    const ipxe = await timed("ipxe-dhcp", () => dhcp.ipxe(id, m.xid + 1, plan.server));
    const general = await timed("boot.ipxe", () => http.get(ipxe.file, true));
    if (general.status !== 200) throw new Error(`${ipxe.file}: ${general.status}`);
    const chains = chainUrls(general.text, { mac: m.mac, uuid: m.uuid });
    if (chains.length === 0) throw new Error(`boot.ipxe chains nothing:\n${general.text}`);
    // Each chain in turn until one answers a script; a fall-through machine's all fail (404), and boot.ipxe
    // goes on to the local disk: it is done.
    const script = await timed("script", async () => {
      for (const url of chains) {
        const got = await http.get(url, true);
        if (got.status === 200) return got;
      }
      return undefined;
    });
    if (!script) {
      if (m.armed) throw new Error(`armed, but no script from ${chains.join(", ")}`);
      return r;
    }
    if (!m.armed) throw new Error("not armed, but a chain answered a script");
    const b = scriptBoot(script.text);
    const kernel = await timed("kernel", () => http.get(b.kernel, false));
    if (kernel.status !== 200 || kernel.bytes !== plan.kernelBytes)
      throw new Error(`kernel: ${kernel.status}, ${kernel.bytes} bytes`);
    let initrdBytes = 0;
    await timed("initrd", async () => {
      for (const url of b.initrds) {
        const got = await http.get(url, false);
        if (got.status !== 200) throw new Error(`${url}: ${got.status}`);
        initrdBytes += got.bytes;
      }
    });
    if (initrdBytes !== plan.initrdBytes)
      throw new Error(`initrd ${initrdBytes} bytes, not ${plan.initrdBytes}`);
    // The installed system reports back next to its provisioning file (Enforcer: /p/<secret>/complete).
    if (!b.provisioning) throw new Error("the per-machine script names no provisioning url=");
    const done = await timed("complete", () => http.get(new URL("complete", b.provisioning).href, true));
    if (done.status !== 200) throw new Error(`completion: ${done.status}`);
    return r;
  } catch (err) {
    r.failedAt = step;
    r.error = (err as Error).message.slice(0, 300);
    return r;
  } finally {
    http.close();
    r.endMs = Math.round(performance.now() - t0);
  }
}

// Seeded start times, spread evenly at random over the window: the same storm for both stacks.
const starts = plan.machines.map(() => random() * plan.windowMs);
const machines = await Promise.all(
  starts.map(
    (at, i) =>
      new Promise<MachineReport>((res) => {
        setTimeout(() => void boot(i).then(res), at);
      }),
  ),
);
const cpu = process.cpuUsage(cpu0);
dhcp.close();
const report: StormClientReport = {
  machines,
  totalMs: Math.round(performance.now() - t0),
  clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  dhcpRetries: dhcp.retries,
  tftpRetries,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
