import assert from "node:assert/strict";
import { test } from "node:test";
import type { Uuid } from "./identity.js";
import { decideClaim, type IdentityOwners } from "./identity-claims.js";
import type { Mac } from "./mac.js";

const mac = (s: string) => s as Mac;
const owners = (macs: Record<string, string>, uuids: Record<string, string[]> = {}): IdentityOwners => ({
  mac: (m) => macs[m],
  uuid: (u) => uuids[u] ?? [],
  serial: () => [],
});

test("identities nobody holds, or the machine itself holds, are accepted", () => {
  const d = decideClaim(
    "a",
    { macs: [mac("a"), mac("x"), mac("x")], uuid: "u" as Uuid, serial: "s" },
    owners({ a: "a" }, { u: ["a"] }),
  );
  assert.deepEqual(d, { macs: ["a", "x"], uuid: "u", serial: "s", clashes: [] });
});

test("another machine's MAC or UUID is not accepted: each holder gets one clash with everything it holds", () => {
  const d = decideClaim(
    "a",
    { macs: [mac("a"), mac("b1"), mac("c"), mac("b2")], uuid: "ub" as Uuid },
    owners({ a: "a", b1: "b", b2: "b", c: "c" }, { ub: ["b", "a"] }),
  );
  assert.deepEqual(d.macs, ["a"]);
  assert.equal(d.uuid, undefined, "a UUID another machine also holds is not taken");
  assert.deepEqual(d.clashes, [
    {
      machine: "b",
      identities: [
        { kind: "mac", value: "b1" },
        { kind: "mac", value: "b2" },
        { kind: "uuid", value: "ub" },
      ],
    },
    { machine: "c", identities: [{ kind: "mac", value: "c" }] },
  ]);
});
