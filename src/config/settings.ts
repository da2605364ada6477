import { Type, type Static } from "@sinclair/typebox";

/** A dotted quad, as the schema checks it (the DHCP service checks it is on the boot network). */
const IPV4 = "^\\d{1,3}(\\.\\d{1,3}){3}$";

/** The schema of every `serve` setting, with its default; flags, ENFORCER_* and the file all map onto it. */
export const SettingsSchema = Type.Object(
  {
    data: Type.String({ minLength: 1, default: "./data", description: "data directory" }),
    httpPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: "HTTP port" }),
    listen: Type.String({ minLength: 1, default: "0.0.0.0", description: "address to listen on" }),
    publicUrl: Type.Optional(
      Type.String({
        pattern: "^http://[A-Za-z0-9.\\-\\[\\]:]+(/[A-Za-z0-9._~/-]*)?$",
        description: "URL machines use",
      }),
    ),
    remote: Type.Array(Type.String({ pattern: "^http://[A-Za-z0-9.\\-\\[\\]:]+(/[A-Za-z0-9._~/-]*)?$" }), {
      default: [],
      description: "remote Enforcer URL, repeatable",
    }),
    retryWindow: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 300,
      description: "retry window, seconds",
    }),
    seenInterval: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 600,
      description: "seconds between two writes of a known machine's last-seen time (SD cards)",
    }),
    discovery: Type.Boolean({ default: false, description: "boot unknown machines into discovery" }),
    discoveryUrl: Type.Optional(
      Type.String({ pattern: "^(https?|tftp)://\\S+$", description: "discovery script URL" }),
    ),
    discoveryImage: Type.Optional(
      Type.String({ minLength: 1, description: "directory with the discovery vmlinuz and initrd.gz" }),
    ),
    logLevel: Type.Union(
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((l) => Type.Literal(l)),
      { default: "info", description: "log level" },
    ),
    storeRecover: Type.Boolean({ default: false, description: "move a damaged journal tail aside" }),
    store: Type.Optional(
      Type.String({
        pattern: "^etcd://[A-Za-z0-9.\\-\\[\\]:]+(,[A-Za-z0-9.\\-\\[\\]:]+)*/?$",
        description: "shared store: etcd://host:port[,host:port…] (default: the file store under --data)",
      }),
    ),
    storePrefix: Type.String({
      pattern: "^/[A-Za-z0-9._/-]*$",
      default: "/enforcer",
      description: "etcd key prefix (several deployments can share one etcd)",
    }),
    etcdCa: Type.Optional(Type.String({ minLength: 1, description: "CA certificate (PEM) for etcd: https" })),
    etcdCert: Type.Optional(Type.String({ minLength: 1, description: "client certificate (PEM) for etcd" })),
    etcdKey: Type.Optional(Type.String({ minLength: 1, description: "client key (PEM) for etcd" })),
    etcdUser: Type.Optional(Type.String({ minLength: 1, description: "etcd user" })),
    etcdPasswordFile: Type.Optional(
      Type.String({ minLength: 1, description: "file whose first line is the etcd user's password" }),
    ),
    bootRateLimit: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 1200,
      description: "boot requests a minute per address, 0 for no limit",
    }),
    httpMaxConnections: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 4096,
      description: "open HTTP connections in all (at most a quarter of the file descriptor limit)",
    }),
    httpMaxConnectionsPerAddress: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 256,
      description: "open HTTP connections per client address, 0 for no cap (behind a reverse proxy)",
    }),
    historyPerMachine: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 200,
      description: "events kept per machine",
    }),
    historyDays: Type.Integer({
      minimum: 1,
      maximum: 36_500,
      default: 90,
      description: "days events and finished configs and commands are kept",
    }),
    finishedPerMachine: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 20,
      description: "finished configs and commands kept per machine",
    }),
    maxDiscoverySessions: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 10_000,
      description: "live discovery keys; past it the oldest is revoked",
    }),
    maxUnknownMachines: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 10_000,
      description: "machines known only from a boot request; past it the least recently seen is dropped",
    }),
    maxAnonymousConflicts: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 1000,
      description: "open identity conflicts raised by discovery keys; past it their clashes are not recorded",
    }),
    serf: Type.Array(Type.String({ pattern: "^[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}$" }), {
      default: [],
      description: "serf agent RPC address HOST:PORT, repeatable",
    }),
    consul: Type.Optional(Type.String({ pattern: "^https?://\\S+$", description: "Consul HTTP API URL" })),
    consulToken: Type.Optional(Type.String({ minLength: 1, description: "Consul ACL token" })),
    serfAuth: Type.Optional(Type.String({ minLength: 1, description: "serf rpc_auth key" })),
    agentInterval: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 10,
      description: "agent sync interval, seconds",
    }),
    powerTimeout: Type.Integer({
      minimum: 1,
      maximum: 120,
      default: 15,
      description: "bound of one power action on a BMC (IPMI, Redfish, Wake-on-LAN), seconds",
    }),
    powerPoll: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 60,
      description: "ask every BMC for its power state this often, seconds (0: never; the jobs leader only)",
    }),
    rebootOrder: Type.Union(
      ["agent,power", "power,agent"].map((o) => Type.Literal(o)),
      {
        default: "agent,power",
        description: "who carries a reboot first: the machine's agent or its power control",
      },
    ),
    tftp: Type.Boolean({ default: true, description: "serve TFTP" }),
    tftpPort: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: "TFTP port (default 69)" }),
    ),
    tftpRoot: Type.Optional(
      Type.String({ minLength: 1, description: "directory served over TFTP and /tftp/" }),
    ),
    ipxeDir: Type.String({
      minLength: 1,
      default: "/usr/lib/ipxe",
      description: "directory of the iPXE loaders (Debian's ipxe package installs them here)",
    }),
    piFirmware: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Raspberry Pi firmware directory (start4.elf, fixup4.dat, .dtb, overlays/) for Pi boots",
      }),
    ),
    tftpMaxBlksize: Type.Integer({
      minimum: 512,
      maximum: 65464,
      default: 1468,
      description: "largest TFTP blksize",
    }),
    tftpMaxWindowsize: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 64,
      description: "largest windowsize",
    }),
    tftpMaxTransfers: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 1024,
      description: "concurrent transfers",
    }),
    assetCacheSize: Type.String({
      pattern: "^\\d{1,15}([KMGT]i?B?)?$",
      default: "4GiB",
      description: "boot asset cache size in bytes, with K, M, G, T (1024) suffixes; 0 turns the cache off",
    }),
    dhcp: Type.Union(
      ["off", "proxy", "server"].map((m) => Type.Literal(m)),
      {
        default: "off",
        description:
          "answer DHCP: off, proxy (boot info beside the site's server), server (addresses too, isolated rack)",
      },
    ),
    dhcpKnownOnly: Type.Boolean({
      default: false,
      description:
        "boot files only for machines Enforcer knows (proxy: others get no answer; server: others get an address only)",
    }),
    dhcpInterface: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9._@-]{1,15}$",
        description: "boot network: this interface's IPv4 network",
      }),
    ),
    dhcpSubnet: Type.Optional(
      Type.String({
        pattern: "^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$",
        description: "boot network as a CIDR (default: the network of the public URL's address)",
      }),
    ),
    dhcpRange: Type.Optional(
      Type.String({
        maxLength: 40,
        description: "--dhcp server: addresses to hand out, START-END inside the boot network",
      }),
    ),
    dhcpLeaseTime: Type.Integer({
      minimum: 10,
      maximum: 30 * 86_400,
      default: 3600,
      description: "--dhcp server: lease time, seconds",
    }),
    dhcpRouter: Type.Optional(
      Type.String({ pattern: IPV4, description: "--dhcp server: the router (option 3) clients get" }),
    ),
    dhcpDns: Type.Optional(
      Type.String({
        pattern: `^${IPV4.slice(1, -1)}(,${IPV4.slice(1, -1)}){0,7}$`,
        description: "--dhcp server: DNS servers (option 6), comma list",
      }),
    ),
    dhcpProbeWait: Type.Number({
      minimum: 0,
      maximum: 30,
      default: 4,
      description: "--dhcp server: seconds to listen for another DHCP server at start (0: no probe)",
    }),
    dhcpPort: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description: "DHCP port (default 67; other values for tests)",
      }),
    ),
    dhcpPxePort: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description: "PXE boot-server port (default 4011; other values for tests)",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Validated, frozen settings for `enforcer serve`. `discovery`, `discoveryUrl` and `remote` are start-up
 * values only: the API changes them at run time through core/settings-service.ts, and what it stored wins.
 */
export type Settings = Static<typeof SettingsSchema>;

/** The on/off settings that also take a `--no-<flag>` (the others are off unless given). */
export const NEGATABLE: readonly (keyof Settings)[] = ["discovery", "tftp"];

/** How each setting is spelled on the command line and in the environment. */
export const SETTING_NAMES: Record<keyof Settings, { flag: string; env: string }> = {
  data: { flag: "data", env: "ENFORCER_DATA" },
  httpPort: { flag: "http-port", env: "ENFORCER_HTTP_PORT" },
  listen: { flag: "listen", env: "ENFORCER_LISTEN" },
  publicUrl: { flag: "public-url", env: "ENFORCER_PUBLIC_URL" },
  remote: { flag: "remote", env: "ENFORCER_REMOTE" },
  retryWindow: { flag: "retry-window", env: "ENFORCER_RETRY_WINDOW" },
  seenInterval: { flag: "seen-interval", env: "ENFORCER_SEEN_INTERVAL" },
  discovery: { flag: "discovery", env: "ENFORCER_DISCOVERY" },
  discoveryUrl: { flag: "discovery-url", env: "ENFORCER_DISCOVERY_URL" },
  discoveryImage: { flag: "discovery-image", env: "ENFORCER_DISCOVERY_IMAGE" },
  logLevel: { flag: "log-level", env: "ENFORCER_LOG_LEVEL" },
  storeRecover: { flag: "store-recover", env: "ENFORCER_STORE_RECOVER" },
  store: { flag: "store", env: "ENFORCER_STORE" },
  storePrefix: { flag: "store-prefix", env: "ENFORCER_STORE_PREFIX" },
  etcdCa: { flag: "etcd-ca", env: "ENFORCER_ETCD_CA" },
  etcdCert: { flag: "etcd-cert", env: "ENFORCER_ETCD_CERT" },
  etcdKey: { flag: "etcd-key", env: "ENFORCER_ETCD_KEY" },
  etcdUser: { flag: "etcd-user", env: "ENFORCER_ETCD_USER" },
  etcdPasswordFile: { flag: "etcd-password-file", env: "ENFORCER_ETCD_PASSWORD_FILE" },
  bootRateLimit: { flag: "boot-rate-limit", env: "ENFORCER_BOOT_RATE_LIMIT" },
  httpMaxConnections: { flag: "http-max-connections", env: "ENFORCER_HTTP_MAX_CONNECTIONS" },
  httpMaxConnectionsPerAddress: {
    flag: "http-max-connections-per-address",
    env: "ENFORCER_HTTP_MAX_CONNECTIONS_PER_ADDRESS",
  },
  historyPerMachine: { flag: "history-per-machine", env: "ENFORCER_HISTORY_PER_MACHINE" },
  historyDays: { flag: "history-days", env: "ENFORCER_HISTORY_DAYS" },
  finishedPerMachine: { flag: "finished-per-machine", env: "ENFORCER_FINISHED_PER_MACHINE" },
  maxDiscoverySessions: { flag: "max-discovery-sessions", env: "ENFORCER_MAX_DISCOVERY_SESSIONS" },
  maxUnknownMachines: { flag: "max-unknown-machines", env: "ENFORCER_MAX_UNKNOWN_MACHINES" },
  maxAnonymousConflicts: { flag: "max-anonymous-conflicts", env: "ENFORCER_MAX_ANONYMOUS_CONFLICTS" },
  serf: { flag: "serf", env: "ENFORCER_SERF" },
  serfAuth: { flag: "serf-auth", env: "ENFORCER_SERF_AUTH" },
  consul: { flag: "consul", env: "ENFORCER_CONSUL" },
  consulToken: { flag: "consul-token", env: "ENFORCER_CONSUL_TOKEN" },
  agentInterval: { flag: "agent-interval", env: "ENFORCER_AGENT_INTERVAL" },
  powerTimeout: { flag: "power-timeout", env: "ENFORCER_POWER_TIMEOUT" },
  powerPoll: { flag: "power-poll", env: "ENFORCER_POWER_POLL" },
  rebootOrder: { flag: "reboot-order", env: "ENFORCER_REBOOT_ORDER" },
  tftp: { flag: "tftp", env: "ENFORCER_TFTP" },
  tftpPort: { flag: "tftp-port", env: "ENFORCER_TFTP_PORT" },
  tftpRoot: { flag: "tftp-root", env: "ENFORCER_TFTP_ROOT" },
  ipxeDir: { flag: "ipxe-dir", env: "ENFORCER_IPXE_DIR" },
  piFirmware: { flag: "pi-firmware", env: "ENFORCER_PI_FIRMWARE" },
  tftpMaxBlksize: { flag: "tftp-max-blksize", env: "ENFORCER_TFTP_MAX_BLKSIZE" },
  tftpMaxWindowsize: { flag: "tftp-max-windowsize", env: "ENFORCER_TFTP_MAX_WINDOWSIZE" },
  tftpMaxTransfers: { flag: "tftp-max-transfers", env: "ENFORCER_TFTP_MAX_TRANSFERS" },
  assetCacheSize: { flag: "asset-cache-size", env: "ENFORCER_ASSET_CACHE_SIZE" },
  dhcp: { flag: "dhcp", env: "ENFORCER_DHCP" },
  dhcpKnownOnly: { flag: "dhcp-known-only", env: "ENFORCER_DHCP_KNOWN_ONLY" },
  dhcpInterface: { flag: "dhcp-interface", env: "ENFORCER_DHCP_INTERFACE" },
  dhcpSubnet: { flag: "dhcp-subnet", env: "ENFORCER_DHCP_SUBNET" },
  dhcpRange: { flag: "dhcp-range", env: "ENFORCER_DHCP_RANGE" },
  dhcpLeaseTime: { flag: "dhcp-lease-time", env: "ENFORCER_DHCP_LEASE_TIME" },
  dhcpRouter: { flag: "dhcp-router", env: "ENFORCER_DHCP_ROUTER" },
  dhcpDns: { flag: "dhcp-dns", env: "ENFORCER_DHCP_DNS" },
  dhcpProbeWait: { flag: "dhcp-probe-wait", env: "ENFORCER_DHCP_PROBE_WAIT" },
  dhcpPort: { flag: "dhcp-port", env: "ENFORCER_DHCP_PORT" },
  dhcpPxePort: { flag: "dhcp-pxe-port", env: "ENFORCER_DHCP_PXE_PORT" },
};
