#!/usr/bin/env bash
# Benchmarks (not tests): run each workload N times (default 3) and report medians of CPU time,
# wall time and peak RSS (GNU time), with contacts and throughput. Usage:
#   bench/run.sh [workload.json ...]      (default: B1 at 1,000 and 5,000 agents and 10k in 1 km^2)
#   RUNS=5 THREADS=2 bench/run.sh bench/b1-one-rwp5000.json
#   bench/run.sh bench/b2-simblock.json      (network workloads: events and events per CPU s)
# Results are appended to bench/results/<date>.tsv (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
POPI=${POPI:-build/popi}
RUNS=${RUNS:-3}
THREADS=${THREADS:-1}
[ -x "$POPI" ] || { echo "build first: make build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package 'time')" >&2; exit 1; }
if [ $# -eq 0 ]; then set -- bench/b1-one-rwp1000.json bench/b1-one-rwp5000.json bench/b1-one-10k-1km.json; fi
mkdir -p bench/results
log=bench/results/$(date +%Y%m%d-%H%M%S).tsv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf 'workload\tthreads\truns\tcpu_s\twall_s\tpeak_rss_mb\tcontacts\tcontacts_per_cpu_s\tagent_steps_per_cpu_s\n' | tee "$log"
for w in "$@"; do
  : >"$tmp/cpu"; : >"$tmp/wall"; : >"$tmp/rss"
  for k in $(seq "$RUNS"); do
    /usr/bin/time -v "$POPI" run "$w" -o "$tmp/out.h5" --threads "$THREADS" >"$tmp/stdout" 2>"$tmp/time"
    awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$tmp/time" >>"$tmp/cpu"
    awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2, p, ":"); w=0; for (i=1;i<=n;i++) w = w*60 + p[i]; print w}' "$tmp/time" >>"$tmp/wall"
    awk -F': ' '/Maximum resident/ {print $2 / 1024}' "$tmp/time" >>"$tmp/rss"
  done
  if grep -q "summary (network)" "$tmp/stdout"; then
    # network workloads (B2): events instead of contacts, nodes x simulated seconds per CPU s
    events=$(awk '/event-queue events/ {print $3}' "$tmp/stdout")
    nodes=$(awk '$1 == "nodes" {print $2}' "$tmp/stdout")
    simt=$(awk '/simulated time/ {print $3}' "$tmp/stdout")
    cpu=$(median <"$tmp/cpu"); wall=$(median <"$tmp/wall"); rss=$(median <"$tmp/rss")
    printf '%s\t%s\t%s\t%.2f\t%.2f\t%.0f\tevents %s\t%.3g\tnodes %s, blocks %s\n' "$(basename "$w" .json)" "$THREADS" "$RUNS" \
      "$cpu" "$wall" "$rss" "$events" "$(awk -v a="$events" -v b="$cpu" 'BEGIN {print a / b}')" \
      "$nodes" "$(awk '/blocks produced/ {print $3}' "$tmp/stdout")" | tee -a "$log"
    continue
  fi
  contacts=$(awk '/proximity intervals/ {print $3}' "$tmp/stdout")
  agents=$(awk '$1 == "agents" {print $2}' "$tmp/stdout")
  simt=$(awk '/simulated time/ {print $3}' "$tmp/stdout")
  cpu=$(median <"$tmp/cpu"); wall=$(median <"$tmp/wall"); rss=$(median <"$tmp/rss")
  printf '%s\t%s\t%s\t%.2f\t%.2f\t%.0f\t%s\t%.3g\t%.3g\n' "$(basename "$w" .json)" "$THREADS" "$RUNS" \
    "$cpu" "$wall" "$rss" "$contacts" "$(awk -v a="$contacts" -v b="$cpu" 'BEGIN {print a / b}')" \
    "$(awk -v n="$agents" -v t="$simt" -v c="$cpu" 'BEGIN {print n * t / c}')" | tee -a "$log"
done
