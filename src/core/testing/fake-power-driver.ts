import { EnforcerError, type ErrorCode } from "../../domain/errors.js";
import type { PowerAction, PowerDriverName, PowerState } from "../../domain/power.js";
import type { PowerDriver, PowerResult, PowerTarget } from "../power-port.js";

/** One call a fake driver received. */
export interface FakePowerCall {
  machine: string;
  action: PowerAction;
  target: PowerTarget;
  signal: AbortSignal;
}

/** What a fake driver does on a call: answer, fail with a code, hang (ignoring its signal), or wait for a release. */
export type FakePowerBehaviour =
  | { kind: "answer"; state?: PowerState; detail?: string }
  | { kind: "fail"; code: ErrorCode; message: string }
  | { kind: "hang" }
  | { kind: "held" };

/**
 * A power driver for tests ("fake driver"): it keeps a chassis state per machine, records every call, and
 * behaves as told per machine (answer, fail, hang without ending on its signal, or hold until released).
 */
export class FakePowerDriver implements PowerDriver {
  readonly calls: FakePowerCall[] = [];
  /** The order calls ended in, as `machine action`. */
  readonly ended: string[] = [];
  readonly chassis = new Map<string, PowerState>();
  private readonly behaviour = new Map<string, FakePowerBehaviour>();
  private readonly held: (() => void)[] = [];

  constructor(
    readonly name: PowerDriverName = "ipmi",
    readonly actions: readonly PowerAction[] = ["on", "off", "cycle", "status", "pxe-once"],
  ) {}

  /** Sets what calls for `machine` do from now on. */
  behave(machine: string, b: FakePowerBehaviour): void {
    this.behaviour.set(machine, b);
  }

  /** Lets every held call go on (answering like `answer`). */
  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  /** Calls held now. */
  get holding(): number {
    return this.held.length;
  }

  async run(target: PowerTarget, action: PowerAction, signal: AbortSignal): Promise<PowerResult> {
    this.calls.push({ machine: target.machine, action, target, signal });
    const b = this.behaviour.get(target.machine) ?? { kind: "answer" };
    if (b.kind === "hang") return new Promise<never>(() => {});
    if (b.kind === "held") await new Promise<void>((r) => this.held.push(r));
    if (b.kind === "fail") {
      this.ended.push(`${target.machine} ${action}`);
      throw new EnforcerError(b.code, b.message);
    }
    const now = this.chassis.get(target.machine) ?? "off";
    const next: PowerState = action === "on" || action === "cycle" ? "on" : action === "off" ? "off" : now;
    this.chassis.set(target.machine, next);
    this.ended.push(`${target.machine} ${action}`);
    const state = b.kind === "answer" && b.state ? b.state : next;
    const detail = b.kind === "answer" && b.detail ? b.detail : `fake ${action}: ${next}`;
    // Wake-on-LAN cannot tell the state; pxe-once changes no power.
    return action === "pxe-once" || this.name === "wol" ? { detail } : { state, detail };
  }
}
