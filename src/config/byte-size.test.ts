import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { byteSize } from "./byte-size.js";
import { loadSettings } from "./load.js";

test("--asset-cache-size takes bytes with K, M, G, T suffixes (1024s), 4 GiB by default, 0 for off", () => {
  const size = (v?: string) =>
    byteSize(loadSettings(v === undefined ? [] : ["--asset-cache-size", v], {}).assetCacheSize);
  assert.equal(size(), 4 * 1024 ** 3);
  assert.equal(size("0"), 0);
  assert.equal(size("1048576"), 1024 ** 2);
  assert.equal(size("512M"), 512 * 1024 ** 2);
  assert.equal(size("2GiB"), 2 * 1024 ** 3);
  assert.equal(size("1TB"), 1024 ** 4);
  for (const bad of ["4 GB", "-1", "1.5G", "4X", "G"])
    assert.throws(
      () => size(bad),
      (err) => isEnforcerError(err, "ENF_ERR_SETTINGS_INVALID") && err.message.includes("--asset-cache-size"),
      bad,
    );
});
