// What a PUT of power control may carry: each refusal names its field, and nothing hostile (an option for
// ipmitool or ssh, a control character, an oversized name) gets through to a driver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "./errors.js";
import type { PowerRecord } from "./power.js";
import { parsePowerInput, WOL_DEFAULT_ADDRESS } from "./power-input.js";

const IPMI = { driver: "ipmi", address: "10.0.0.5", username: "admin", password: "secret" };

function refused(body: unknown, field: string, previous?: PowerRecord): void {
  assert.throws(
    () => parsePowerInput(body, previous),
    (e: unknown) =>
      isEnforcerError(e, "ENF_ERR_POWER_INVALID") && e.details.field === field && e.message.startsWith(field),
    `expected a refusal naming ${field}: ${JSON.stringify(body)}`,
  );
}

test("a valid ipmi, redfish and wol input comes back normalised", () => {
  assert.deepEqual(
    parsePowerInput({ ...IPMI, address: "BMC-1.Lab:623", cipherSuite: 17, bootMode: "uefi" }),
    {
      driver: "ipmi",
      address: "bmc-1.lab:623",
      username: "admin",
      password: "secret",
      cipherSuite: 17,
      bootMode: "uefi",
    },
  );
  const fp = "AB:".repeat(31) + "AB";
  assert.deepEqual(
    parsePowerInput({
      driver: "redfish",
      address: "[FE80::1]:8443",
      username: "root",
      password: "p w!",
      tlsFingerprint: fp,
      systemId: "System.Embedded.1",
    }),
    {
      driver: "redfish",
      address: "[fe80::1]:8443",
      username: "root",
      password: "p w!",
      tlsFingerprint: "ab".repeat(32),
      systemId: "System.Embedded.1",
    },
  );
  assert.deepEqual(parsePowerInput({ driver: "wol" }), { driver: "wol", address: WOL_DEFAULT_ADDRESS });
  assert.deepEqual(parsePowerInput({ driver: "wol", address: "10.0.0.255:7" }), {
    driver: "wol",
    address: "10.0.0.255:7",
  });
  assert.equal(parsePowerInput({ ...IPMI, address: "[::ffff:10.0.0.1]" }).address, "[::ffff:10.0.0.1]");
});

test("hostile addresses are refused, naming the address", () => {
  for (const address of [
    "-oProxyCommand=x",
    "-H",
    "bmc 1",
    "bmc\n1",
    "bmc\u00001",
    "a".repeat(300),
    `${"a".repeat(64)}.lab`,
    "fe80::1",
    "[fe80::1",
    "[fe80::1]x",
    "[not-ipv6]",
    "[1:2:3:4:5:6:7:8:9]",
    "10.0.0.256",
    "10.0.0.5:0",
    "10.0.0.5:65536",
    "10.0.0.5:0623",
    "10.0.0.5:",
    "10.0.0.5:-1",
    "http://10.0.0.5",
    "",
    "1.2.3",
    42,
  ]) {
    refused({ ...IPMI, address }, "address");
  }
  assert.equal(parsePowerInput({ ...IPMI, address: "10.0.0.5:65535" }).address, "10.0.0.5:65535");
  assert.equal(parsePowerInput({ ...IPMI, address: "10.0.0.5:1" }).address, "10.0.0.5:1");
});

test("users and passwords: printable ASCII within the protocol's bytes, never an option", () => {
  refused({ ...IPMI, username: "-oProxyCommand=x" }, "username");
  refused({ ...IPMI, username: "ad\nmin" }, "username");
  refused({ ...IPMI, username: "ad\u0000min" }, "username");
  refused({ ...IPMI, username: "a".repeat(17) }, "username");
  refused({ ...IPMI, username: "" }, "username");
  refused({ ...IPMI, username: "é" }, "username");
  refused({ ...IPMI, password: "a".repeat(21) }, "password");
  refused({ ...IPMI, password: "pa\u0000ss" }, "password");
  refused({ ...IPMI, password: "pa\rss" }, "password");
  refused({ ...IPMI, password: 12345 }, "password");
  assert.equal(parsePowerInput({ ...IPMI, password: "a".repeat(20) }).password, "a".repeat(20));
  assert.equal(parsePowerInput({ ...IPMI, password: "-starts with dash" }).password, "-starts with dash");
  const rf = { driver: "redfish", address: "bmc", username: "u" };
  assert.equal(parsePowerInput({ ...rf, password: "x".repeat(128) }).password?.length, 128);
  refused({ ...rf, password: "x".repeat(129) }, "password");
  const { username: _u, ...noUser } = IPMI;
  refused(noUser, "username");
  const { address: _a, ...noAddress } = IPMI;
  refused(noAddress, "address");
});

test("unknown fields, other drivers' options and bad option values are refused by name", () => {
  refused({ ...IPMI, pasword: "typo" }, "pasword");
  refused({ ...IPMI, ["x".repeat(300)]: 1 }, "x".repeat(40));
  refused({ ...IPMI, driver: "ssh" }, "driver");
  refused(null, "body");
  refused([IPMI], "body");
  refused("ipmi", "body");
  refused({ ...IPMI, cipherSuite: 18 }, "cipherSuite");
  refused({ ...IPMI, cipherSuite: -1 }, "cipherSuite");
  refused({ ...IPMI, cipherSuite: 1.5 }, "cipherSuite");
  refused({ ...IPMI, cipherSuite: "3" }, "cipherSuite");
  refused({ ...IPMI, bootMode: "efi" }, "bootMode");
  refused({ ...IPMI, tlsFingerprint: "ab".repeat(32) }, "tlsFingerprint");
  refused({ ...IPMI, systemId: "1" }, "systemId");
  const rf = { driver: "redfish", address: "bmc", username: "u", password: "p" };
  refused({ ...rf, cipherSuite: 3 }, "cipherSuite");
  refused({ ...rf, tlsFingerprint: "ab".repeat(31) }, "tlsFingerprint");
  refused({ ...rf, tlsFingerprint: "zz".repeat(32) }, "tlsFingerprint");
  refused({ ...rf, systemId: "../Managers" }, "systemId");
  refused({ ...rf, systemId: "a".repeat(65) }, "systemId");
  refused({ driver: "wol", username: "u" }, "username");
  refused({ driver: "wol", password: "p" }, "password");
  refused({ driver: "wol", bootMode: "uefi" }, "bootMode");
});

test("a PUT without a password keeps the stored one only for the same driver, address and user", () => {
  const previous: PowerRecord = {
    machine: "52:54:00:00:00:01",
    driver: "ipmi",
    address: "10.0.0.5",
    username: "admin",
    password: { alg: "aes-256-gcm", keyId: "0", iv: "", tag: "", data: "" },
    options: {},
    updatedAt: "",
  };
  const { password: _p, ...noPassword } = IPMI;
  assert.equal(parsePowerInput({ ...noPassword, cipherSuite: 3 }, previous).password, undefined);
  refused(noPassword, "password");
  refused({ ...noPassword, address: "10.0.0.6" }, "password", previous);
  refused({ ...noPassword, username: "root" }, "password", previous);
  refused({ ...noPassword, driver: "redfish" }, "password", previous);
  refused(noPassword, "password", { ...previous, password: undefined });
});
