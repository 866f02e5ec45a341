"""What Hugging Face transformers itself gives in bf16 on the reference checkpoints: the two figures of
Bf16ErrorBudgetTest, for the row "Hugging Face transformers, torch_dtype=bfloat16 (CPU)" of docs/benchmarks.md's
"BF16 error budget" table. The Java tests do not run this; its output is recorded there by hand.

Run from the repository root (needs torch and transformers):
    python gpu-engine/src/test/python/bf16_reference_error.py ../shared/models
(a third argument float32 runs the same in float32: the check that this script reproduces expected.json, error about
1e-5 and margin 0.)

For each reference checkpoint (../shared/models, see its README) the model is loaded with dtype=torch.bfloat16
(transformers 5's name for torch_dtype: weights, activations and the KV cache all in bf16), and for every prompt of
its expected.json (the input_ids stored there, as the engine's tokenizer also encodes them):
  - error: the largest |logit - expected| over the prompt's prefill_last_top10 ids at the last prompt position,
    against expected.json's float32 logits;
  - greedy: 24 steps of argmax over the whole vocabulary, no stop tokens, with transformers' own KV cache
    (past_key_values), as expected.json's greedy_ids were made.
"margin needed" as Bf16ReferenceRun.neededMargin defines it: per prompt, the least reference top-2 margin over the steps
up to its first greedy id that differs from expected.json (0 when none differs); the largest over the prompts.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM

MODELS = ["tiny-llama-bpe", "tiny-llama-sp"]
STEPS = 24


def greedy(model, ids):
    with torch.no_grad():
        out = model(torch.tensor([ids]), use_cache=True)
        past, logits = out.past_key_values, out.logits[0, -1]
        got = []
        for _ in range(STEPS):
            nxt = int(torch.argmax(logits))
            got.append(nxt)
            out = model(torch.tensor([[nxt]]), past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[0, -1]
    return got


def needed(want, margin, got):
    for t in range(len(want)):
        if got[t] != want[t]:
            return min(margin[: t + 1])
    return 0.0


def main(models_dir, dtype_name):
    dtype = getattr(torch, dtype_name)
    print("transformers %s, torch %s, dtype=torch.%s on the CPU, %d threads"
          % (__import__("transformers").__version__, torch.__version__, dtype_name, torch.get_num_threads()))
    row = []
    for name in MODELS:
        d = models_dir + "/" + name
        model = AutoModelForCausalLM.from_pretrained(d, dtype=dtype).eval()
        expected = json.load(open(d + "/expected.json"))
        error, need, steps, equal = 0.0, 0.0, 0, 0
        for prompts in expected["prompt_sets"].values():
            for p in prompts:
                ids = p["input_ids"]
                with torch.no_grad():
                    last = model(torch.tensor([ids])).logits[0, -1].float()
                top = p["prefill_last_top10"]
                for i, v in zip(top["ids"], top["logits"]):
                    error = max(error, abs(last[i].item() - v))
                got = greedy(model, ids)
                need = max(need, needed(p["greedy_ids"], p["greedy_top2_margin"], got))
                steps += len(got)
                equal += sum(1 for a, b in zip(got, p["greedy_ids"]) if a == b)
        print("%s: largest logit error vs transformers fp32 %.5f; greedy ids equal above margin %.3f; %d of %d greedy ids equal"
              % (name, error, need, equal, steps))
        row.append(" %.5f | %.3f" % (error, need))
    print("| Hugging Face transformers, torch_dtype=%s (CPU) |" % dtype_name + " |".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "bfloat16")
