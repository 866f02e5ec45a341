#!/usr/bin/env python3
"""Trains byte-level BPE vocabularies of a realistic size for the constrained-decoding compile benchmark.

Realistic means what the mask walk sees: GPT-2/Llama-3-style byte-level BPE (ByteLevel pre-tokenizer and decoder),
trained with Hugging Face `tokenizers` (pip install tokenizers; 0.23 was used) on text that is on every machine of
the project: the JDK's Java sources (lib/src.zip), Python's standard library and /usr/share/doc. Code and English
dominate it, so it has fewer non-Latin tokens than Llama 3's vocabulary; token lengths and shared prefixes (what the
walk's cost depends on) are of the same kind.

    python3 docs/bench/train_bench_vocab.py OUT_DIR 32000 128000
writes OUT_DIR/bpe-32000/tokenizer.json and OUT_DIR/bpe-128000/tokenizer.json (loadable by TokenizerLoader).
"""
import glob
import io
import os
import sys
import zipfile

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

MAX_BYTES = 120 * 1024 * 1024


def corpus():
    """Yields text chunks, at most MAX_BYTES in all."""
    total = 0
    srcs = [p for p in sorted(glob.glob("/usr/lib/jvm/*/lib/src.zip")) if os.path.isfile(p)]
    for src in srcs[:1]:
        with zipfile.ZipFile(src) as z:
            for name in z.namelist():
                if name.endswith(".java"):
                    text = z.read(name).decode("utf-8", "replace")
                    total += len(text)
                    yield text
                    if total > MAX_BYTES // 2:
                        break
    for pattern in ("/usr/lib/python3*/**/*.py", "/usr/share/doc/**/*"):
        for path in sorted(glob.glob(pattern, recursive=True)):
            if not os.path.isfile(path) or path.endswith((".gz", ".png", ".jpg", ".svg")):
                continue
            try:
                with io.open(path, encoding="utf-8") as f:
                    text = f.read()
            except (UnicodeDecodeError, OSError):
                continue
            total += len(text)
            yield text
            if total > MAX_BYTES:
                return


def main():
    out = sys.argv[1]
    sizes = [int(s) for s in sys.argv[2:]] or [32000, 128000]
    texts = list(corpus())
    print(f"corpus: {len(texts)} files, {sum(map(len, texts)) / 1e6:.1f} M chars", flush=True)
    for size in sizes:
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=size, min_frequency=2, special_tokens=["<|endoftext|>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(texts, trainer=trainer)
        d = os.path.join(out, f"bpe-{size}")
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, "tokenizer.json"))
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            f.write('{"eos_token": "<|endoftext|>"}\n')
        print(f"{d}: vocabulary {tok.get_vocab_size()}", flush=True)


if __name__ == "__main__":
    main()
