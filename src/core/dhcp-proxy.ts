import {
  LOCAL_DISK_BOOT_FILE,
  classifyDhcpClient,
  type DhcpClientClass,
  type DhcpClientHints,
  type FirmwarePlatform,
} from "../domain/dhcp-client.js";
import { inIpv4Net, ipv4NetText, type Ipv4Net } from "../domain/ipv4-net.js";
import type { Machine } from "../domain/machine.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import { LoaderOffers } from "./loader-offers.js";
import { systemClock, type Clock } from "./ports.js";

/**
 * proxyDHCP (PXE spec §2.2.3, protocols.md §4.3): beside the site's DHCP server, tell network-boot clients
 * where to boot and never hand out an address. Pure decision over what a request says; the daemon owns the
 * sockets and lays the answer out as a DHCP message.
 */

/** DHCP message types the proxy reads (RFC 2132 §9.6). */
const DISCOVER = 1;
const REQUEST = 3;
const INFORM = 8;

/**
 * The label that picks a machine's loader: some NICs hang with `ipxe.efi` and work with `snponly.efi`; on a
 * BIOS machine whose NIC ROM is an old iPXE, `undionly.kpxe` makes the ROM chain Enforcer's own iPXE.
 */
export const LOADER_LABEL = "enforcer.dev/loader";
const EFI_CHOICES: ReadonlySet<string> = new Set(["ipxe.efi", "snponly.efi"]);
/** The BIOS loader: iPXE over the PXE ROM's UNDI driver. */
const BIOS_LOADER = "undionly.kpxe";
/** Loader names per UEFI platform: `ipxe.efi` is x64 (Debian's); the others are the operator's, in --tftp-root. */
const EFI_SUFFIX: Partial<Record<FirmwarePlatform, string>> = {
  "uefi-x64": "",
  "uefi-arm64": "-arm64",
  "uefi-ia32": "-ia32",
  "uefi-arm32": "-arm32",
};
/** Option 43 discovery control 8: boot the file in this reply, no boot server discovery (no port 4011). */
const USE_BOOT_FILE = 8;

/** One request as the proxy sees it. */
export interface ProxyDhcpRequest {
  messageType?: number;
  /** `dhcp`: port 67 (broadcast DISCOVER); `boot-server`: port 4011 (the PXE boot-server REQUEST). */
  port: "dhcp" | "boot-server";
  hints: DhcpClientHints;
  /** Option 54 of the request: the server the client chose. */
  serverId?: string;
  /** The datagram's source address, ciaddr and giaddr (dotted quads, `0.0.0.0` when empty). */
  source: string;
  ciaddr: string;
  giaddr: string;
  /** Option 43.71 the client sent (a menu item it chose), echoed back on port 4011. */
  bootItem?: { type: number; layer: number };
  /** The transaction id: one iPXE exchange keeps it, the iPXE a loader chains starts another. */
  xid?: number;
}

/** What the proxy is set up with at start. */
export interface ProxyDhcpSetup {
  /** Enforcer's address on the boot network: server id (54) and next-server (siaddr, 66). */
  bootAddress: string;
  /** The HTTP base machines boot from (`http://host:port`). */
  bootUrl: string;
  /** Answers go only to clients on it. */
  network: Ipv4Net;
  /** Answer only machines Enforcer knows by MAC. */
  knownOnly: boolean;
  /** Loader names present in the boot file namespace at start. */
  loaders: ReadonlySet<string>;
  /**
   * True when `boot.ipxe` would only send this machine to its local disk (core's BootService.fallsThrough):
   * UEFI firmware then gets no boot file and boots its next option itself (docs/dhcp.md, "The UEFI local disk").
   */
  fallsThrough?: (machine: Machine) => boolean;
}

/** The classes the proxy answers (the metrics label). */
export type ProxyClientClass = "bios-pxe" | "uefi-pxe" | "uefi-http" | "ipxe" | "raspberry-pi";

/** A proxy answer: the boot fields only, yiaddr stays 0. */
export interface ProxyAnswer {
  reply: "offer" | "ack";
  clientClass: ProxyClientClass;
  /** Option 60 of the reply: a PXE client ignores a proxy offer without `PXEClient`, HTTP boot wants `HTTPClient`. */
  vendorClass: "PXEClient" | "HTTPClient";
  serverId: string;
  nextServer: string;
  /** `file` and option 67: a TFTP name, or a URL for HTTP boot and iPXE; empty for a Pi (it asks for fixed names). */
  bootFile: string;
  /** Option 66, when the boot file comes over TFTP. */
  tftpServer?: string;
  /** Option 43 discovery control; absent means no option 43 (unless a boot item is echoed). */
  discoveryControl?: number;
  bootItem?: { type: number; layer: number };
  /** Option 43 is the Raspberry Pi menu (`Raspberry Pi Boot`), which the Pi bootloader needs to use the answer. */
  piMenu?: true;
}

/** Why a request gets no answer (the metrics label). */
export type ProxySkipReason = "not-pxe" | "not-for-proxy" | "off-network" | "unknown-machine" | "no-loader";

/** A client class that gets a boot file (the others are skipped before). */
export type BootClass = Exclude<DhcpClientClass, { kind: "not-pxe" }>;

/** The decision for one request. */
export type ProxyDecision = { answer: ProxyAnswer } | { skip: ProxySkipReason; detail: string };

/** Decides proxyDHCP answers; `machine` finds a machine by MAC (core's MachineService.find). */
export class DhcpProxy {
  private readonly offers: LoaderOffers;

  constructor(
    private readonly setup: ProxyDhcpSetup,
    private readonly machine: (mac: Mac) => Machine | undefined,
    clock: Clock = systemClock,
  ) {
    this.offers = new LoaderOffers(() => clock.now().getTime());
  }

  /** How many machines the loader memory holds (bounded: a flood of MACs cannot grow it). */
  get rememberedLoaderOffers(): number {
    return this.offers.size;
  }

  /** The platforms that get no answer because their loader is missing, for a start-up notice. */
  missingLoaders(): { platform: string; loader: string }[] {
    const out = [{ platform: "bios", loader: BIOS_LOADER }];
    for (const [platform, suffix] of Object.entries(EFI_SUFFIX))
      out.push({ platform, loader: `ipxe${suffix}.efi` });
    return out.filter((l) => !this.setup.loaders.has(l.loader));
  }

  /** The answer to one request, or why there is none. */
  decide(req: ProxyDhcpRequest): ProxyDecision {
    const reply = this.replyKind(req);
    if (!reply)
      return skip("not-for-proxy", `message type ${req.messageType ?? "none"} on the ${req.port} port`);
    const cls = classifyDhcpClient(req.hints);
    if (cls.kind === "not-pxe") return skip("not-pxe", "no PXEClient or HTTPClient vendor class");
    const where = this.offNetwork(req);
    if (where) return skip("off-network", where);
    const mac = req.hints.mac === undefined ? undefined : tryParseMac(req.hints.mac);
    const machine = mac === undefined ? undefined : this.machine(mac);
    if (this.setup.knownOnly && !machine)
      return skip(
        "unknown-machine",
        `${req.hints.mac ?? "no MAC"} is not a known machine (--dhcp-known-only)`,
      );
    const echo = req.port === "boot-server" && req.bootItem ? { bootItem: req.bootItem } : {};
    return this.bootAnswer(cls, { mac, xid: req.xid, machine }, reply, echo);
  }

  /**
   * The boot file a network-boot client gets, by class and machine: the one choice both modes make
   * (`--dhcp server` puts it in its lease answers).
   */
  bootAnswer(
    cls: BootClass,
    who: { mac: Mac | undefined; xid: number | undefined; machine: Machine | undefined },
    reply: ProxyAnswer["reply"],
    echo: Pick<ProxyAnswer, "bootItem"> = {},
  ): ProxyDecision {
    const { bootAddress, bootUrl } = this.setup;
    const { mac, xid, machine } = who;
    const base = { reply, serverId: bootAddress, nextServer: bootAddress };
    if (cls.kind === "raspberry-pi")
      // The Pi bootloader takes an answer with PXEClient and the `Raspberry Pi Boot` menu in option 43, loads
      // from option 66's TFTP server, and asks for fixed names (`<serial>/start4.elf`…): no boot file.
      return answer({
        ...base,
        clientClass: "raspberry-pi",
        vendorClass: "PXEClient",
        bootFile: "",
        tftpServer: bootAddress,
        piMenu: true,
      });
    if (cls.kind === "ipxe") {
      // An iPXE ROM asked (by label) to chain Enforcer's own iPXE gets that loader once per boot attempt;
      // the iPXE it chains gets the script.
      const chosen = this.labelledLoader(cls.platform, machine);
      if (mac !== undefined && chosen !== undefined && this.setup.loaders.has(chosen)) {
        if (!this.offers.chained(mac, xid)) {
          this.offers.offered(mac, xid);
          return answer({
            ...base,
            ...echo,
            clientClass: "ipxe",
            vendorClass: "PXEClient",
            bootFile: chosen,
            tftpServer: bootAddress,
            discoveryControl: USE_BOOT_FILE,
          });
        }
      }
      // iPXE itself gets the script, never the loader again (a loader that loads itself forever).
      return answer({
        ...base,
        ...echo,
        clientClass: "ipxe",
        vendorClass: "PXEClient",
        bootFile: `${bootUrl}/boot.ipxe`,
        discoveryControl: USE_BOOT_FILE,
      });
    }
    // UEFI firmware (not iPXE) of a known machine with nothing to boot here gets no loader: after an iPXE that
    // the firmware's own PXE loaded exits, OVMF boots nothing (Debian's iPXE 1.0.0+git-20190125), so the
    // firmware must reach its disk without iPXE. A name that does not exist fails at once; silence would cost
    // EDK2's whole DHCP wait (about 60 s). BIOS ROMs return from iPXE's `sanboot` fine.
    const local =
      cls.kind !== "bios-pxe" && machine !== undefined && this.setup.fallsThrough?.(machine) === true;
    const loader: string | undefined = local
      ? LOCAL_DISK_BOOT_FILE
      : cls.kind === "bios-pxe"
        ? BIOS_LOADER
        : this.efiLoader(cls.platform, machine);
    if (loader === undefined || (!local && !this.setup.loaders.has(loader)))
      return skip("no-loader", `no ${loader ?? "loader"} in the boot files for ${cls.kind} ${cls.platform}`);
    // Remembered so that a labelled machine's chained iPXE is told the script, not the loader again. Only
    // labelled machines: an invented MAC (a flood) is never remembered, so it cannot evict a real one.
    if (!local && mac !== undefined && machine?.labels[LOADER_LABEL] !== undefined)
      this.offers.offered(mac, xid);
    if (cls.kind === "uefi-http")
      return answer({
        ...base,
        clientClass: "uefi-http",
        vendorClass: "HTTPClient",
        bootFile: `${bootUrl}/tftp/${loader}`,
      });
    return answer({
      ...base,
      ...echo,
      clientClass: cls.kind,
      vendorClass: "PXEClient",
      bootFile: loader,
      tftpServer: bootAddress,
      // BIOS ROMs take the file from the offer when told to skip discovery. UEFI firmware gets no option 43
      // (many fail on a BIOS-style one, protocols.md §4.3): it takes the file from the offer or asks on 4011.
      ...(cls.kind === "bios-pxe" ? { discoveryControl: USE_BOOT_FILE } : {}),
    });
  }

  /** Port 67: a DISCOVER gets an OFFER; a REQUEST only when it names us (else it is the site server's). */
  private replyKind(req: ProxyDhcpRequest): ProxyAnswer["reply"] | undefined {
    const t = req.messageType;
    if (req.port === "boot-server") return t === REQUEST || t === INFORM ? "ack" : undefined;
    if (t === DISCOVER) return "offer";
    if (t === REQUEST && req.serverId === this.setup.bootAddress) return "ack";
    return undefined;
  }

  /**
   * Whether the client is off the boot network: a relayed request by the relay's address (the answer goes
   * to the relay), any other by both the client's own address and the datagram's source, each when set. Both,
   * because the answer may go to either (port 4011 answers the source): a forged source elsewhere with an
   * address on the network in ciaddr would otherwise turn Enforcer into a reflector off the boot network. A
   * broadcast from a client with no address carries none, and Node cannot tell the interface it came in on:
   * it is answered (docs/dhcp.md says how to keep it to one network).
   */
  private offNetwork(req: ProxyDhcpRequest): string | undefined {
    const net = this.setup.network;
    const carried =
      req.giaddr !== "0.0.0.0"
        ? ([["relay", req.giaddr]] as const)
        : ([
            ["client", req.ciaddr],
            ["source", req.source],
          ] as const);
    for (const [what, a] of carried) {
      if (a !== "0.0.0.0" && !inIpv4Net(net, a))
        return `${what} ${a} is outside the boot network ${ipv4NetText(net)}`;
    }
    return undefined;
  }

  private efiLoader(platform: FirmwarePlatform, machine: Machine | undefined): string | undefined {
    const chosen = machine?.labels[LOADER_LABEL];
    const name = chosen !== undefined && EFI_CHOICES.has(chosen) ? chosen : "ipxe.efi";
    const suffix = EFI_SUFFIX[platform];
    // An unknown platform gets no answer, rather than a loader it cannot run.
    return suffix === undefined ? undefined : name.replace(/\.efi$/, `${suffix}.efi`);
  }

  /** The loader the machine's label names, if it is one its platform can run; else none. */
  private labelledLoader(platform: FirmwarePlatform, machine: Machine | undefined): string | undefined {
    const chosen = machine?.labels[LOADER_LABEL];
    if (chosen === undefined) return undefined;
    if (platform === "bios") return chosen === BIOS_LOADER ? chosen : undefined;
    return EFI_CHOICES.has(chosen) ? this.efiLoader(platform, machine) : undefined;
  }
}

function answer(a: ProxyAnswer): ProxyDecision {
  return { answer: a };
}

function skip(reason: ProxySkipReason, detail: string): ProxyDecision {
  return { skip: reason, detail };
}
