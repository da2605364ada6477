import { EnforcerError } from "../domain/errors.js";
import { validateProfile, type Profile } from "../domain/profile.js";
import type { Store } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock } from "./ports.js";

/** A profile as the operator writes it; times are set by the service. */
export type ProfileInput = Omit<Profile, "createdAt" | "updatedAt">;

/** OS profiles: create, replace, delete, look up. */
export class ProfileService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly inUse: (name: string) => boolean,
  ) {}

  /** The profile by name; throws ENF_ERR_PROFILE_NOT_FOUND. */
  get(name: string): Profile {
    const p = this.store.get<Profile>(COLLECTIONS.profiles, name);
    if (!p)
      throw new EnforcerError("ENF_ERR_PROFILE_NOT_FOUND", `no profile named ${name}`, { profile: name });
    return p;
  }

  /** Every profile, by name. */
  list(): Profile[] {
    return [...this.store.all<Profile>(COLLECTIONS.profiles)].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates a profile; the name must be free. */
  async create(input: ProfileInput): Promise<Profile> {
    if (this.store.get(COLLECTIONS.profiles, input.name)) {
      throw new EnforcerError("ENF_ERR_PROFILE_EXISTS", `a profile named ${input.name} exists`, {
        profile: input.name,
      });
    }
    const now = this.clock.now().toISOString();
    const p = validateProfile({ ...input, createdAt: now, updatedAt: now });
    await this.store.commit([{ op: "put", collection: COLLECTIONS.profiles, id: p.name, value: p }]);
    return p;
  }

  /** Replaces a profile; armed configs keep what they rendered at arm time. */
  async replace(name: string, input: ProfileInput): Promise<Profile> {
    const old = this.get(name);
    const p = validateProfile({
      ...input,
      name,
      createdAt: old.createdAt,
      updatedAt: this.clock.now().toISOString(),
    });
    await this.store.commit([{ op: "put", collection: COLLECTIONS.profiles, id: name, value: p }]);
    return p;
  }

  /** Deletes a profile no live config uses. */
  async remove(name: string): Promise<void> {
    this.get(name);
    if (this.inUse(name)) {
      throw new EnforcerError("ENF_ERR_PROFILE_IN_USE", `profile ${name} is used by a live config`, {
        profile: name,
      });
    }
    await this.store.commit([{ op: "del", collection: COLLECTIONS.profiles, id: name }]);
  }
}
