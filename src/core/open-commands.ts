import { isOpenCommand, type Command } from "../domain/command.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store, StoreOp } from "../store/store.js";

/**
 * The open (queued or sent) commands of each machine, kept from the store's change feed after one scan at
 * start, so a long poll or a delivery pass reads its machine's few commands instead of every command kept.
 * Ids come back in the order the commands were created, the order a scan of the store gave before.
 */
export class OpenCommands {
  /** machine -> its open command ids. */
  private readonly byMachine = new Map<string, Set<string>>();
  /** open command id -> its machine and its place in creation order. */
  private readonly open = new Map<string, { machine: string; seq: number }>();
  private seq = 0;

  constructor(private readonly store: Store) {
    for (const c of store.all<Command>(COLLECTIONS.commands)) this.apply(c.id, c);
    store.onApplied((ops) => {
      for (const op of ops) if (op.collection === COLLECTIONS.commands) this.applyOp(op);
    });
  }

  /** A machine's open commands, oldest first, as the store holds them now. */
  of(machine: string): Command[] {
    return this.read([...(this.byMachine.get(machine) ?? [])]);
  }

  /** Every open command, oldest first. */
  all(): Command[] {
    return this.read([...this.open.keys()]);
  }

  private read(ids: string[]): Command[] {
    return ids
      .sort((a, b) => this.open.get(a)!.seq - this.open.get(b)!.seq)
      .map((id) => this.store.get<Command>(COLLECTIONS.commands, id))
      .filter((c): c is Command => !!c);
  }

  private applyOp(op: StoreOp): void {
    this.apply(op.id, op.op === "put" ? (op.value as Command) : undefined);
  }

  private apply(id: string, c: Command | undefined): void {
    const was = this.open.get(id);
    if (was && (!c || !isOpenCommand(c.state) || c.machine !== was.machine)) {
      const set = this.byMachine.get(was.machine);
      set?.delete(id);
      if (set?.size === 0) this.byMachine.delete(was.machine);
      this.open.delete(id);
    }
    if (!c || !isOpenCommand(c.state) || this.open.has(id)) return;
    // A command moved to another machine (a merge) keeps its place in creation order.
    this.open.set(id, { machine: c.machine, seq: was?.seq ?? this.seq++ });
    const set = this.byMachine.get(c.machine) ?? new Set<string>();
    set.add(id);
    this.byMachine.set(c.machine, set);
  }
}
