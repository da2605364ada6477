import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../client/api-client.js";
import { describeError, printable, showFields } from "./output.js";
import type { CliContext } from "./context.js";

// What an agent or a booting machine sends reaches the operator's terminal through these views: a hostile
// fact must print as inert text, never move the cursor, retitle the window or reverse the row.
const HOSTILE = [
  "\x1b]0;pwned\x07", // OSC: sets the terminal's title
  "\x1b[2J\x1b[31m", // CSI: clears the screen, turns red
  "\x9b31m", // C1 CSI
  "\r\roverwrite", // carriage returns: overwrite the line
  "a\u202eevil", // RIGHT-TO-LEFT OVERRIDE: the rest of the row shown reversed
  "\u2066x\u2069\u200f", // isolates and marks
  "line\u2028break", // LINE SEPARATOR
];

test("printable leaves no control, bidirectional control or line separator in server text", () => {
  for (const s of HOSTILE)
    assert.doesNotMatch(
      printable(s),
      /[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/,
      JSON.stringify(s),
    );
  assert.equal(printable("a\u202eevil"), "a?evil");
  assert.equal(printable("node-01 éü 中文"), "node-01 éü 中文", "ordinary text, accents and CJK stay");
});

test("a record view and an error line print hostile facts inert", () => {
  let out = "";
  const ctx = { json: false, out: (t: string) => (out += t), err: () => undefined } as unknown as CliContext;
  showFields(
    ctx,
    {},
    HOSTILE.map((s, i) => [`facts.f${i}`, s]),
  );
  assert.doesNotMatch(out, /[\x1b\x9b\r\u202e\u2066\u2028]/);
  assert.equal(out.split("\n").length, HOSTILE.length + 1, "one line per field");
  const { line } = describeError(new ApiError(409, "ENF_ERR_X", "serial \x1b[31ms\u202eevil clashes"));
  assert.equal(line, "enforcer: serial ?[31ms?evil clashes [ENF_ERR_X]");
});
