import { AssetArming, type AssetFetcher } from "./asset-arming.js";
import type { BootService } from "./boot-service.js";
import type { ConfigService } from "./configs.js";
import type { CoreSettings } from "./ports.js";

/** What arming through the cache is wired into. */
interface AssetUsers {
  configs: ConfigService;
  boot: BootService;
  settings: CoreSettings;
}

/**
 * Turns the asset cache on for arming and discovery boots, starts fetching the discovery image's remote
 * files, and answers the ids the cache must never evict: the files armed and triggered configs boot from,
 * and the discovery files; `users` names them (config ids, or `discovery`) for the API's list.
 */
export function armThroughAssets(
  core: AssetUsers,
  cache: AssetFetcher,
  log?: { warn(msg: string): void },
): { arming: AssetArming; inUse: () => Set<string>; users: () => Map<string, string[]> } {
  const arming = new AssetArming(cache, () => core.settings.publicUrl, log);
  core.configs.useAssets(arming);
  core.boot.useAssets(arming);
  arming.warm(core.settings.discoveryKernel);
  arming.warm(core.settings.discoveryInitrd);
  const users = () => {
    const map = core.configs.assetUsers();
    for (const id of core.boot.discoveryAssetIds()) map.set(id, [...(map.get(id) ?? []), "discovery"]);
    return map;
  };
  // Files of arms under way count too: fetched but not yet named by an armed config (asset-arming.ts, hold).
  return { arming, inUse: () => new Set([...users().keys(), ...arming.heldIds()]), users };
}
