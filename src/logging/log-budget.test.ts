import assert from "node:assert/strict";
import { test } from "node:test";
import { LogBudget } from "./log-budget.js";

test("a budget says how many lines it left out on the next line it allows", () => {
  let now = 0;
  const b = new LogBudget(2, () => now);
  assert.deepEqual(
    [b.take(), b.take(), b.take(), b.take()],
    [
      { ok: true, skipped: 0 },
      { ok: true, skipped: 0 },
      { ok: false, skipped: 0 },
      { ok: false, skipped: 0 },
    ],
  );
  now = 60_000;
  assert.deepEqual(b.take(), { ok: true, skipped: 2 });
});
