// Option 43 (PXE sub-options, PXE spec 2.1 table 2-1) and option 77 (RFC 3004), byte for byte.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import { decodePxeOptions, decodeUserClass, encodePxeOptions, encodeUserClass } from "./pxe-options.js";
import { hex } from "./testing/hand-built.js";

test('the Raspberry Pi menu: the option 43 dnsmasq sends for pxe-service=0,"Raspberry Pi Boot"', () => {
  // 06 01 03: discovery control 3 (no broadcast, no multicast); 0a 04 00 "PXE": prompt, timeout 0;
  // 09 14 0000 11 "Raspberry Pi Boot": one menu item of type 0; ff.
  const expected = hex("060103 0a0400505845 09140000115261737062657272792050692042 6f6f74 ff");
  const pi = {
    discoveryControl: 3,
    menuPrompt: { timeout: 0, text: "PXE" },
    bootMenu: [{ type: 0, description: "Raspberry Pi Boot" }],
  };
  assert.deepEqual(encodePxeOptions(pi), expected);
  assert.deepEqual(decodePxeOptions(expected), pi);
});

test("pixiecore's BIOS option 43 is discovery control 8 alone", () => {
  assert.deepEqual(encodePxeOptions({ discoveryControl: 8 }), hex("060108ff"));
});

test("boot servers, a boot item echoed on port 4011, and an unknown sub-option kept as bytes", () => {
  const o = {
    discoveryControl: 7,
    bootServers: [{ type: 0x8000, addresses: ["10.77.0.1", "10.77.0.2"] }],
    bootItem: { type: 0x8000, layer: 0 },
    other: new Map([[0x42, hex("beef")]]),
  };
  const bytes = encodePxeOptions(o);
  assert.deepEqual(bytes, hex("060107 080b 8000 02 0a4d0001 0a4d0002 4704 8000 0000 4202beef ff"));
  assert.deepEqual(decodePxeOptions(bytes), o);
});

test("a sub-option running past the option is not PXE data; a menu item running past its sub-option is kept raw", () => {
  assert.equal(decodePxeOptions(hex("0605 01")), undefined);
  const odd = decodePxeOptions(hex("0903 0000 05 ff"));
  assert.equal(odd?.bootMenu, undefined);
  assert.deepEqual(odd?.other?.get(9), hex("000005"));
});

test("encoding refuses values that do not fit their bytes", () => {
  const refuses = (f: () => unknown) => assert.throws(f, (e) => isEnforcerError(e, "ENF_ERR_DHCP_ENCODE"));
  refuses(() => encodePxeOptions({ discoveryControl: 256 }));
  refuses(() => encodePxeOptions({ bootMenu: [{ type: 0, description: "x".repeat(300) }] }));
  refuses(() => encodePxeOptions({ bootServers: [{ type: 1, addresses: ["10.0.0"] }] }));
  refuses(() => encodePxeOptions({ bootItem: { type: 70000, layer: 0 } }));
  refuses(() => encodeUserClass([""]));
});

test("user class: RFC 3004 both ways, iPXE's plain string read as one name", () => {
  assert.deepEqual(encodeUserClass(["rack", "a1"]), hex("047261636b 026131"));
  assert.deepEqual(decodeUserClass(hex("047261636b 026131")), ["rack", "a1"]);
  assert.deepEqual(decodeUserClass(Buffer.from("iPXE")), ["iPXE"]);
  assert.deepEqual(decodeUserClass(Buffer.from("pixiecore")), ["pixiecore"]);
});
