import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "./errors.js";
import { parseMac } from "./mac.js";

test("every common MAC notation normalises to lower-case colon form", () => {
  for (const input of [
    "52:54:00:ab:cd:ef",
    "52:54:00:AB:CD:EF",
    "52-54-00-AB-CD-EF",
    "5254.00ab.cdef",
    "525400ABCDEF",
    "  525400abcdef\n",
  ]) {
    assert.equal(parseMac(input), "52:54:00:ab:cd:ef", input);
  }
});

test("malformed and hostile MACs are refused with ENF_ERR_MAC_INVALID", () => {
  for (const input of [
    "",
    "52:54:00:ab:cd",
    "52:54-00:ab:cd:ef",
    "52:54:00:ab:cd:eg",
    "52:54:00:ab:cd:ef:01",
    "5254.00ab.cdef.0000",
    "52:54:00:ab:cd:ef\nchain http://evil/",
    "${net0/mac}",
    "x".repeat(10_000),
  ]) {
    assert.throws(
      () => parseMac(input),
      (e) => isEnforcerError(e, "ENF_ERR_MAC_INVALID"),
      JSON.stringify(input.slice(0, 30)),
    );
  }
});
