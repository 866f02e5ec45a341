#!/usr/bin/env bash
# The same prompt table through the Spark batch job (local[2]) and through bin/hydragen generate, both with the
# continuous scheduler; prints each one's wall time and generated tokens/s, and their ratio (a ratio within one run:
# the two commands run one after the other, ROUNDS times, interleaved, so machine load hits both alike).
#
#   examples/bench/spark-vs-cli.sh [DOCS] [QUESTIONS] [NEW_TOKENS] [ROUNDS]     (defaults 4 32 32 1)
#
# DOCS documents of ~1000 characters, QUESTIONS rows each (a shared prefix per document), synthetic:cpu-bench,
# greedy, EOS ignored (every row generates exactly NEW_TOKENS), CPU backend, 2 threads, batch 64.
# Environment: MODEL (default synthetic:cpu-bench), SCHEDULER (default continuous), WORK (default a new temp dir).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
docs="${1:-4}" questions="${2:-32}" new_tokens="${3:-32}" rounds="${4:-1}"
model="${MODEL:-synthetic:cpu-bench}" scheduler="${SCHEDULER:-continuous}"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
table="$work/prompts.jsonl"

python3 - "$docs" "$questions" "$table" <<'PY'
import json, random, sys
docs, questions, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(20240207)
words = "river bridge market stone dawn mill church flood fire bakers hills town north grey old year".split()
with open(path, "w") as f:
    for d in range(docs):
        doc = f"Document {d}: " + " ".join(rnd.choice(words) for _ in range(160))[:1000] + "\n"
        for q in range(questions):
            f.write(json.dumps({"id": f"d{d}q{q}", "prompt": doc + f"Question {q}: what is word {rnd.randrange(100)}? Answer:"}) + "\n")
PY

common=(--model "$model" --max-new-tokens "$new_tokens" --ignore-eos --backend cpu --threads 2 --batch-size 64)
tokens() {  # generated tokens in JSONL output (a file, or a directory of part files)
  python3 - "$1" <<'PY'
import glob, json, os, sys
p = sys.argv[1]
files = [p] if os.path.isfile(p) else glob.glob(os.path.join(p, "part-*"))
n = rows = errors = 0
for fn in files:
    for line in open(fn):
        r = json.loads(line); rows += 1
        errors += r.get("error") is not None
        n += r.get("completion_tokens") or 0
print(n, rows, errors)
PY
}

# build both first (each script builds on first use or when sources changed), so no timed run includes a build
"$root/bin/hydragen" --version > /dev/null
"$root/bin/hydragen-batch" --version > /dev/null

printf '%-6s %-6s %8s %10s %12s\n' round path wall_s tokens tokens_per_s
cli_sum=0 spark_sum=0 cli_tok=0 spark_tok=0
for r in $(seq 1 "$rounds"); do
  t0=$(date +%s.%N)
  "$root/bin/hydragen" generate "${common[@]}" --scheduler "$scheduler" --input "$table" --output "$work/cli.jsonl" -q
  t1=$(date +%s.%N)
  "$root/bin/hydragen-batch" "${common[@]}" --master 'local[2]' --input "$table" --output "$work/spark" --format jsonl --overwrite \
      --scheduler "$scheduler" > "$work/spark.log" 2>&1
  t2=$(date +%s.%N)
  read -r ct crows cerr < <(tokens "$work/cli.jsonl")
  read -r st srows serr < <(tokens "$work/spark")
  [ "$crows" = "$srows" ] && [ "$cerr" = 0 ] && [ "$serr" = 0 ] || { echo "rows or errors differ: CLI $crows/$cerr, Spark $srows/$serr" >&2; exit 1; }
  cw=$(echo "$t1 - $t0" | bc -l) sw=$(echo "$t2 - $t1" | bc -l)
  printf '%-6s %-6s %8.1f %10d %12.1f\n' "$r" cli "$cw" "$ct" "$(echo "$ct / $cw" | bc -l)"
  printf '%-6s %-6s %8.1f %10d %12.1f\n' "$r" spark "$sw" "$st" "$(echo "$st / $sw" | bc -l)"
  cli_sum=$(echo "$cli_sum + $cw" | bc -l) spark_sum=$(echo "$spark_sum + $sw" | bc -l)
  cli_tok=$((cli_tok + ct)) spark_tok=$((spark_tok + st))
done
printf 'Spark / CLI throughput over all rounds (scheduler %s, %d rows): %.1f%%\n' "$scheduler" "$((docs * questions))" \
    "$(echo "100 * ($spark_tok / $spark_sum) / ($cli_tok / $cli_sum)" | bc -l)"
echo "table and outputs in $work" >&2
