/** A serf member as Enforcer uses it: names and tags as strings, the address as text. */
export interface SerfMember {
  name: string;
  addr: string;
  port: number;
  tags: Record<string, string>;
  status: "none" | "alive" | "leaving" | "left" | "failed" | string;
}

/** The raw member map on the wire (Go field names; Addr is raw IP bytes). */
export interface WireMember {
  Name: string;
  Addr: Uint8Array;
  Port: number;
  Tags: Record<string, string>;
  Status: string;
}

/** Converts a wire member; Addr may be 4 bytes, or 16 (IPv6, or IPv4 mapped as ::ffff:a.b.c.d). */
export function toMember(w: WireMember): SerfMember {
  return { name: w.Name, addr: ipText(w.Addr), port: w.Port, tags: { ...w.Tags }, status: w.Status };
}

function ipText(b: Uint8Array | undefined): string {
  if (!b) return "";
  if (b.length === 4) return Array.from(b).join(".");
  if (b.length === 16) {
    const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    if (mapped) return Array.from(b.subarray(12)).join(".");
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
  }
  return "";
}
