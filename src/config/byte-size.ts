const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Bytes for a size the settings schema accepted (`4GiB`, `512M`, `1048576`); K, M, G, T count in 1024s. */
export function byteSize(text: string): number {
  const m = /^(\d{1,15})([KMGT]?)/.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]!]! : Number.NaN;
}
