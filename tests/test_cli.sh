#!/usr/bin/env bash
# End-to-end checks of the `popi` command line: help and exit codes, every malformed scenario
# (exit 2, message naming the key, no output file), unreadable inputs, unwritable output,
# --set overrides, byte-identical datasets with 1 and 2 threads, trace replay, and that the file
# reads with h5py alone; `popi feasibility` on the committed sets and on broken copies (exit 1)
# and bad input (exit 2); `popi console` session scripts (tests/console/), its TCP server on
# 127.0.0.1 with bounded waits, and kill -9 during a loop of mines. Prints "N passed, M failed"
# and exits non-zero on any failure.
set -u
POPI=$(readlink -f "$1")
SRC=$(cd "$2" && pwd)
TMP=$(mktemp -d /tmp/popi-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_exit() { # want cmd...
  local want=$1; shift
  "$@" >"$TMP/out.txt" 2>"$TMP/err.txt"
  local got=$?
  if [ "$got" -eq "$want" ]; then ok; else bad "exit $got (want $want): $* :: $(head -c 300 "$TMP/err.txt")"; fi
}
no_output() { # path
  if ls "$1" "$1".tmp.* >/dev/null 2>&1; then bad "output left behind: $(ls "$1"*)"; else ok; fi
}

# --- help and usage ---------------------------------------------------------------------------
expect_exit 0 "$POPI" --help
expect_exit 0 "$POPI" version
grep -q "popi-sim" "$TMP/out.txt" && ok || bad "version text"
expect_exit 0 "$POPI" run --help
grep -q -- "--threads" "$TMP/out.txt" && ok || bad "run --help lacks --threads"
expect_exit 0 "$POPI" params --help
expect_exit 0 "$POPI" version --help
expect_exit 0 "$POPI" params
for key in crowd.density radio.scan_interval_s mobility.stop_and_go.pause_alpha contact.range_m; do
  grep -q "$key" "$TMP/out.txt" && ok || bad "popi params lacks $key"
done
# the committed parameter documentation is exactly what `popi params` prints
cmp -s "$TMP/out.txt" "$SRC/docs/PARAMETERS.md" && ok || bad "docs/PARAMETERS.md is stale: regenerate with popi params > docs/PARAMETERS.md"
expect_exit 2 "$POPI"
expect_exit 2 "$POPI" frobnicate
expect_exit 2 "$POPI" run
expect_exit 2 "$POPI" run "$SRC/tests/scenarios/small.json"
expect_exit 2 "$POPI" run "$SRC/tests/scenarios/small.json" -o "$TMP/x.h5" --threads 0
no_output "$TMP/x.h5"

# --- every malformed scenario: exit 2, the key in the message, no output ------------------------
n_bad=0
while IFS=$'\t' read -r file key; do
  [ -z "$file" ] && continue
  case "$file" in \#*) continue ;; esac
  n_bad=$((n_bad + 1))
  out="$TMP/bad-$n_bad.h5"
  "$POPI" run "$SRC/tests/scenarios/bad/$file" -o "$out" >/dev/null 2>"$TMP/err.txt"
  rc=$?
  [ $rc -eq 2 ] && ok || bad "$file: exit $rc, want 2"
  grep -qF -- "$key" "$TMP/err.txt" && ok || bad "$file: message lacks '$key': $(cat "$TMP/err.txt")"
  no_output "$out"
done <"$SRC/tests/scenarios/bad/expect.tsv"
[ "$n_bad" -ge 15 ] && ok || bad "only $n_bad malformed scenarios"

# --- bad overrides and inputs --------------------------------------------------------------------
expect_exit 2 "$POPI" run "$SRC/tests/scenarios/small.json" -o "$TMP/s.h5" --set crowd.densty=0.2
grep -q "crowd.density" "$TMP/err.txt" && ok || bad "no suggestion for crowd.densty"
no_output "$TMP/s.h5"
expect_exit 2 "$POPI" run "$SRC/tests/scenarios/small.json" -o "$TMP/s.h5" --set contact.range_m=-1
grep -q "contact.range_m" "$TMP/err.txt" && ok || bad "range error lacks the key"
expect_exit 2 "$POPI" run "$TMP/missing.json" -o "$TMP/s.h5"
grep -q "missing.json" "$TMP/err.txt" && ok || bad "missing scenario not named"
cat >"$TMP/notrace.json" <<JSON
{ "trace": { "file": "does-not-exist.txt" } }
JSON
expect_exit 2 "$POPI" run "$TMP/notrace.json" -o "$TMP/t.h5"
grep -q "does-not-exist.txt" "$TMP/err.txt" && ok || bad "unreadable trace not named"
no_output "$TMP/t.h5"
printf '10 1 2\n30 1 x\n' >"$TMP/badtrace.txt"
cat >"$TMP/badtrace.json" <<JSON
{ "trace": { "file": "badtrace.txt" } }
JSON
expect_exit 2 "$POPI" run "$TMP/badtrace.json" -o "$TMP/t.h5"
grep -q "badtrace.txt:2:" "$TMP/err.txt" && ok || bad "bad trace line not named: $(cat "$TMP/err.txt")"
no_output "$TMP/t.h5"
cat >"$TMP/nomap.json" <<JSON
{ "world": { "map": "nope.txt" } }
JSON
expect_exit 2 "$POPI" run "$TMP/nomap.json" -o "$TMP/m.h5"
grep -q "nope.txt" "$TMP/err.txt" && ok || bad "missing map not named"
no_output "$TMP/m.h5"
# output folder missing: exit 3, nothing written
expect_exit 3 "$POPI" run "$SRC/tests/scenarios/small.json" -q -o "$TMP/no/such/dir/o.h5" --set run.duration_s=60
grep -q "no/such/dir" "$TMP/err.txt" && ok || bad "unwritable output not named"
# a full disk: a 200 kB tmpfs (needs root; skipped with a notice otherwise)
mkdir -p "$TMP/full"
if mount -t tmpfs -o size=200k tmpfs "$TMP/full" 2>/dev/null; then
  expect_exit 3 "$POPI" run "$SRC/tests/scenarios/small.json" -q -o "$TMP/full/o.h5"
  grep -qi "disk full\|cannot" "$TMP/err.txt" && ok || bad "full disk message: $(cat "$TMP/err.txt")"
  no_output "$TMP/full/o.h5"
  umount "$TMP/full"
else
  echo "notice: cannot mount a tmpfs here; the full-disk check did not run"
fi

# --- a real run, twice, with 1 and 2 threads ------------------------------------------------------
expect_exit 0 "$POPI" run "$SRC/tests/scenarios/small.json" -o "$TMP/a.h5" --threads 1
grep -q "detected contacts" "$TMP/out.txt" && ok || bad "summary lacks contacts"
grep -q "peak memory" "$TMP/out.txt" && ok || bad "summary lacks peak memory"
expect_exit 0 "$POPI" run "$SRC/tests/scenarios/small.json" -o "$TMP/b.h5" --threads 2 -q
[ ! -s "$TMP/out.txt" ] && ok || bad "-q still printed"
for ds in /contacts/events /contacts/proximity /contacts/per_agent /contacts/cumulative /contacts/durations /contacts/fit; do
  h5dump -d "$ds" "$TMP/a.h5" >"$TMP/da.txt" 2>&1
  h5dump -d "$ds" "$TMP/b.h5" >"$TMP/db.txt" 2>&1
  sed -i 1d "$TMP/da.txt" "$TMP/db.txt" # the first line names the file
  if cmp -s "$TMP/da.txt" "$TMP/db.txt" && grep -q DATASET "$TMP/da.txt"; then ok; else bad "$ds differs between 1 and 2 threads"; fi
done
h5diff -c "$TMP/a.h5" "$TMP/b.h5" /contacts /contacts >"$TMP/diff.txt" 2>&1 && ok || bad "h5diff /contacts: $(head -5 "$TMP/diff.txt")"
# --set overrides land in the stored scenario
expect_exit 0 "$POPI" run "$SRC/tests/scenarios/small.json" -q -o "$TMP/c.h5" --seed 99 --set crowd.agents=40 --set run.duration_s=120
h5dump -a /agents "$TMP/c.h5" | grep -q "(0): 40" && ok || bad "--set crowd.agents not applied"
h5dump -a /seed "$TMP/c.h5" | grep -q "(0): 99" && ok || bad "--seed not applied"

# --- a network run (consensus.engine = pow) ------------------------------------------------------
expect_exit 0 "$POPI" run "$SRC/tests/scenarios/net-small.json" -o "$TMP/n1.h5" --threads 1
grep -qE "blocks produced +40 " "$TMP/out.txt" && ok || bad "network run: $(head -5 "$TMP/out.txt")"
grep -q "stale rate" "$TMP/out.txt" && ok || bad "network summary lacks the stale rate"
expect_exit 0 "$POPI" run "$SRC/tests/scenarios/net-small.json" -o "$TMP/n2.h5" --threads 2 -q
for ds in /chain/blocks /chain/intervals /nodes /summary; do
  h5dump -d "$ds" "$TMP/n1.h5" >"$TMP/da.txt" 2>&1
  h5dump -d "$ds" "$TMP/n2.h5" >"$TMP/db.txt" 2>&1
  sed -i 1d "$TMP/da.txt" "$TMP/db.txt"
  if cmp -s "$TMP/da.txt" "$TMP/db.txt" && grep -q DATASET "$TMP/da.txt"; then ok; else bad "$ds differs between two runs"; fi
done
h5dump -a "/chain/blocks/t50_s.unit" "$TMP/n1.h5" | grep -q '"s"' && ok || bad "/chain/blocks lacks units"
for kv in consensus.engine=pos net.topology=ring net.loss=1 net.nodes=0 pow.retarget_interval=1 \
          gossip.fanout=-1 energy.radio=5g "net.partition_fraction=0.5"; do
  expect_exit 2 "$POPI" run "$SRC/tests/scenarios/net-small.json" -o "$TMP/nbad.h5" --set "$kv"
  key=${kv%%=*}
  grep -q "$key" "$TMP/err.txt" && ok || bad "error for $kv does not name $key: $(cat "$TMP/err.txt")"
  no_output "$TMP/nbad.h5"
done

# --- trace replay ---------------------------------------------------------------------------------
expect_exit 0 "$POPI" run "$SRC/tests/scenarios/sfhh.json" -o "$TMP/sfhh.h5"
grep -qE "agents +403" "$TMP/out.txt" && ok || bad "SFHH replay: $(head -3 "$TMP/out.txt")"

# --- readable by h5py alone -----------------------------------------------------------------------
if /usr/bin/python3 -c "import h5py" 2>/dev/null; then
  /usr/bin/python3 - "$TMP/a.h5" <<'PY' && ok || bad "h5py could not read the file"
import json, sys, h5py
f = h5py.File(sys.argv[1], "r")
ev = f["/contacts/events"]
assert set(ev.dtype.names) >= {"t_start", "t_end", "i", "j", "rssi_dbm"}, ev.dtype.names
assert ev.attrs["t_start.unit"] in (b"s", "s")
assert len(ev) > 0 and (ev["t_end"] >= ev["t_start"]).all() and (ev["i"] < ev["j"]).all()
pa = f["/contacts/per_agent"]
assert len(pa) == 90 and pa["events"].sum() == 2 * len(ev)
sc = json.loads(f.attrs["scenario"])
assert sc["crowd"]["agents"] == 90 and int(f.attrs["seed"]) == 7
cum = f["/contacts/cumulative"]
assert cum["total"][-1] == len(ev)
fit = f["/contacts/fit"]
assert len(fit) == 2
PY
else
  bad "python3-h5py missing (scripts/install-deps.sh installs it)"
fi

# --- feasibility: the seed's evaluations as data --------------------------------------------------
expect_exit 0 "$POPI" feasibility --help
expect_exit 0 "$POPI" feasibility --data "$SRC/data/feasibility"
[ "$(grep -cE '^(detection|transactions)/[0-9]+ +pass ' "$TMP/out.txt")" -eq 20 ] && ok || bad "feasibility: not 20 passing rows: $(cat "$TMP/out.txt")"
grep -q "^20 sets: 20 passed, 0 failed" "$TMP/out.txt" && ok || bad "feasibility summary line"
expect_exit 0 "$POPI" feasibility --detection --data "$SRC/data/feasibility"
[ "$(grep -cE '^detection/' "$TMP/out.txt")" -eq 10 ] && ! grep -q '^transactions/' "$TMP/out.txt" && ok || bad "--detection ran other sets"
expect_exit 0 "$POPI" feasibility --transactions --data "$SRC/data/feasibility"
[ "$(grep -cE '^transactions/[0-9]+ +pass ' "$TMP/out.txt")" -eq 10 ] && ok || bad "--transactions rows"
# a provoked failure: a copied set whose expected.tsv misses a planted anomaly, another expecting too much
mkdir -p "$TMP/feas/detection" "$TMP/feas/transactions"
cp -r "$SRC/data/feasibility/detection/03" "$TMP/feas/detection/03"
cp -r "$SRC/data/feasibility/detection/05" "$TMP/feas/detection/05"
cp -r "$SRC/data/feasibility/transactions/05" "$TMP/feas/transactions/05"
expect_exit 0 "$POPI" feasibility --data "$TMP/feas"
sed -i '$d' "$TMP/feas/detection/03/expected.tsv"                       # forget one finding
printf '9\ttx\tSIG\t1\n' >>"$TMP/feas/detection/05/expected.tsv"        # expect one that is not there
expect_exit 1 "$POPI" feasibility --data "$TMP/feas"
grep -qE '^detection/03 +FAIL' "$TMP/out.txt" && grep -q "not expected: height 10 tx DOUBLE_SPEND" "$TMP/out.txt" && ok || bad "missing row not reported: $(cat "$TMP/out.txt")"
grep -qE '^detection/05 +FAIL' "$TMP/out.txt" && grep -q "missing (expected.tsv line 5): height 9 tx SIG tx 1" "$TMP/out.txt" && ok || bad "extra row not reported: $(cat "$TMP/out.txt")"
grep -qE '^transactions/05 +pass' "$TMP/out.txt" && grep -q "3 sets: 1 passed, 2 failed" "$TMP/out.txt" && ok || bad "feasibility failure summary"
# a transaction set whose expected balance is wrong fails too
sed -i 's/^expect-balance bob 15$/expect-balance bob 16/' "$TMP/feas/transactions/05/workload.txt"
expect_exit 1 "$POPI" feasibility --transactions --data "$TMP/feas"
grep -q "balance of bob is 15.00000000, expected 16.00000000" "$TMP/out.txt" && ok || bad "wrong balance not reported"
# a stale chain file (script edited, chain not rebuilt) fails; --write-chains repairs it
cp "$SRC/data/feasibility/detection/03/expected.tsv" "$TMP/feas/detection/03/expected.tsv"
rm -rf "$TMP/feas/detection/05" "$TMP/feas/transactions"
echo "block by dave" >>"$TMP/feas/detection/03/chain.txt"
expect_exit 1 "$POPI" feasibility --detection --data "$TMP/feas"
grep -q "is not what chain.txt builds" "$TMP/out.txt" && ok || bad "stale chain not reported"
expect_exit 0 "$POPI" feasibility --detection --write-chains --data "$TMP/feas"
# bad input: exit 2
expect_exit 2 "$POPI" feasibility --data "$TMP/no-such-folder"
grep -q "no-such-folder" "$TMP/err.txt" && ok || bad "missing data folder not named"
expect_exit 2 "$POPI" feasibility --frobnicate
expect_exit 2 "$POPI" feasibility extra-argument
printf '9\tblok\tSIG\t1\n' >"$TMP/feas/detection/03/expected.tsv"
expect_exit 2 "$POPI" feasibility --detection --data "$TMP/feas"
grep -q "expected.tsv:1:" "$TMP/out.txt" && ok || bad "malformed expected.tsv not named: $(cat "$TMP/out.txt")"

# --- console: session scripts, TCP, crash safety ---------------------------------------------------
expect_exit 0 "$POPI" console --help
mkdir -p "$TMP/con"
n_scripts=0
for script in "$SRC"/tests/console/*.txt; do
  name=$(basename "$script" .txt)
  args=$(head -1 "$script" | sed -e 's/^#! //' -e "s|@TMP@|$TMP/con|g" -e "s|@SRC@|$SRC|g")
  # shellcheck disable=SC2086
  sed -e "s|@TMP@|$TMP/con|g" -e "s|@SRC@|$SRC|g" "$script" | "$POPI" console $args 2>"$TMP/err.txt" |
    sed -e "s|$TMP/con|@TMP@|g" -e "s|$SRC|@SRC@|g" >"$TMP/con/$name.out"
  if cmp -s "$TMP/con/$name.out" "$SRC/tests/console/$name.expected"; then ok; else
    bad "console script $name: $(diff "$SRC/tests/console/$name.expected" "$TMP/con/$name.out" | head -10)"; fi
  n_scripts=$((n_scripts + 1))
done
[ "$n_scripts" -ge 5 ] && ok || bad "only $n_scripts console scripts"
expect_exit 2 "$POPI" console --listen 0.0.0.0:0
grep -q "loopback" "$TMP/err.txt" && ok || bad "non-loopback address not refused: $(cat "$TMP/err.txt")"
expect_exit 2 "$POPI" console --listen 192.168.1.1:4000
expect_exit 2 "$POPI" console --listen 127.0.0.1:99999
expect_exit 2 "$POPI" console --listen 127.0.0.1
expect_exit 2 "$POPI" console --max-clients 2
expect_exit 2 "$POPI" console --key k --key-name alice
expect_exit 2 "$POPI" console --clock yesterday
cp "$SRC/data/feasibility/detection/04/chain.popichain" "$TMP/con/bad.popichain"
expect_exit 2 "$POPI" console --chain "$TMP/con/bad.popichain" </dev/null
grep -q "refusing to overwrite" "$TMP/err.txt" && ok || bad "invalid chain file accepted"
cmp -s "$SRC/data/feasibility/detection/04/chain.popichain" "$TMP/con/bad.popichain" && ok || bad "invalid chain file was modified"
# TCP: two clients, one after the other, on a port the console picks; bounded waits throughout
"$POPI" console --listen 127.0.0.1:0 --max-clients 2 --key-name alice --clock 1700000000 \
  --chain "$TMP/con/tcp.popichain" >"$TMP/con/listen.txt" 2>&1 </dev/null &
server=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/con/listen.txt")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -n "$port" ]; then
  ok
  timeout 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'getinfo\r\nmine 4\nmine 4\nbogus\nquit\n' >&3; cat <&3" >"$TMP/con/c1.txt" 2>&1
  grep -q "^popi console ready" "$TMP/con/c1.txt" && grep -q "^mined block 1 " "$TMP/con/c1.txt" &&
    grep -q "^error: unknown command 'bogus'" "$TMP/con/c1.txt" && grep -q "^bye$" "$TMP/con/c1.txt" && ok ||
    bad "TCP client 1: $(cat "$TMP/con/c1.txt")"
  timeout 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'getinfo\nquit\n' >&3; cat <&3" >"$TMP/con/c2.txt" 2>&1
  grep -q "^height 1$" "$TMP/con/c2.txt" && ok || bad "TCP client 2 (state kept across clients): $(cat "$TMP/con/c2.txt")"
else
  bad "console --listen did not report its port: $(cat "$TMP/con/listen.txt")"
fi
for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server" 2>/dev/null; then bad "console --listen did not stop after --max-clients"; kill "$server"; else ok; fi
wait "$server" && ok || bad "console --listen exit status"
printf 'getinfo\n' | "$POPI" console --chain "$TMP/con/tcp.popichain" | grep -q "^height 1$" && ok || bad "TCP session's chain not saved"
# kill -9 during a loop of mines: the chain file is always a complete, valid chain (old or new)
chain="$TMP/con/crash.popichain"
last=-1
for delay in 0.2 0.35 0.5 0.65; do
  yes 'mine 10' | head -n 5000 >"$TMP/con/mines.txt"
  "$POPI" console --key-name alice --chain "$chain" <"$TMP/con/mines.txt" >/dev/null 2>&1 &
  victim=$!
  sleep "$delay"
  kill -9 "$victim" 2>/dev/null
  wait "$victim" 2>/dev/null
  printf 'getinfo\nverify\n' | "$POPI" console --chain "$chain" >"$TMP/con/after.txt" 2>"$TMP/err.txt"
  h=$(sed -n 's/^height \(-\{0,1\}[0-9]*\)$/\1/p' "$TMP/con/after.txt")
  if [ -n "$h" ] && [ "$h" -ge "$last" ] && grep -q " 0 findings$" "$TMP/con/after.txt"; then ok; else
    bad "after kill -9 at ${delay}s: $(cat "$TMP/con/after.txt" "$TMP/err.txt" | head -5)"; fi
  last=${h:-$last}
done
[ "$last" -ge 1 ] && ok || bad "the killed consoles mined nothing (height $last)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
