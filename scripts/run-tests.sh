#!/usr/bin/env bash
# Runs the test files: most of them two at a time, then the ones that drive a real browser (and
# the shaped link) one at a time, so their latency and frame-rate assertions do not share the two
# cores with encoder-heavy tests.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
alone=(test/stream-e2e-*.test.ts test/stream-abr-real.test.ts)
rest=()
for f in test/**/*.test.ts; do
  case " ${alone[*]} " in *" $f "*) ;; *) rest+=("$f") ;; esac
done
node --test --test-concurrency=2 "${rest[@]}"
node --test --test-concurrency=1 "${alone[@]}"
