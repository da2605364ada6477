import type { Election, Leadership } from "../election.js";

/**
 * A FAKE election for tests: the test decides who leads each name (`lead(name, true|false)`); campaigns start
 * as followers unless the name was set to lead before. Changes reach `onChange` listeners synchronously.
 */
export class FakeElection implements Election {
  private readonly leaders = new Map<string, boolean>();
  private readonly listeners = new Map<string, Set<(leader: boolean) => void>>();
  /** Every name campaigned for, in order. */
  readonly campaigns: string[] = [];
  /** Names resigned from, in order. */
  readonly resigned: string[] = [];

  /** Makes this instance lead `name` (or stop leading it) and tells the campaign's listeners. */
  lead(name: string, leader: boolean): void {
    if (this.leaders.get(name) === leader) return;
    this.leaders.set(name, leader);
    for (const l of this.listeners.get(name) ?? []) l(leader);
  }

  campaign(name: string): Leadership {
    this.campaigns.push(name);
    const ls = this.listeners.get(name) ?? new Set();
    this.listeners.set(name, ls);
    return {
      isLeader: () => this.leaders.get(name) ?? false,
      onChange: (cb) => {
        ls.add(cb);
        return () => ls.delete(cb);
      },
      resign: async () => {
        this.resigned.push(name);
        this.lead(name, false);
        ls.clear();
      },
    };
  }
}
