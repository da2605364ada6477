import assert from "node:assert/strict";
import { test } from "node:test";
import { WITHHELD_WORDS } from "../../core/power-port.js";
import {
  allowedResetTypes,
  powerStateOf,
  pxeOnceBoot,
  refusedAsUnsupported,
  resetCandidates,
} from "./redfish-reset.js";
import { bmcWords, redfishMessage } from "./redfish-words.js";

test("the BMC's words are one printable line, cut at 200 characters, without the secrets", () => {
  assert.equal(bmcWords("a\u0000b\r\n\u001b[1;31mred\u001b[0m\u202eevil \u0085 end"), "a b red evil end");
  assert.equal(bmcWords("x".repeat(500)).length, 200);
  assert.equal(bmcWords("login s3cr\u0000et failed for s3cret", ["s3cret"]), WITHHELD_WORDS);
  // A secret the cleaning would join back together is still removed.
  assert.equal(bmcWords("pw s3c\u0000ret", ["s3c ret"]), WITHHELD_WORDS);
  assert.equal(bmcWords("login failed", ["s3cret"]), "login failed");
});

test("a Redfish error body gives its first telling MessageId and Message; anything else gives nothing", () => {
  const body = {
    error: {
      code: "Base.1.8.GeneralError",
      message: "A general error has occurred.",
      "@Message.ExtendedInfo": [
        { MessageId: "Base.1.8.Success", Message: "Successfully Completed Request" },
        { MessageId: "Base.1.8.PropertyValueNotInList", Message: "The value Foo is not in the list." },
      ],
    },
  };
  assert.deepEqual(redfishMessage(body), {
    messageId: "Base.1.8.PropertyValueNotInList",
    message: "The value Foo is not in the list.",
  });
  assert.deepEqual(redfishMessage({ error: { code: "iDRAC.2.8.SYS403", message: "Unable to complete" } }), {
    messageId: "iDRAC.2.8.SYS403",
    message: "Unable to complete",
  });
  assert.equal(redfishMessage({ PowerState: "On" }), undefined);
  assert.equal(redfishMessage("<html>"), undefined);
  assert.equal(redfishMessage({ error: "nope" }), undefined);
});

test("ResetType choice: the spec's order, filtered by what the BMC lists, all of it when it lists none", () => {
  assert.deepEqual(resetCandidates("cycle", undefined), ["ForceRestart", "PowerCycle", "GracefulRestart"]);
  // iDRAC 9 lists no GracefulRestart and no PowerCycle (quadsproject/badfish#118).
  assert.deepEqual(
    resetCandidates("cycle", [
      "On",
      "ForceOff",
      "ForceRestart",
      "GracefulShutdown",
      "PushPowerButton",
      "Nmi",
    ]),
    ["ForceRestart"],
  );
  assert.deepEqual(resetCandidates("on", ["ForceOn", "ForceOff"]), ["ForceOn"]);
  assert.deepEqual(resetCandidates("off", ["On", "GracefulShutdown"]), ["GracefulShutdown"]);
  assert.deepEqual(resetCandidates("cycle", ["Nmi"]), []);
  const sys = {
    Actions: { "#ComputerSystem.Reset": { "ResetType@Redfish.AllowableValues": ["On", 3, "ForceOff"] } },
  };
  assert.deepEqual(allowedResetTypes(sys), ["On", "ForceOff"]);
  assert.equal(allowedResetTypes({ Actions: { "#ComputerSystem.Reset": { target: "/x" } } }), undefined);
});

test("a refusal moves on to the next ResetType only when it says the type is not supported", () => {
  assert.ok(refusedAsUnsupported("Base.1.8.1.ActionParameterNotSupported"));
  assert.ok(refusedAsUnsupported("Base.1.8.1.ActionParameterUnknown"));
  assert.ok(refusedAsUnsupported("Base.1.2.PropertyValueNotInList"));
  assert.ok(!refusedAsUnsupported("Base.1.8.ChassisPowerStateOnRequired"));
  assert.ok(!refusedAsUnsupported("Base.1.8.ResourceInUse"));
  assert.ok(!refusedAsUnsupported(undefined));
});

test("PowerState maps to ours; pxe-once asks for a firmware mode only when the BMC lists it", () => {
  assert.equal(powerStateOf({ PowerState: "PoweringOn" }), "on");
  assert.equal(powerStateOf({ PowerState: "PoweringOff" }), "off");
  assert.equal(powerStateOf({ PowerState: 1 }), "unknown");
  assert.equal(powerStateOf(null), "unknown");
  const listed = { Boot: { "BootSourceOverrideMode@Redfish.AllowableValues": ["UEFI"] } };
  assert.deepEqual(pxeOnceBoot(listed, "uefi"), {
    BootSourceOverrideTarget: "Pxe",
    BootSourceOverrideEnabled: "Once",
    BootSourceOverrideMode: "UEFI",
  });
  assert.deepEqual(pxeOnceBoot(listed, "legacy"), {
    BootSourceOverrideTarget: "Pxe",
    BootSourceOverrideEnabled: "Once",
  });
  assert.deepEqual(pxeOnceBoot({ Boot: { BootSourceOverrideMode: "UEFI" } }, "uefi"), {
    BootSourceOverrideTarget: "Pxe",
    BootSourceOverrideEnabled: "Once",
  });
  assert.deepEqual(pxeOnceBoot(listed, undefined), {
    BootSourceOverrideTarget: "Pxe",
    BootSourceOverrideEnabled: "Once",
  });
});
