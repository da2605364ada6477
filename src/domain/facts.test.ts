import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "./errors.js";
import { FACT_LIMITS, sanitizeFacts } from "./facts.js";

test("plain facts are copied as data", () => {
  const facts = sanitizeFacts(
    JSON.parse('{"cpu":{"count":4},"nics":[{"mac":"52:54:00:00:00:01"}],"note":"${x} || reboot"}'),
  );
  assert.deepEqual(facts, {
    cpu: { count: 4 },
    nics: [{ mac: "52:54:00:00:00:01" }],
    note: "${x} || reboot",
  });
});

test("deep, huge, non-JSON or prototype-polluting facts are refused", () => {
  let deep: unknown = "x";
  for (let i = 0; i < FACT_LIMITS.maxDepth + 2; i++) deep = { d: deep };
  const cases: unknown[] = [
    deep,
    { s: "x".repeat(FACT_LIMITS.maxStringLength + 1) },
    { many: Array.from({ length: FACT_LIMITS.maxKeys + 1 }, (_, i) => i) },
    { n: Number.NaN },
    { f: () => 1 },
    { d: new Date() },
    JSON.parse('{"__proto__":{"polluted":true}}'),
    [1, 2],
    "text",
  ];
  for (const c of cases)
    assert.throws(
      () => sanitizeFacts(c),
      (e) => isEnforcerError(e, "ENF_ERR_FACT_INVALID"),
    );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
