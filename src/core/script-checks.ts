// The one place the settings service reaches the iPXE safety checks: when they move to domain/, only these
// imports change.
import {
  checkDiscoveryUrl as checkChainableUrl,
  renderGeneralScript,
} from "../protocols/ipxe/general-script.js";

/** Throws ENF_ERR_IPXE_UNSAFE_VALUE unless the discovery script URL can be chained from a script. */
export function checkDiscoveryUrl(url: string): void {
  checkChainableUrl(url);
}

/** Throws ENF_ERR_IPXE_UNSAFE_VALUE unless the general script can ask these remotes (after `publicUrl`). */
export function checkRemotes(publicUrl: string, remotes: readonly string[]): void {
  renderGeneralScript({ self: publicUrl, remotes });
}
