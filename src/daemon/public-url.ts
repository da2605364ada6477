import { networkInterfaces } from "node:os";

/**
 * The URL booting machines should use when none is configured: the listen address if it is a concrete one,
 * else the first non-internal IPv4 address of this host, else loopback (printed, so the operator sees it).
 */
export function detectPublicUrl(listen: string, port: number): string {
  const concrete = listen !== "0.0.0.0" && listen !== "::" && listen !== "";
  const host = concrete ? listen : (firstLanAddress() ?? "127.0.0.1");
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function firstLanAddress(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}
