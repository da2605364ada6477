/**
 * Leadership of one named role (e.g. `dhcp/10.0.0.0-24`) among the instances that share a store: at most one
 * instance leads each name at a time. With a store no other process shares, this instance always leads.
 */
export interface Election {
  /** Starts campaigning for `name`; the handle says whether this instance leads it now. */
  campaign(name: string): Leadership;
}

/** This instance's campaign for one name. */
export interface Leadership {
  /** True while this instance leads the name (false at once when it can no longer prove it does). */
  isLeader(): boolean;
  /** Hears every change of `isLeader()`; returns the unsubscribe function. */
  onChange(cb: (leader: boolean) => void): () => void;
  /** Stops campaigning (and gives the lead up at once if held). */
  resign(): Promise<void>;
}

/** The election of a store no other process shares: every campaign leads at once and for good. */
export const alwaysLeader: Election = {
  campaign: () => ({
    isLeader: () => true,
    onChange: () => () => {},
    resign: async () => {},
  }),
};
