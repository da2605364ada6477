/**
 * The key a client address is counted under (HTTP limits, TFTP slots): an IPv4 address as it is (also when
 * IPv4-mapped), an IPv6 address by its first 64 bits, which one host can fill at will.
 */
export function addressKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  const addr = ip.split("%")[0]!.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(addr);
  if (mapped) return mapped[1]!;
  const halves = addr.split("::");
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(":") : [];
  const zeros = halves.length > 1 ? Math.max(0, 8 - left.length - right.length) : 0;
  const groups = [...left, ...Array<string>(zeros).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
