/** Every stable error code Enforcer can report; documented one by one in docs/errors.md. */
export const ERROR_CODES = {
  ENF_ERR_SETTINGS_INVALID: "a setting has a value that is out of range or of the wrong type",
  ENF_ERR_SETTINGS_FILE: "the configuration file cannot be read or parsed",
  ENF_ERR_MAC_INVALID: "a MAC address is not in any accepted notation",
  ENF_ERR_UUID_INVALID: "a UUID is not a valid SMBIOS/RFC 4122 UUID",
  ENF_ERR_HOSTNAME_INVALID: "a hostname is not a valid RFC 1123 host name",
  ENF_ERR_LABEL_INVALID: "a label key or value has characters or a length that is not allowed",
  ENF_ERR_FACT_INVALID: "a machine fact is too large, too deep or not plain data",
  ENF_ERR_MACHINE_NOT_FOUND: "no machine has that identifier",
  ENF_ERR_MACHINE_EXISTS: "a machine with that MAC is already known",
  ENF_ERR_PROFILE_NOT_FOUND: "no profile has that name",
  ENF_ERR_PROFILE_EXISTS: "a profile with that name already exists",
  ENF_ERR_PROFILE_INVALID: "a profile is missing a field its OS family needs, or has one it cannot use",
  ENF_ERR_PROFILE_IN_USE: "the profile is used by a config that is still draft, armed or triggered",
  ENF_ERR_CONFIG_NOT_FOUND: "no boot config has that identifier",
  ENF_ERR_CONFIG_TRANSITION: "the boot config's current state does not allow that change",
  ENF_ERR_CONFIG_ALREADY_ARMED: "the machine already has an armed or triggered config",
  ENF_ERR_TEMPLATE_INVALID: "a provisioning or iPXE template cannot be parsed",
  ENF_ERR_TEMPLATE_VARIABLE_MISSING:
    "a template uses a variable that neither the config nor the facts provide",
  ENF_ERR_IPXE_UNSAFE_VALUE: "a value would change the meaning of an iPXE script and was refused",
  ENF_ERR_PROVISIONING_UNSAFE_VALUE:
    "a value would add a line, key, member or command to a provisioning file",
  ENF_ERR_PROVISIONING_INVALID: "a rendered provisioning file does not parse in its format (JSON, YAML)",
  ENF_ERR_STORE_CORRUPT: "a data file is damaged in a way that replay cannot repair on its own",
  ENF_ERR_STORE_IO: "the data directory cannot be read or written",
  ENF_ERR_STORE_CLOSED: "the store was used after it was closed",
  ENF_ERR_STORE_LOCKED:
    "the data directory is in use by another running Enforcer, or its LOCK cannot be told stale (the message says what to check)",
  ENF_ERR_STORE_CONFLICT:
    "a value changed between read and write (another request or Enforcer instance wrote it first); read again and retry",
  ENF_ERR_STORE_UNAVAILABLE:
    "the shared store cannot be reached or has lost its quorum; writes are refused until it is back",
  ENF_ERR_STORE_TOO_LARGE: "a single store commit holds more operations than the store accepts at once",
  ENF_ERR_STORE_REFUSED:
    "the store's engine refused the credentials: etcd user or password, or TLS certificate",
  ENF_ERR_STORE_COPY_NOT_EMPTY:
    "`store copy` was given a target that already holds Enforcer data, without --force",
  ENF_ERR_STORE_COPY_MISMATCH:
    "`store copy` read the target back and a collection's count or digest differs from the source's",
  ENF_ERR_AUTH_MISSING: "the request has no bearer token",
  ENF_ERR_AUTH_INVALID: "the bearer token is malformed, unknown or revoked",
  ENF_ERR_AUTH_FORBIDDEN: "the token's role may not do this",
  ENF_ERR_AUTH_RATE_LIMITED: "too many requests or failed authentications from this address; wait and retry",
  ENF_ERR_TOKEN_INVALID: "a token name or role is not acceptable",
  ENF_ERR_TOKEN_NOT_FOUND: "no token has that id",
  ENF_ERR_TOKEN_LAST_ADMIN: "the last admin token cannot be revoked",
  ENF_ERR_POWER_INVALID:
    "a machine's power settings are not valid: unknown driver, a bad address, user, password or option",
  ENF_ERR_POWER_NOT_SET: "the machine has no power control set",
  ENF_ERR_POWER_UNSUPPORTED: "the machine's power driver cannot do that action (Wake-on-LAN only powers on)",
  ENF_ERR_POWER_AUTH: "the BMC refused the stored user name or password",
  ENF_ERR_POWER_UNREACHABLE: "the BMC cannot be reached: no route, connection refused, or name not found",
  ENF_ERR_POWER_TIMEOUT: "the BMC did not answer within the power timeout",
  ENF_ERR_POWER_BAD_ANSWER: "the BMC answered with something that is not its protocol",
  ENF_ERR_POWER_REFUSED: "the BMC understood the action and refused it; its message says why",
  ENF_ERR_POWER_TLS:
    "the BMC's TLS certificate is not trusted: it does not verify, or not the pinned fingerprint",
  ENF_ERR_POWER_BUSY: "too many power actions are waiting for this machine; try again when they are done",
  ENF_ERR_POWER_KEY:
    "a stored power password cannot be opened with this data directory's power.key (another key, or damaged)",
  ENF_ERR_POWER_TOOL_MISSING: "the program a power driver runs (ipmitool) is not installed",
  ENF_ERR_COMMAND_NOT_FOUND: "no command has that id",
  ENF_ERR_COMMAND_TRANSITION:
    "the command's current state does not allow that change (an acknowledgement of a command not sent, say)",
  ENF_ERR_MACHINE_BUSY: "the machine holds an armed or triggered config; cancel it first",
  ENF_ERR_CONFLICT_NOT_FOUND: "no identity conflict has that id",
  ENF_ERR_CONFLICT_RESOLVED: "the identity conflict was already merged or dismissed",
  ENF_ERR_CONFLICT_MERGE_REFUSED:
    "a machine cannot be merged into one that only anonymous clients have spoken for; forget that one instead",
  ENF_ERR_HTTP_VALIDATION: "a request does not match the route's schema",
  ENF_ERR_HTTP_NOT_FOUND: "no route or resource at that path",
  ENF_ERR_HTTP_BAD_URL: "the request's path is not a valid URL (bad percent-encoding, say)",
  ENF_ERR_HTTP_URI_TOO_LONG: "a path segment is longer than any route accepts",
  ENF_ERR_HTTP_HEADERS_TOO_LARGE: "the request line and headers together are too large",
  ENF_ERR_HTTP_BAD_REQUEST: "the request is not well-formed HTTP",
  ENF_ERR_HTTP_TIMEOUT: "the request did not arrive in time",
  ENF_ERR_HTTP_RANGE: "the requested byte range starts past the end of the file",
  ENF_ERR_TFTP_BIND: "the TFTP port cannot be opened (in use, or port 69 without root)",
  ENF_ERR_DHCP_RANGE:
    "--dhcp-range is missing (required with --dhcp server) or not a range of host addresses inside the boot network",
  ENF_ERR_DHCP_RESERVATION:
    "the enforcer.dev/ipv4 label is not an IPv4 address, is outside the boot network, or is reserved for another machine already",
  ENF_ERR_DHCP_OTHER_SERVER:
    "--dhcp server found another DHCP server answering on the boot network at start, and refuses to run beside it (use --dhcp proxy there)",
  ENF_ERR_DHCP_PROBE:
    "--dhcp server cannot probe for another DHCP server at start (port 68 cannot be opened); --dhcp-probe-wait 0 starts without the probe",
  ENF_ERR_PI_BOOT_FILE:
    "a Raspberry Pi config names a kernel or initrd that cannot be served over TFTP (a URL, not a plain file name), or more than one initrd",
  ENF_ERR_DHCP_NETWORK:
    "the DHCP boot network or Enforcer's address on it cannot be found (name it with --dhcp-interface or --dhcp-subnet)",
  ENF_ERR_DHCP_MALFORMED:
    "a DHCP datagram is not a well-formed RFC 2131 message (too short or too long, wrong magic cookie, an option running past its field); it is dropped and counted",
  ENF_ERR_DHCP_BIND:
    "a DHCP port cannot be opened (in use by another DHCP server, or 67/4011 without root or CAP_NET_BIND_SERVICE)",
  ENF_ERR_DHCP_ENCODE:
    "a DHCP reply cannot be encoded (a field too long for its place, or the message larger than a client accepts)",
  ENF_ERR_FILE_ACCESS: "a boot file name is refused: outside the root, not printable, or too long",
  ENF_ERR_BOOT_NO_SCRIPT:
    "this Enforcer has no script for the machine; iPXE falls through to the next source",
  ENF_ERR_BOOT_SECRET_UNKNOWN: "a provisioning or completion URL names a secret that is not active",
  ENF_ERR_CONFIG_FILE_NOT_FOUND: "the config serves no provisioning file of that name",
  ENF_ERR_SERF_CONNECTION: "the serf agent's RPC cannot be reached or closed the connection",
  ENF_ERR_SERF_RPC: "the serf agent answered a request with an error",
  ENF_ERR_CONSUL_HTTP: "the Consul HTTP API cannot be reached or answered an error",
  ENF_ERR_ASSET_URL: "a boot asset's source is not an http:// or https:// URL",
  ENF_ERR_ASSET_FETCH:
    "a boot asset cannot be downloaded: the mirror answered an error status, could not be reached, timed out or ended the download early",
  ENF_ERR_ASSET_CHECKSUM:
    "a downloaded boot asset's sha256 or size is not what the profile or the mirror's SHA256SUMS says; nothing was kept",
  ENF_ERR_ASSET_TOO_LARGE:
    "a boot asset is larger than the cache may hold (--asset-cache-size), or the files armed configs need leave no room for it",
  ENF_ERR_ASSET_NOT_FOUND: "no cached boot asset has that id",
  ENF_ERR_ASSET_IN_USE:
    "an armed or triggered config needs the cached boot asset as it is; it cannot be removed or replaced",
  ENF_ERR_ASSET_DISABLED: "the boot asset cache is off (--asset-cache-size 0)",
  ENF_ERR_CLIENT_UNREACHABLE: "(client) the Enforcer URL cannot be reached",
  ENF_ERR_CLIENT_BAD_ANSWER: "(client) the server's answer is not in Enforcer's error format",
  ENF_ERR_SERVER_INTERNAL: "an unexpected failure; the log has the details",
} as const;

/** A stable error code of the form ENF_ERR_<AREA>_<WHAT>. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error type Enforcer throws on purpose; `code` is stable, `message` is for people. */
export class EnforcerError extends Error {
  override readonly name = "EnforcerError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** True when `err` is an EnforcerError, optionally with the given code. */
export function isEnforcerError(err: unknown, code?: ErrorCode): err is EnforcerError {
  return err instanceof EnforcerError && (code === undefined || err.code === code);
}
