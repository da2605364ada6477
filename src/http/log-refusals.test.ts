// Every refused request was an info line: one client past the boot rate limit wrote 4,802 lines (1 MB) in
// 0.7 s on the real server, without end. Refusal lines now have a budget a minute.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { testCore } from "../core/testing/fixtures.js";
import { REFUSAL_LOGS_PER_MINUTE } from "./errors.js";
import { buildHttpServer } from "./server.js";

test("a flood of refused requests writes a bounded number of log lines", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
  const { core } = testCore();
  const app = buildHttpServer(core, { logger, bootRateLimit: 10 });
  let limited = 0;
  for (let i = 0; i < 1000; i++) {
    const r = await app.inject("/boot.ipxe");
    if (r.statusCode === 429) limited++;
  }
  assert.equal(limited, 990);
  const refused = lines.filter((l) => l.includes('"refused"'));
  assert.equal(refused.length, REFUSAL_LOGS_PER_MINUTE);
  await app.close();
});
