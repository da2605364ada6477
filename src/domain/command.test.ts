import assert from "node:assert/strict";
import { test } from "node:test";
import { stepCommand, type CommandInput, type CommandState } from "./command.js";
import { EnforcerError } from "./errors.js";

const STATES: CommandState[] = ["queued", "sent", "acknowledged", "failed", "timed-out"];
const INPUTS: CommandInput[] = [
  { type: "send" },
  { type: "report", outcome: "acknowledged" },
  { type: "report", outcome: "failed" },
  { type: "report", outcome: "timed-out" },
  { type: "abandon" },
];

/** The whole lifecycle as a table: state, input -> next state (absent: refused). */
const ALLOWED: Record<string, CommandState> = {
  "queued send": "sent",
  "queued abandon": "failed",
  "sent report:acknowledged": "acknowledged",
  "sent report:failed": "failed",
  "sent report:timed-out": "timed-out",
  "sent abandon": "failed",
};

test("a command goes queued -> sent -> its outcome, and only that way", () => {
  for (const state of STATES) {
    for (const input of INPUTS) {
      const key = `${state} ${input.type}${input.type === "report" ? `:${input.outcome}` : ""}`;
      const next = stepCommand({ id: "c1", state }, input);
      if (ALLOWED[key]) assert.equal(next, ALLOWED[key], key);
      else {
        assert.ok(next instanceof EnforcerError, `${key} is refused`);
        assert.equal(next.code, "ENF_ERR_COMMAND_TRANSITION", key);
      }
    }
  }
});

test("a refused step names the command and its state", () => {
  const e = stepCommand({ id: "c9", state: "acknowledged" }, { type: "report", outcome: "failed" });
  assert.ok(e instanceof EnforcerError);
  assert.equal(e.message, "command c9 is acknowledged, not sent");
  assert.deepEqual(e.details, { command: "c9", state: "acknowledged" });
});
