#!/usr/bin/env bash
# Instructions per operation, counted by callgrind, for kql and for sqlparser-rs parsing the
# same text, in the same run (README, Performance). Instruction counts barely move with machine
# load, unlike wall-clock time.
#
#   bash benches/icount.sh                 # every query of the benchmark
#   bash benches/icount.sh spec_kql_leads  # some of them
#
# For each query and operation it runs the benchmark binary under callgrind twice, making 1
# and N calls (KQL_BENCH_PROFILE=<query>:<op>:<calls>, see benches/translate.rs), and reports
# the difference divided by N - 1: the cost of one call, without the start-up. Then it checks
# the floors of issue 11 (sqlparser parse / kql translate). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "icount: valgrind is not installed" >&2; exit 1; }
bin=$(cargo bench --bench translate --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*deps/translate-[^"]*"' | tail -1 | cut -d'"' -f4)
queries=${*:-spec_dql_account spec_dql_lead spec_dql_opportunity spec_kql_accounts spec_kql_leads q4_50_predicates in_1000 in_10000 in_100000}

# instructions for <query> <op> <calls>
ir() {
  KQL_BENCH_PROFILE="$1:$2:$3" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$bin" --bench "$1" 2>&1 | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*'
}
per_call() { # <query> <op> <calls>
  local a b
  a=$(ir "$1" "$2" 1); b=$(ir "$1" "$2" "$3")
  echo $(((b - a) / ($3 - 1)))
}

printf '| query | op | kql instructions | sqlparser parse | ratio | floor | |\n|---|---|---:|---:|---:|---:|---|\n'
fails=0
for q in $queries; do
  case $q in
    spec_dql*) ops="parse dynamics"; floor=8 ;;
    spec_*) ops="parse salesforce dynamics sugarcrm"; floor=8 ;;
    q4_*) ops="parse salesforce dynamics sugarcrm"; floor=6 ;;
    *) ops="parse salesforce dynamics sugarcrm"; floor=12 ;;
  esac
  n=11
  case $q in in_100000) n=2 ;; in_10000) n=3 ;; esac
  sp=$(per_call "$q" sqlparser "$n")
  for op in $ops; do
    k=$(per_call "$q" "$op" "$n")
    ratio=$(echo "scale=2; $sp / $k" | bc)
    verdict=""
    if [ "$op" != parse ]; then
      if [ "$(echo "$ratio >= $floor" | bc)" = 1 ]; then verdict=met; else verdict="NOT MET"; fails=$((fails + 1)); fi
    fi
    printf '| %s | %s | %d | %d | %sx | %s | %s |\n' "$q" "$op" "$k" "$sp" "$ratio" \
      "$([ "$op" = parse ] || echo "${floor}x")" "$verdict"
  done
done
echo
echo "floors not met: $fails"
