import assert from "node:assert/strict";
import { test } from "node:test";
import { WITHHELD_WORDS } from "../../core/power-port.js";
import { EnforcerError, isEnforcerError } from "../../domain/errors.js";
import { ipmiFailure, redacted, toolWords } from "./ipmi-failure.js";
import { clean, endpointText, ipmiEndpoint, redact } from "./ipmi-text.js";

test("ipmi address: host[:port] for IPv4, [IPv6] and names; 623 by default", () => {
  assert.deepEqual(ipmiEndpoint("10.0.0.5"), { host: "10.0.0.5", port: 623 });
  assert.deepEqual(ipmiEndpoint("10.0.0.5:6230"), { host: "10.0.0.5", port: 6230 });
  assert.deepEqual(ipmiEndpoint("[fd00::5]:624"), { host: "fd00::5", port: 624 });
  assert.deepEqual(ipmiEndpoint("[fd00::5]"), { host: "fd00::5", port: 623 });
  assert.deepEqual(ipmiEndpoint("bmc-12.rack.example"), { host: "bmc-12.rack.example", port: 623 });
  assert.equal(endpointText({ host: "fd00::5", port: 623 }), "[fd00::5]:623");
});

test("ipmi address: what could read as an ipmitool option or is not an address is ENF_ERR_POWER_INVALID", () => {
  for (const bad of [
    "-oProxyCommand=x",
    "-H",
    "",
    "a b",
    "host:0",
    "host:65536",
    "fd00::5",
    "[x]:1",
    "h:1:2",
  ])
    assert.throws(
      () => ipmiEndpoint(bad),
      (e: unknown) => isEnforcerError(e, "ENF_ERR_POWER_INVALID"),
      bad,
    );
});

test("ipmi text: control characters removed, cut with an ellipsis; a secret redacted wherever it shows", () => {
  assert.equal(clean("a\x1b[31mb\r\n\tc\x00d"), "a [31mb c d");
  assert.equal(clean("x".repeat(300)).length, 200);
  assert.equal(redact("pw=hunter22 and hunter22", "hunter22"), WITHHELD_WORDS);
  assert.equal(redact("no secret here", "hunter22"), "no secret here");
  assert.equal(redact("as is", undefined), "as is");
});

test("ipmi text: ipmitool's chatter is dropped from its words, its own lines kept, one line each", () => {
  const stderr = [
    "Loading IANA PEN Registry...",
    "> RAKP 2 HMAC is invalid",
    "Error: Unable to establish IPMI v2 / RMCP+ session",
    "",
  ].join("\n");
  assert.equal(
    toolWords(stderr, ""),
    "RAKP 2 HMAC is invalid; Error: Unable to establish IPMI v2 / RMCP+ session",
  );
  const err = redacted(new EnforcerError("ENF_ERR_POWER_REFUSED", "echoed secret-pw here"), "secret-pw");
  assert.equal(err.code, "ENF_ERR_POWER_REFUSED");
  assert.equal(err.message, WITHHELD_WORDS);
});

test("ipmi words: the code is decided on ipmitool's words before the password is redacted (a short one is in many words)", async () => {
  const e = { host: "127.0.0.1", port: 623 };
  const words = "RAKP 2 HMAC is invalid; Error: Unable to establish IPMI v2 / RMCP+ session";
  const err = redacted(await ipmiFailure(e, words, AbortSignal.timeout(1000)), "a");
  assert.equal(err.code, "ENF_ERR_POWER_AUTH");
  // Withheld whole: a masked "a" would leave every other letter of the words to read it off.
  assert.equal(err.message, WITHHELD_WORDS);
});
