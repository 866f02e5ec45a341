"""Reference log-probabilities for LogprobsReferenceTest and ScoreReferenceTest, made with Hugging Face transformers.

Run from the repository root (needs torch and transformers; the tests only read the JSON it writes):
    python gpu-engine/src/test/python/logprob_reference.py ../shared/models \
        gpu-engine/src/test/resources/io/hydragen/generate/logprob-reference.json

For each reference checkpoint (../shared/models, see its README) and each prompt of its expected.json:
  - prompt: log_softmax(model(input_ids).logits) in float32; entry p >= 1 is the log-probability of input_ids[p]
    at position p - 1, with the 5 most likely ids there (ids, logprobs);
  - completion: the same for the first 8 greedy ids of expected.json, teacher-forced after the prompt.
And for a few (prompt, candidates): each candidate's tokens found as lm-evaluation-harness does (encode
prompt + candidate; the tokens after the encoding of the prompt), their log-probability sum and whether each was the argmax.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODELS = ["tiny-llama-bpe", "tiny-llama-sp"]
TOP = 5
STEPS = 8
SCORING = [
    {"prompt": "Question: Is the sky blue?\nAnswer:", "candidates": [" yes", " no", " maybe not"]},
    {"prompt": "The capital of France is", "candidates": [" Paris", " Lyon", " a city on the Seine"]},
]


def entries(logprobs, ids, start):
    out = []
    for p in range(start, len(ids)):
        row = logprobs[p - 1]
        top = torch.topk(row, TOP)
        out.append({"id": ids[p], "logprob": row[ids[p]].item(), "argmax": bool(row[ids[p]] >= row.max()),
                    "top_ids": top.indices.tolist(), "top_logprobs": top.values.tolist()})
    return out


def main(models_dir, out_path):
    result = {"about": "transformers %s, torch %s, float32; see gpu-engine/src/test/python/logprob_reference.py"
                       % (__import__("transformers").__version__, torch.__version__)}
    for name in MODELS:
        d = models_dir + "/" + name
        model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
        tok = AutoTokenizer.from_pretrained(d)
        expected = json.load(open(d + "/expected.json"))
        sets = {}
        for set_name, prompts in expected["prompt_sets"].items():
            rows = []
            for p in prompts:
                ids = p["input_ids"] + p["greedy_ids"][:STEPS]
                with torch.no_grad():
                    lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
                n = len(p["input_ids"])
                rows.append({"text": p["text"], "prompt": entries(lp, ids[:n], 1), "completion": entries(lp, ids, n)})
            sets[set_name] = rows
        scores = []
        for case in SCORING:
            context = tok(case["prompt"])["input_ids"]
            cands = []
            for c in case["candidates"]:
                whole = tok(case["prompt"] + c)["input_ids"]
                assert whole[:len(context)] == context, (name, c)
                with torch.no_grad():
                    lp = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), dim=-1)
                e = entries(lp, whole, len(context))
                cands.append({"candidate": c, "logprob": sum(x["logprob"] for x in e), "tokens": len(e),
                              "greedy": all(x["argmax"] for x in e)})
            scores.append({"prompt": case["prompt"], "scores": cands})
        result[name] = {"prompt_sets": sets, "scoring": scores}
    json.dump(result, open(out_path, "w"), indent=None, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
