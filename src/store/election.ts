/** One campaign's standing: whether this process leads now, and every change of it. */
export interface Leadership {
  /** True while this process is the leader. */
  isLeader(): boolean;
  /** Hears every change (true: now leading); returns the unsubscribe function. */
  onChange(cb: (leader: boolean) => void): () => void;
  /** Gives the leadership up (another process can take it at once) and stops campaigning. */
  resign(): Promise<void>;
}

/** Elects one process per name among those that share a store (DHCP responders, periodic jobs). */
export interface Election {
  /** Starts campaigning for `name`. */
  campaign(name: string): Leadership;
}

/** The election of a store no other process shares: this process always leads. */
export function soleElection(): Election {
  return {
    campaign: () => ({
      isLeader: () => true,
      onChange: () => () => undefined,
      resign: async () => undefined,
    }),
  };
}
