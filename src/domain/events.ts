/** Kinds of things that happen to a machine; each lands in its history. */
export type MachineEventKind =
  | "machine.seen"
  | "machine.created"
  | "machine.updated"
  | "config.created"
  | "config.armed"
  | "config.triggered"
  | "config.retried"
  | "config.completed"
  | "config.expired"
  | "config.cancelled"
  | "machine.forgotten"
  | "machine.conflict"
  | "machine.conflict-resolved"
  | "command.queued"
  | "command.sent"
  | "command.acknowledged"
  | "command.failed"
  | "command.timed-out"
  /** Power control (src/core/power.ts): set or removed, and each action's steps; `power.state` when the observed state changed. */
  | "power.set"
  | "power.removed"
  | "power.queued"
  | "power.sent"
  | "power.done"
  | "power.failed"
  | "power.state"
  /** A finished boot attempt's summary (known machines only; see core/boot-timeline.ts). */
  | "boot.attempt";

/** One entry in a machine's history; `seq` orders events across all machines. */
export interface MachineEvent {
  seq: number;
  at: string;
  machine: string;
  kind: MachineEventKind;
  config?: string;
  detail?: Record<string, string | number | boolean>;
}
