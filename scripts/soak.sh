#!/usr/bin/env bash
# Runs the exactly-once crash test RUNS times in a row (default 10); stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
start=$SECONDS
for i in $(seq 1 "$runs"); do
  t0=$SECONDS
  EXACTLY_ONCE=1 npx ava test/integration/exactly-once.test.ts --verbose
  echo "soak: run $i of $runs passed in $((SECONDS - t0)) s"
done
echo "soak: $runs of $runs runs passed in $((SECONDS - start)) s"
