#!/usr/bin/env bash
# Session 5 quiet-window benchmarks for issue #12, run from a worktree at the final commit. Usage: quiet-bench.sh DIR OUT
set -uo pipefail
cd "$1"; out="$2"; mkdir -p "$out"
B="bin/hydragen bench --model synthetic:cpu-bench --batch 64 --new-tokens 32 --suffix-tokens 1 --cpu-dtype bf16"
J17=/usr/lib/jvm/java-17-openjdk-amd64; J25=/usr/lib/jvm/temurin-25-jdk-amd64
run() { local name="$1"; shift; echo "== $name load $(cut -d' ' -f1 /proc/loadavg) $(date +%T)"; "$@" --json "$out/$name.json" > "$out/$name.txt" 2>&1; echo "rc=$? $(grep -E 'hydragen |per-sequence|speedup|SGEMM|sgemm' "$out/$name.txt" | head -8 | tr '\n' ';')"; }
bin/hydragen --help > /dev/null 2>&1   # build once before timing anything
run s5-4k   $B --prefix-tokens 4096  --attention hydragen,per-sequence,per-sequence-shared-kv
JAVA_OPTS=-Dhydragen.bf16.split=none run s5-4k-none $B --prefix-tokens 4096 --attention hydragen
JAVA_OPTS=-Dhydragen.bf16.split=activations run s5-4k-act $B --prefix-tokens 4096 --attention hydragen
run s5-16k  $B --prefix-tokens 16384 --attention hydragen,per-sequence,per-sequence-shared-kv
JAVA_OPTS=-Dhydragen.bf16.split=none run s5-16k-none $B --prefix-tokens 16384 --attention hydragen
JAVA_OPTS=-Dhydragen.bf16.split=activations run s5-16k-act $B --prefix-tokens 16384 --attention hydragen
run s5-4k-auto2 $B --prefix-tokens 4096 --attention hydragen
JAVA_OPTS=-Dhydragen.bf16.split=none run s5-4k-none2 $B --prefix-tokens 4096 --attention hydragen
run s5-4k-t1 $B --prefix-tokens 4096 --attention hydragen --threads 1
run s5-4k-t2 $B --prefix-tokens 4096 --attention hydragen --threads 2
JAVA_HOME=$J25 run s5-4k-jdk25-a $B --prefix-tokens 4096 --attention hydragen
JAVA_HOME=$J17 run s5-4k-jdk17-a $B --prefix-tokens 4096 --attention hydragen
JAVA_HOME=$J25 run s5-4k-jdk25-b $B --prefix-tokens 4096 --attention hydragen
JAVA_HOME=$J17 run s5-4k-jdk17-b $B --prefix-tokens 4096 --attention hydragen
JAVA_OPTS=-Dhydragen.amx=false run s5-4k-noamx  $B --prefix-tokens 4096  --attention hydragen
JAVA_OPTS=-Dhydragen.amx=false run s5-16k-noamx $B --prefix-tokens 16384 --attention hydragen
JAVA_OPTS="-Dhydragen.amx=false -Dhydragen.bf16.split=none" run s5-4k-noamx-none $B --prefix-tokens 4096 --attention hydragen
JAVA_OPTS="-Dhydragen.amx=false -Dhydragen.bf16.split=none" run s5-16k-noamx-none $B --prefix-tokens 16384 --attention hydragen
run s5-4k-profile $B --prefix-tokens 4096 --attention hydragen --profile
run s5-16k-profile $B --prefix-tokens 16384 --attention hydragen --profile
echo "done $(date +%T)"
