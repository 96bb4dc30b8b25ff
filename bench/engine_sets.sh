#!/usr/bin/env bash
# Issue 15's tuning set (seeds 1001-1040) and test set (seeds 2001-2016), byte for byte
# (docs/benchmarks/engine.md): `make engine-sets` or `bench/engine_sets.sh OUT_DIR [PYTHON]`.
set -euo pipefail
OUT=${1:-var/engine-sets}
PY=${2:-python}
KINDS=(rows grid pairs)
LOADS=(0.6 0.7 0.8 0.9 1.0 1.1 1.2 1.3 1.4 1.5)
gen() {  # set seed
  local set=$1 s=$2 extra=()
  local t=$(( 10 + (s * 37) % 71 )) z=$(( 1 + (s * 7) % 5 )) l=${LOADS[$(( (s * 3) % 10 ))]} k=${KINDS[$(( s % 3 ))]}
  [ $(( s % 8 )) -eq 5 ] && extra+=(--accessible-share 0.25)
  [ $(( s % 8 )) -eq 6 ] && extra+=(--big-party-factor 3)
  "$PY" manage.py generate_scenario --tables "$t" --zones "$z" --load "$l" --seed "$s" --adjacency "$k" \
    "${extra[@]}" --out "$OUT/$set/s$s.json" > /dev/null
}
# TUNING_SEEDS / TEST_SEEDS pick some days only (the tests do): "1001 1002"
for s in ${TUNING_SEEDS:-$(seq 1001 1040)}; do gen tuning "$s"; done
for s in ${TEST_SEEDS:-$(seq 2001 2016)}; do gen test "$s"; done
echo "tuning days in $OUT/tuning, test days in $OUT/test"
