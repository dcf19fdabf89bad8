#!/usr/bin/env bash
# The one test command (README, .ci/run): type-check, lint (eslint.config.js: promise rules and the
# direction of the layers), then every test file on node's own runner.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/temporal-env.sh
npx tsc --noEmit
npx eslint .
shopt -s globstar nullglob
files=(test/**/*.test.ts)
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 "$@" "${files[@]}"
