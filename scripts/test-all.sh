#!/bin/sh
# `npm test`: the whole suite, in two passes. The emulated-CPU suites (arm64/armv7l under qemu-user, the
# podman image build) each keep a core busy for minutes; run beside a QEMU VM boot or a lab test they stretch
# that test's firmware timings past their limits on a 2-core machine. So everything else runs two files at a
# time first, then those alone, one at a time. Both passes always run; the exit code fails if either failed.
heavy='^dist/test/(arm64|container)/'
files=$(find dist/src dist/test -name '*.test.js' | sort)
# shellcheck disable=SC2046 # one argument per test file
node --test --test-concurrency=2 $(echo "$files" | grep -Ev "$heavy")
first=$?
second=0
alone=$(echo "$files" | grep -E "$heavy")
# (node --test with no file would search the whole tree and run everything again)
# shellcheck disable=SC2086
if [ -n "$alone" ]; then node --test --test-concurrency=1 $alone; second=$?; fi
[ "$first" -eq 0 ] && [ "$second" -eq 0 ]
