import type { BootSpec, ProvisioningFiles } from "./boot-spec.js";
import { EnforcerError } from "./errors.js";

/** Where a boot config is in its one-boot life. Times are ISO-8601 strings. */
export type ConfigLifecycle =
  | { state: "draft" }
  | { state: "armed"; armedAt: string }
  | { state: "triggered"; armedAt: string; triggeredAt: string; fetches: number }
  | { state: "completed"; armedAt: string; triggeredAt: string; completedAt: string }
  | { state: "expired"; armedAt: string; triggeredAt?: string; expiredAt: string }
  | { state: "cancelled"; cancelledAt: string; triggeredAt?: string };

/** Every lifecycle state, in lifecycle order: the one list the API schemas and the metrics use. */
export const CONFIG_STATES = ["draft", "armed", "triggered", "completed", "expired", "cancelled"] as const;

/** The name of a lifecycle state. */
export type ConfigState = (typeof CONFIG_STATES)[number];

/** One machine + profile + variables, rendered at arm time into what the machine boots exactly once. */
export interface BootConfig {
  id: string;
  machine: string;
  profile: string;
  variables: Record<string, string>;
  /** Unguessable token in the provisioning and completion URLs. */
  secret: string;
  createdAt: string;
  lifecycle: ConfigLifecycle;
  /** Filled at arm time: what the script boots and the rendered provisioning files. */
  spec?: BootSpec;
  files?: ProvisioningFiles;
}

/** What happens to a config: operator actions, the machine's fetch, the callback, the clock. */
export type ConfigInput =
  | { type: "arm"; at: string }
  | { type: "fetch"; at: string; retryWindowMs: number }
  | { type: "complete"; at: string }
  | { type: "expire"; at: string }
  | { type: "cancel"; at: string };

/** The outcome of a transition: the new lifecycle, whether the boot script is served, and what to record. */
export interface ConfigStep {
  next: ConfigLifecycle;
  serve: boolean;
  event: "armed" | "triggered" | "retried" | "completed" | "expired" | "cancelled" | null;
}

/** States in which a config still holds its machine: at most one such config per machine. */
export const HOLDING_STATES: readonly ConfigState[] = ["armed", "triggered"];

/** Pure lifecycle: draft -> armed -> triggered -> completed, with expired and cancelled. Illegal input throws. */
export function stepConfig(cur: ConfigLifecycle, input: ConfigInput): ConfigStep {
  const illegal = (): never => {
    throw new EnforcerError(
      "ENF_ERR_CONFIG_TRANSITION",
      `a ${cur.state} config cannot take "${input.type}"`,
      {
        state: cur.state,
        input: input.type,
      },
    );
  };
  switch (input.type) {
    case "arm":
      return cur.state === "draft"
        ? { next: { state: "armed", armedAt: input.at }, serve: false, event: "armed" }
        : illegal();
    case "fetch":
      if (cur.state === "armed") {
        const next = { state: "triggered", armedAt: cur.armedAt, triggeredAt: input.at, fetches: 1 } as const;
        return { next, serve: true, event: "triggered" };
      }
      if (cur.state === "triggered") {
        if (!windowPassed(cur, input.at, input.retryWindowMs)) {
          return { next: { ...cur, fetches: cur.fetches + 1 }, serve: true, event: "retried" };
        }
        return { next: expired(cur, input.at), serve: false, event: "expired" };
      }
      return { next: cur, serve: false, event: null };
    case "complete":
      if (cur.state === "triggered" || (cur.state === "expired" && cur.triggeredAt !== undefined)) {
        const triggeredAt = cur.triggeredAt!;
        const next = {
          state: "completed",
          armedAt: cur.armedAt,
          triggeredAt,
          completedAt: input.at,
        } as const;
        return { next, serve: false, event: "completed" };
      }
      return illegal();
    case "expire":
      return cur.state === "triggered" || cur.state === "armed"
        ? { next: expired(cur, input.at), serve: false, event: "expired" }
        : illegal();
    case "cancel":
      if (cur.state === "triggered") {
        // The machine did boot it: a discovery key issued before ends all the same (see agent-credentials).
        const next = { state: "cancelled", cancelledAt: input.at, triggeredAt: cur.triggeredAt } as const;
        return { next, serve: false, event: "cancelled" };
      }
      return cur.state === "draft" || cur.state === "armed"
        ? { next: { state: "cancelled", cancelledAt: input.at }, serve: false, event: "cancelled" }
        : illegal();
  }
}

function expired(cur: { armedAt: string; triggeredAt?: string }, at: string): ConfigLifecycle {
  const base = { state: "expired" as const, armedAt: cur.armedAt, expiredAt: at };
  return cur.triggeredAt ? { ...base, triggeredAt: cur.triggeredAt } : base;
}

/**
 * True when the retry window of a triggered config has passed at `now`: more than the window after the
 * trigger, or more than the window before it. A wall clock set back (a Pi without a real-time clock, an NTP
 * step) would otherwise serve the script again, to anyone naming the MAC, until it caught up.
 */
export function windowPassed(l: ConfigLifecycle, now: string, retryWindowMs: number): boolean {
  return l.state === "triggered" && Math.abs(Date.parse(now) - Date.parse(l.triggeredAt)) > retryWindowMs;
}
