/** `KEY=value` lines into a record; blank lines are skipped, lines without "=" refused with their number. */
export function parseVariables(text: string, what = "variables"): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`line ${i + 1}: write ${what} as NAME=value`);
    vars[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return vars;
}
