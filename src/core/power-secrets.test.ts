// BMC passwords at rest: sealed with power.key and bound to their machine, so another key, a damaged
// record or a record copied to another machine never opens (ENF_ERR_POWER_KEY), and never yields garbage.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { PowerSecrets, powerKeyId } from "./power-secrets.js";

const A = "52:54:00:00:00:01";
const B = "52:54:00:00:00:02";

function keyError(fn: () => unknown, says: RegExp): void {
  assert.throws(fn, (e: unknown) => isEnforcerError(e, "ENF_ERR_POWER_KEY") && says.test(e.message));
}

test("a sealed password opens with the same key for the same machine, and holds nothing in clear", () => {
  const key = randomBytes(32);
  const s = new PowerSecrets(key);
  const sealed = s.seal(A, "hunter2-secret");
  assert.equal(sealed.keyId, powerKeyId(key));
  assert.match(sealed.keyId, /^[0-9a-f]{16}$/);
  assert.ok(!JSON.stringify(sealed).includes("hunter2"));
  assert.equal(new PowerSecrets(Buffer.from(key)).open(A, sealed), "hunter2-secret");
  assert.notEqual(s.seal(A, "hunter2-secret").iv, sealed.iv, "a fresh IV each time");
});

test("another key: ENF_ERR_POWER_KEY naming both key ids", () => {
  const sealed = new PowerSecrets(randomBytes(32)).seal(A, "pw");
  const other = new PowerSecrets(randomBytes(32));
  keyError(
    () => other.open(A, sealed),
    new RegExp(`another power.key \\(${sealed.keyId}, this one is ${other.keyId}\\)`),
  );
});

test("a tampered tag, IV or ciphertext, and another machine's record, do not open", () => {
  const s = new PowerSecrets(randomBytes(32));
  const sealed = s.seal(A, "pw-of-a");
  const flip = (b64: string): string => {
    const b = Buffer.from(b64, "base64");
    b[0] = (b[0] ?? 0) ^ 1;
    return b.toString("base64");
  };
  keyError(() => s.open(A, { ...sealed, tag: flip(sealed.tag) }), /does not open/);
  keyError(() => s.open(A, { ...sealed, iv: flip(sealed.iv) }), /does not open/);
  keyError(() => s.open(A, { ...sealed, data: flip(sealed.data) }), /does not open/);
  keyError(() => s.open(A, { ...sealed, tag: "" }), /does not open/);
  keyError(() => s.open(B, sealed), /does not open/);
});

test("a key that is not 32 bytes is refused", () => {
  assert.throws(() => new PowerSecrets(randomBytes(16)));
});
