/**
 * A machine's boot timeline: the steps the edges saw (DHCP, TFTP, boot HTTP, provisioning) grouped into boot
 * attempts. Pure: the core service feeds it, keeps it bounded in memory and decides what is persisted.
 */

/** DHCP: one request (merged with identical repeats) and what the proxy answered or why it did not. */
export interface DhcpStep {
  kind: "dhcp";
  /** The client's class (`uefi-pxe`, `bios-pxe`, `uefi-http`, `ipxe`, `raspberry-pi`, `not-pxe`). */
  client: string;
  vendorClass?: string;
  arch?: number;
  /** `dhcp`: port 67; `boot-server`: port 4011. */
  port: "dhcp" | "boot-server";
  /** The boot file offered (a TFTP name or a URL). */
  offered?: string;
  reply?: "offer" | "ack";
  /** Why nothing was answered (the proxy's skip reason) and its one-line detail. */
  skip?: string;
  skipDetail?: string;
}

/** How a TFTP transfer ended, as the timeline names it. */
export type TftpOutcome =
  | "complete"
  /** The client asked the size and ended the transfer after the OACK: PXE ROMs do this before the real fetch. */
  | "size-probe"
  /** The client stopped acknowledging: the server gave up after its retries. */
  | "stalled"
  /** The client sent an ERROR in the middle of the transfer. */
  | "gave-up"
  /** Refused before the first block (no such file, access). */
  | "refused"
  /** Ended by the server (shutdown, a failed send). */
  | "error";

/** TFTP: one transfer. */
export interface TftpStep {
  kind: "tftp";
  file: string;
  bytes: number;
  /** The file's size, when it was opened. */
  size?: number;
  durationMs: number;
  resent: number;
  /** The last block the client acknowledged. */
  lastBlock: number;
  outcome: TftpOutcome;
  error?: string;
}

/** What a boot HTTP request was. */
export type HttpWhat =
  "boot-script" | "machine-script" | "discovery-script" | "provisioning-file" | "completion" | "boot-file";

/** Boot HTTP: one request, with the machine script's decision. */
export interface HttpStep {
  kind: "http";
  what: HttpWhat;
  /** The path without query or secret (`/p/…/<file>` keeps the file name only). */
  path: string;
  status: number;
  bytes?: number;
  durationMs: number;
  /** The machine script's decision: a config, discovery, or none (fell through) with its reason. */
  decision?: "config" | "discovery" | "none";
  reason?: string;
}

/** Provisioning: a config lifecycle event of the machine (triggered, completed, expired, …). */
export interface ProvisionStep {
  kind: "provision";
  event: string;
  config?: string;
}

/** Fields every step has: when it happened (ms since the epoch) and how many identical ones it stands for. */
interface StepBase {
  at: number;
  /** The last of the merged repeats. */
  lastAt?: number;
  count: number;
}

/** One step of a boot attempt. */
export type TimelineStep = StepBase & (DhcpStep | TftpStep | HttpStep | ProvisionStep);

/** One boot attempt: from the firmware's first DHCP (or first request seen) to where it stopped. */
export interface BootAttempt {
  /** Rising per machine. */
  n: number;
  startedAt: number;
  lastAt: number;
  steps: TimelineStep[];
  /** Steps left out once the attempt held its cap (the oldest after the first). */
  droppedSteps: number;
}

/** One MAC's recent attempts, oldest first. */
export interface MachineTimeline {
  mac: string;
  attempts: BootAttempt[];
  droppedAttempts: number;
}

/** Bounds and the idle gaps that end an attempt. */
export interface TimelineCaps {
  attemptsPerMachine: number;
  stepsPerAttempt: number;
  /** A step this long after the attempt's last one starts a new attempt. */
  idleMs: number;
  /** Provisioning steps join the attempt that served the config for this long (an install takes a while). */
  provisionMs: number;
}

/** Defaults: 5 attempts of 48 steps per MAC; 10 minutes idle; an install may take 3 hours. */
export const DEFAULT_TIMELINE_CAPS: TimelineCaps = {
  attemptsPerMachine: 5,
  stepsPerAttempt: 48,
  idleMs: 10 * 60_000,
  provisionMs: 3 * 3600_000,
};

const LOADER = /\.(efi|kpxe|kkpxe|kpxe|pxe|lkrn|0)$/i;

/** True when a TFTP or HTTP file name is an iPXE loader (what firmware fetches, never iPXE itself). */
export function isLoader(file: string): boolean {
  return LOADER.test(file) && !file.startsWith("http");
}

/**
 * Where a step sits in a boot: 0 firmware DHCP, 1 the loader, 2 iPXE's DHCP, 3 the general script, 4 the
 * machine script, 5 provisioning. Boot files other than loaders count as 1.
 */
export function phaseOf(s: TimelineStep): number {
  switch (s.kind) {
    case "dhcp":
      return s.client === "ipxe" ? 2 : 0;
    case "tftp":
      return s.file === "boot.ipxe" ? 3 : 1;
    case "http":
      if (s.what === "boot-script") return 3;
      if (s.what === "machine-script" || s.what === "discovery-script") return 4;
      if (s.what === "boot-file") return 1;
      return 5;
    case "provision":
      return 5;
  }
}

/**
 * Whether `step` begins a new attempt after `current`. A new boot shows as firmware asking DHCP again once
 * the attempt went past DHCP, or as a loader, the general script or iPXE's DHCP coming after the machine
 * script (firmware DHCP is not seen where another server answers it), or as any step after an idle gap.
 * A loader fetched again before any script is the same attempt: that is the loader loop to be shown.
 */
export function startsNewAttempt(
  current: BootAttempt | undefined,
  step: TimelineStep,
  caps: TimelineCaps,
): boolean {
  if (!current) return true;
  const gap = step.at - current.lastAt;
  if (step.kind === "provision") return gap > caps.provisionMs;
  if (gap > caps.idleMs) return true;
  const phase = phaseOf(step);
  let maxPhase = 0;
  for (const s of current.steps) maxPhase = Math.max(maxPhase, phaseOf(s));
  if (phase === 0) return maxPhase > 0;
  if (phase <= 3) return maxPhase >= 4;
  return false;
}

/** Two steps are the same when they differ only in time (a DHCP retry, an iPXE retry of one URL). */
function sameStep(a: TimelineStep, b: TimelineStep): boolean {
  if (a.kind !== b.kind) return false;
  const strip = ({ at: _a, lastAt: _l, count: _c, ...rest }: TimelineStep) => rest;
  if (a.kind === "tftp" || a.kind === "http") {
    // Durations differ on every request: compared without them.
    const { durationMs: _d1, ...x } = strip(a) as TftpStep | HttpStep;
    const { durationMs: _d2, ...y } = strip(b) as TftpStep | HttpStep;
    return JSON.stringify(x) === JSON.stringify(y);
  }
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/**
 * Adds a step to a MAC's timeline: merged into the last step when identical (a retry), else appended to
 * the current attempt or to a new one. Caps hold: the oldest attempt goes, an attempt's oldest steps after
 * its first go, each counted. Returns the attempt it landed in and the one it ended, if any.
 */
export function addStep(
  t: MachineTimeline,
  step: TimelineStep,
  caps: TimelineCaps,
): { attempt: BootAttempt; ended?: BootAttempt } {
  const previous = t.attempts[t.attempts.length - 1];
  if (!previous || startsNewAttempt(previous, step, caps)) {
    // A new attempt is made holding its first step, and a timeline's first attempt list holding it: an array
    // made empty and pushed to reserves room for 17 (two of them per machine seen, docs/performance.md).
    const current: BootAttempt = {
      n: (previous?.n ?? 0) + 1,
      startedAt: step.at,
      lastAt: step.at,
      steps: [step],
      droppedSteps: 0,
    };
    if (t.attempts.length === 0) t.attempts = [current];
    else t.attempts.push(current);
    while (t.attempts.length > caps.attemptsPerMachine) {
      t.attempts.shift();
      t.droppedAttempts++;
    }
    return previous ? { attempt: current, ended: previous } : { attempt: current };
  }
  const current = previous;
  current.lastAt = Math.max(current.lastAt, step.at);
  const last = current.steps[current.steps.length - 1];
  if (last && sameStep(last, step)) {
    last.count += step.count;
    last.lastAt = step.at;
    return { attempt: current };
  }
  current.steps.push(step);
  if (current.steps.length > caps.stepsPerAttempt) {
    current.steps.splice(1, 1);
    current.droppedSteps++;
  }
  return { attempt: current };
}

/**
 * A step in a few words, for tables, persisted summaries and hints (`tftp ipxe.efi complete 1.0 MB`); without
 * its repeat count (` x3`) when `counted` is false: two boots that took the same steps have the same shape.
 */
export function stepLabel(s: TimelineStep, counted = true): string {
  const times = counted && s.count > 1 ? ` x${s.count}` : "";
  switch (s.kind) {
    case "dhcp": {
      const what = s.offered ? `${s.reply ?? "offer"} ${s.offered}` : `no answer (${s.skip ?? "?"})`;
      return `dhcp ${s.client}${s.port === "boot-server" ? ":4011" : ""} ${what}${times}`;
    }
    case "tftp": {
      if (s.outcome === "refused") return `tftp ${s.file} refused${times}`;
      const at = s.outcome === "complete" ? `${s.bytes} B` : `block ${s.lastBlock}`;
      return `tftp ${s.file} ${s.outcome} ${at}${s.resent > 0 ? ` resent ${s.resent}` : ""}${times}`;
    }
    case "http": {
      const why = s.decision ? ` ${s.decision}${s.reason ? `:${s.reason}` : ""}` : "";
      const what = s.what === "boot-file" || s.what === "provisioning-file" ? s.path : s.what;
      return `http ${what} ${s.status}${why}${times}`;
    }
    case "provision":
      return `${s.event}${times}`;
  }
}
