import type { Slot } from "./value-rules.js";

/**
 * Where a value sits in a shell (or shlex) text: `word` is unquoted (also inside `$( )` from an unquoted
 * place), so a single-quoted word fits; `quoted` is inside quotes, backquotes or `${ }`; `comment` and
 * `heredoc` are what they say; `unknown` is anything this lexer cannot follow (after `$` or `\`, or after
 * `case` inside `$( )`), where only plain words are let through.
 */
export type ShellContext = "word" | "quoted" | "comment" | "heredoc" | "unknown";

type Frame = {
  k: "top" | "sq" | "dq" | "ansi" | "bq" | "subst" | "brace" | "comment";
  depth: number;
  inDq?: boolean;
};
interface Heredoc {
  delim: string;
  strip: boolean;
}

/** Characters that make `$` plus one of them a whole parameter expansion. */
const SPECIAL_PARAMETER = /^[$?#!@*0-9-]$/;
const BREAKS_WORD = /[\s;&|()<>]/;

/**
 * The context of each slot in `text`. `shlex` mode reads like Python's shlex (kickstart command lines):
 * quotes, backslash and `#` comments only, one line at a time. The lexer errs toward `quoted`/`unknown`:
 * those only ever make Enforcer refuse a value, never place one unquoted.
 */
export function shellContexts(text: string, slots: readonly Slot[], mode: "shell" | "shlex"): ShellContext[] {
  const out: ShellContext[] = [];
  const stack: Frame[] = [{ k: "top", depth: 0 }];
  const pending: Heredoc[] = [];
  let uncertain = false;
  let escaped = false;
  let next = 0;
  const top = () => stack[stack.length - 1]!;
  const push = (k: Frame["k"], inDq = false) => stack.push({ k, depth: 0, inDq });
  // $( ) starts a fresh command whatever quotes it sits in, so only the innermost frame counts.
  const unquoted = () => top().k === "top" || top().k === "subst";
  const context = (): ShellContext => {
    if (top().k === "comment") return "comment";
    if (uncertain || escaped) return "unknown";
    return unquoted() ? "word" : "quoted";
  };
  const atSlot = (i: number) => next < slots.length && slots[next]!.start === i;

  let i = 0;
  while (i < text.length) {
    if (atSlot(i)) {
      const before = text[i - 1];
      out.push(before === "$" && mode === "shell" && top().k !== "comment" ? "unknown" : context());
      escaped = false;
      i = slots[next++]!.end;
      continue;
    }
    const c = text[i]!;
    const f = top();
    if (c === "\n" && mode === "shlex") {
      stack.length = 1; // kickstart reads each command line on its own
      i++;
      continue;
    }
    if (f.k === "comment") {
      if (c === "\n") stack.pop();
      else {
        i++;
        continue;
      }
    }
    const g = top();
    if (c === "\\" && g.k !== "sq" && g.k !== "comment") {
      if (mode === "shlex" && g.k === "dq" && text[i + 1] !== '"' && text[i + 1] !== "\\") {
        i++;
        continue;
      }
      if (atSlot(i + 1)) escaped = true;
      i += atSlot(i + 1) ? 1 : 2;
      continue;
    }
    if (g.k === "sq" || g.k === "ansi") {
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (g.k === "bq") {
      if (c === "`") stack.pop();
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    // `$$`, `$?`, `$#`, `$1`…: one parameter, so a `(` after it opens no `$( )` (`"$$(` is PID then text).
    if (mode === "shell" && c === "$" && SPECIAL_PARAMETER.test(text[i + 1] ?? "") && !atSlot(i + 1)) {
      i += 2;
      continue;
    }
    if (g.k === "dq") {
      if (c === '"') stack.pop();
      else if (mode === "shell" && two === "$(") push("subst");
      else if (mode === "shell" && two === "${") push("brace", true);
      else if (mode === "shell" && c === "`") push("bq");
      i += mode === "shell" && (two === "$(" || two === "${") ? 2 : 1;
      continue;
    }
    if (g.k === "brace") {
      if (c === "}") stack.pop();
      else if (c === '"') push("dq");
      else if (c === "'" && !g.inDq) push("sq");
      else if (two === "$(") push("subst");
      i += two === "$(" ? 2 : 1;
      continue;
    }
    // Unquoted: top or inside $( ).
    if (c === "\n") {
      i = pending.length ? readHeredocs(i + 1) : i + 1;
      continue;
    }
    const wordStart = i === 0 || BREAKS_WORD.test(text[i - 1]!);
    if (c === "#" && wordStart) push("comment");
    else if (c === "'") push("sq");
    else if (c === '"') push("dq");
    else if (mode === "shlex") {
      /* nothing else is special to shlex */
    } else if (c === "`") push("bq");
    else if (two === "$'") push("ansi");
    else if (two === "$(") push("subst");
    else if (two === "${") push("brace");
    else if (c === "(" && g.k === "subst") g.depth++;
    else if (c === ")" && g.k === "subst") {
      if (g.depth > 0) g.depth--;
      else stack.pop();
    } else if (g.k === "subst" && wordStart && /^case\b/.test(text.slice(i, i + 5))) {
      uncertain = true; // `pattern)` inside $( ) would close it for a lexer that does not parse `case`
    } else if (text.startsWith("<<<", i)) {
      i += 3;
      continue;
    } else if (two === "<<") {
      i = readHeredocOperator(i + 2);
      continue;
    }
    i += two === "$'" || two === "$(" || two === "${" ? 2 : 1;
  }
  while (next < slots.length) {
    out.push("unknown");
    next++;
  }
  return out;

  function readHeredocOperator(j: number): number {
    const strip = text[j] === "-";
    if (strip) j++;
    while (text[j] === " " || text[j] === "\t") j++;
    let delim = "";
    while (j < text.length && !BREAKS_WORD.test(text[j]!)) {
      const q = text[j]!;
      if (q === "'" || q === '"') {
        const end = text.indexOf(q, j + 1);
        if (end < 0) break;
        delim += text.slice(j + 1, end);
        j = end + 1;
      } else if (q === "\\") {
        delim += text[j + 1] ?? "";
        j += 2;
      } else {
        delim += q;
        j++;
      }
    }
    if (delim === "" || /[\ue000\ue001]/.test(delim)) uncertain = true;
    else pending.push({ delim, strip });
    return j;
  }

  function readHeredocs(j: number): number {
    for (const h of pending.splice(0)) {
      while (j < text.length) {
        const eol = text.indexOf("\n", j) < 0 ? text.length : text.indexOf("\n", j);
        const line = text.slice(j, eol);
        if ((h.strip ? line.replace(/^\t+/, "") : line) === h.delim) {
          j = eol + 1;
          break;
        }
        while (next < slots.length && slots[next]!.start < eol) {
          out.push("heredoc");
          next++;
        }
        j = eol + 1;
      }
    }
    return j;
  }
}
