#!/usr/bin/env bash
# A longer soak of the deterministic simulation: many seeds, every fault, one simulated hour each.
# A failing seed is printed with the command that reproduces it.
#   bash scripts/soak.sh [first-seed] [count] [duration]
set -euo pipefail
cd "$(dirname "$0")/.."
first=${1:-1}
count=${2:-20}
duration=${3:-1h}
failed=0
for ((seed = first; seed < first + count; seed++)); do
  if out=$(node bin/kastor.mjs simulate all --seed "$seed" --duration "$duration" --faults all 2>&1); then
    echo "seed $seed ok: $(grep -E 'wall' <<<"$out")"
  else
    failed=$((failed + 1))
    echo "seed $seed FAILED — reproduce: node bin/kastor.mjs simulate all --seed $seed --duration $duration --faults all"
    grep -E 'BROKEN|Error' <<<"$out" || tail -5 <<<"$out"
  fi
done
echo "$((count - failed)) of $count seeds held every invariant"
[ "$failed" -eq 0 ]
