#!/bin/sh
# `npm run test:unit`: fast feedback. Compiles src/ incrementally (no web build) and runs the unit tests under
# src/ (no peers, no QEMU). `npm test` stays the whole suite.
set -e
# The build info lives in dist/ so that emptying dist/ also forces a full compile.
npx tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.unit.tsbuildinfo
# tsc rewrites only the modules that changed; the bundle bin/enforcer.js prefers would then be stale in ways
# its freshness check cannot see, so it goes (bin/ runs dist/src until the next full build).
rm -rf dist/bundle
# A moved or deleted test leaves its old output in dist/ (only a full build empties it): run those with a source.
tests=$(find dist/src -name '*.test.js' | sort | while read -r f; do
  s="${f#dist/}"
  if [ -f "${s%.js}.ts" ]; then echo "$f"; fi
done)
# shellcheck disable=SC2086 # one argument per test file
exec node --test --test-concurrency=2 $tests
