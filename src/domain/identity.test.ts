import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "./errors.js";
import { parseHostname, parseLabels, parseSerial, parseUuid } from "./identity.js";

test("UUIDs are lower-cased, braces dropped, and all-zero firmware placeholders mean no UUID", () => {
  assert.equal(parseUuid("{11111111-2222-3333-4444-55555555555A}"), "11111111-2222-3333-4444-55555555555a");
  assert.equal(parseUuid("00000000-0000-0000-0000-000000000000"), undefined);
  assert.equal(parseUuid("ffffffff-ffff-ffff-ffff-ffffffffffff"), undefined);
  assert.throws(
    () => parseUuid("1111-2222"),
    (e) => isEnforcerError(e, "ENF_ERR_UUID_INVALID"),
  );
});

test("hostnames follow RFC 1123; injection attempts are refused", () => {
  assert.equal(parseHostname("Node-01.Rack3.example"), "node-01.rack3.example");
  for (const bad of ["", "-lead", "a..b", "has space", "x\nchain", "a${x}", "a".repeat(64), "a;b", "a||b"]) {
    assert.throws(
      () => parseHostname(bad),
      (e) => isEnforcerError(e, "ENF_ERR_HOSTNAME_INVALID"),
      bad,
    );
  }
});

test("serials: placeholders vanish, control characters are refused", () => {
  assert.equal(parseSerial(" SN 123 "), "SN 123");
  assert.equal(parseSerial("To Be Filled By O.E.M."), undefined);
  assert.equal(parseSerial("0000000"), undefined);
  assert.throws(
    () => parseSerial("SN\n1"),
    (e) => isEnforcerError(e, "ENF_ERR_FACT_INVALID"),
  );
  assert.throws(
    () => parseSerial("S".repeat(200)),
    (e) => isEnforcerError(e, "ENF_ERR_FACT_INVALID"),
  );
});

test("labels: plain keys and values only", () => {
  assert.deepEqual(parseLabels({ rack: "r3", "example.com/role": "worker" }), {
    rack: "r3",
    "example.com/role": "worker",
  });
  assert.throws(
    () => parseLabels({ "Bad Key": "x" }),
    (e) => isEnforcerError(e, "ENF_ERR_LABEL_INVALID"),
  );
  assert.throws(
    () => parseLabels({ rack: "r3 && reboot" }),
    (e) => isEnforcerError(e, "ENF_ERR_LABEL_INVALID"),
  );
});
