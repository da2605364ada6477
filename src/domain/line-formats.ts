import { isIpxeSafe } from "./ipxe-safe.js";
import { shellContexts, type ShellContext } from "./shell-lexer.js";
import { lineProblem, refuse, replaceSlots, shellWordProblem, slotsIn, type Slot } from "./value-rules.js";

/** Places values in plain lines: anything goes except a line break or control character. */
export function placeText(marked: string, slots: readonly Slot[]): string {
  return replaceSlots(marked, slots, (s) => {
    const p = lineProblem(s.text);
    return p ? refuse(s, p) : s.text;
  });
}

/** Places values in a chained iPXE script: each must be a value iPXE scripts accept (docs/profiles.md). */
export function placeIpxe(marked: string, slots: readonly Slot[]): string {
  return replaceSlots(marked, slots, (s) =>
    isIpxeSafe(s.text) ? s.text : refuse(s, "it is not one token of printable ASCII that iPXE reads as data"),
  );
}

/**
 * Places values in a shell script. A plain value must be a word no shell reads as anything else; `| shell`
 * output (one single-quoted word) is accepted only where an unquoted word goes.
 */
export function placeShell(marked: string, slots: readonly Slot[]): string {
  const ctx = shellContexts(marked, slots, "shell");
  let k = 0;
  return replaceSlots(marked, slots, (s) => shellValue(s, ctx[k++]!));
}

/** Places values in a kickstart: %pre/%post (and the like) are shell, everything else shlex command lines. */
export function placeKickstart(marked: string, slots: readonly Slot[]): string {
  const regions: { start: number; end: number; shell: boolean }[] = [];
  let shell = false;
  let at = 0;
  for (const line of marked.split("\n")) {
    const end = at + line.length + 1;
    const head = line.trim();
    const lineShell = shell && !/^%end\b/.test(head);
    const last = regions[regions.length - 1];
    if (last && last.shell === lineShell) last.end = end;
    else regions.push({ start: at, end, shell: lineShell });
    if (/^%(pre|pre-install|post|onerror|traceback)\b/.test(head)) shell = true;
    else if (/^%end\b/.test(head)) shell = false;
    at = end;
  }
  const place = new Map<Slot, string>();
  for (const r of regions) {
    const mine = slotsIn(slots, r.start, r.end);
    const ctx = lexRegion(marked, r.start, r.end, mine, r.shell ? "shell" : "shlex");
    mine.forEach((s, k) => place.set(s, r.shell ? shellValue(s, ctx[k]!, true) : shlexValue(s, ctx[k]!)));
  }
  return replaceSlots(marked, slots, (s) => place.get(s)!);
}

/**
 * Places values in a Debian preseed: debconf values run to the end of the line (a trailing backslash joins
 * the next one), and the values of `*_command` questions are shell commands.
 */
export function placePreseed(marked: string, slots: readonly Slot[]): string {
  const place = new Map<Slot, string>();
  let at = 0;
  for (const logical of marked.split(/(?<!\\)\n/)) {
    const start = at;
    const end = at + logical.length + 1;
    at = end;
    const mine = slotsIn(slots, start, end);
    const command = /^\s*\S+\s+\S*_command\s+string(\s|$)/.exec(logical);
    if (command) {
      const from = start + command[0].length;
      const inCmd = mine.filter((s) => s.start >= from);
      const ctx = lexRegion(marked, from, end, inCmd, "shell");
      inCmd.forEach((s, k) => place.set(s, shellValue(s, ctx[k]!, true)));
    }
    for (const s of mine) {
      if (place.has(s)) continue;
      const p = lineProblem(s.text);
      if (p) refuse(s, p);
      const after = marked[s.end];
      if (s.text.endsWith("\\") && (after === undefined || after === "\n"))
        refuse(s, "it ends in a backslash, which would join the next preseed line to this one");
      if (s.text.startsWith("#") && /^\s*$/.test(marked.slice(start, s.start)))
        refuse(s, "it starts a line with #, which would make the line a comment");
      place.set(s, s.text);
    }
  }
  return replaceSlots(marked, slots, (s) => place.get(s)!);
}

function lexRegion(
  marked: string,
  start: number,
  end: number,
  slots: readonly Slot[],
  mode: "shell" | "shlex",
): ShellContext[] {
  const shifted = slots.map((s) => ({ ...s, start: s.start - start, end: s.end - start }));
  return shellContexts(marked.slice(start, end), shifted, mode);
}

const WHERE: Record<ShellContext, string> = {
  word: "an unquoted word",
  quoted: "quotes, backquotes or ${ }",
  comment: "a comment",
  heredoc: "a here-document",
  unknown: "a place this check cannot follow (after $ or \\, or a case inside $( ))",
};

/**
 * `inLines`: the shell sits inside a line-oriented file (a preseed `*_command` value, a kickstart %post),
 * whose own reader splits lines before any shell sees them, so a line break inside quotes still ends the
 * line there (debconf ends the value; pykickstart ends %post at a line "%end").
 */
function shellValue(s: Slot, ctx: ShellContext, inLines = false): string {
  if (inLines) {
    const p = lineProblem(s.text);
    if (p) refuse(s, `${p}, and this file's reader splits lines before the shell sees them`);
  }
  if (ctx === "comment") {
    const p = lineProblem(s.text);
    return p ? refuse(s, p) : s.text;
  }
  if (s.kind === "shell") {
    if (ctx !== "word")
      refuse(s, `its | shell quoting would land inside ${WHERE[ctx]}, where it is not one word`);
    if (/\0|\p{Cs}/u.test(s.text))
      refuse(s, "it has a NUL or a lone surrogate, which no shell script can hold");
    return s.text;
  }
  const p = shellWordProblem(s.text);
  return p ? refuse(s, p) : s.text;
}

function shlexValue(s: Slot, ctx: ShellContext): string {
  const p = lineProblem(s.text);
  if (p) refuse(s, p);
  if (ctx === "comment") return s.text;
  if (s.kind === "shell")
    return ctx === "word" ? s.text : refuse(s, `its | shell quoting would land inside quotes`);
  // Inside quotes only quotes and backslash mean something to shlex; elsewhere also blanks and #, anywhere.
  const bad = (ctx === "quoted" ? /['"\\]/ : /[\s'"\\#]/).exec(s.text);
  if (bad)
    refuse(
      s,
      `it has ${JSON.stringify(bad[0])} at ${bad.index}, which kickstart reads as syntax; write {{ … | shell }}`,
    );
  return s.text;
}
