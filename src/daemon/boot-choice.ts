import type { Settings } from "../config/settings.js";
import { DhcpProxy } from "../core/dhcp-proxy.js";
import type { BootNetwork } from "./boot-network.js";
import type { DhcpWiring } from "./dhcp.js";

/**
 * The one boot-file choice both DHCP modes make (the proxy answers with it; `--dhcp server` puts it in its
 * lease answers), set up from the boot network and the loaders present.
 */
export function bootChoice(settings: Readonly<Settings>, wiring: DhcpWiring, net: BootNetwork): DhcpProxy {
  return new DhcpProxy(
    {
      bootAddress: net.address,
      bootUrl: wiring.bootUrl,
      network: net.network,
      knownOnly: settings.dhcpKnownOnly,
      loaders: wiring.loaders,
      fallsThrough: wiring.fallsThrough,
    },
    wiring.machine,
  );
}
