// The timeline table is printed to the operator's terminal: what came from the network is shown, not run.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TimelineAttempt } from "../../client/api-client.js";
import { attemptText } from "./machine-timeline.js";

test("a step label, stop and hint with escape sequences (C0 ESC, C1 CSI) print as '?', not as terminal codes", () => {
  const a = {
    mac: "52:54:00:aa:00:01",
    n: 1,
    startedAt: "2026-11-27T03:00:00.000Z",
    lastAt: "2026-11-27T03:00:01.000Z",
    outcome: "stopped",
    stopIndex: 0,
    stop: "tftp \u001b]0;owned\u0007 refused",
    hint: { code: "file-not-found", text: "no \u009b2J file" },
    droppedSteps: 0,
    steps: [
      {
        kind: "tftp",
        at: "2026-11-27T03:00:00.000Z",
        count: 1,
        label: "tftp a\u001b[31m\u009b0m.efi refused",
      },
    ],
  } as unknown as TimelineAttempt;
  const out = attemptText(a);
  assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, JSON.stringify(out));
  assert.match(out, /tftp a\?\[31m\?0m\.efi refused/);
});
