import assert from "node:assert/strict";
import { test } from "node:test";
import { generatedFiles } from "./tftp.js";

test("boot.ipxe in the boot namespace is the general script for the current public URL and remotes", () => {
  const inputs = { self: "http://enf.test:8080", remotes: [] as string[] };
  const generated = generatedFiles(() => inputs);
  const first = generated("boot.ipxe")!.toString();
  assert.match(first, /^#!ipxe\n/);
  assert.match(first, /chain --autofree http:\/\/enf\.test:8080\/boot\/machine\?/);
  assert.doesNotMatch(first, /remote 1/);
  inputs.remotes = ["http://other:8080/"];
  assert.match(
    generated("boot.ipxe")!.toString(),
    /chain --autofree http:\/\/other:8080\/boot\/machine\?.*remote 1/,
  );
  assert.equal(generated("undionly.kpxe"), undefined);
});
