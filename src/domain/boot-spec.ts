/** What a machine boots: a kernel with arguments and its initrds, or a raw iPXE script body. */
export type BootSpec =
  | { kind: "linux"; kernel: string; args: string[]; initrds: { url: string; name: string }[] }
  | { kind: "ipxe"; lines: string[] };

/** Files a config serves under its secret URL, by name (e.g. `preseed.cfg`, `user-data`). */
export type ProvisioningFiles = Record<string, string>;
