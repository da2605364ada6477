import assert from "node:assert/strict";
import { test } from "node:test";
import { negotiate } from "./options.js";

const limits = { maxBlksize: 1468, maxWindowsize: 64 };
const req = (o: Record<string, string>) => new Map(Object.entries(o));

test("iPXE's request: blksize 1432 and tsize get an OACK with both", () => {
  const n = negotiate(req({ blksize: "1432", tsize: "0" }), 74213, limits);
  assert.deepEqual(
    [n.blksize, n.windowsize, [...n.oack]],
    [
      1432,
      1,
      [
        ["blksize", "1432"],
        ["tsize", "74213"],
      ],
    ],
  );
});

test("blksize and windowsize are capped; timeout is echoed; only accepted options are acknowledged", () => {
  const n = negotiate(
    req({ blksize: "65464", windowsize: "1000", timeout: "3", multicast: "", rollover: "0" }),
    10,
    limits,
  );
  assert.deepEqual([n.blksize, n.windowsize, n.timeoutMs], [1468, 64, 3000]);
  assert.deepEqual([...n.oack.keys()], ["blksize", "timeout", "windowsize"]);
});

test("out-of-range or non-numeric values are dropped, so the client runs plain RFC 1350", () => {
  const cases: Record<string, string>[] = [
    { blksize: "7" },
    { blksize: "65465" },
    { blksize: "x" },
    { timeout: "0" },
    { timeout: "256" },
    { windowsize: "0" },
    { blksize: "-1" },
    { blksize: "1e3" },
  ];
  for (const bad of cases) {
    const n = negotiate(req(bad), 10, limits);
    assert.deepEqual([n.blksize, n.windowsize, n.oack.size], [512, 1, 0], JSON.stringify(bad));
  }
  assert.equal(negotiate(req({}), 10, limits).oack.size, 0);
});
