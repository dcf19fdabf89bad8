#!/usr/bin/env bash
# `npm run bench`: every benchmark under bench/ (speed and memory targets live here, never in tests).
# Each prints a table and writes its figures to bench/results/<name>.md (linked from the README).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/temporal-env.sh
mkdir -p bench/results
shopt -s nullglob
only="${1:-}"
for f in bench/*-bench.ts; do
  if [[ -n "$only" && "$f" != *"$only"* ]]; then continue; fi
  echo "== $f"
  node --import tsx --expose-gc "$f"
done
