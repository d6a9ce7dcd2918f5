"""Levenshtein distance between two strings (insertions, deletions, substitutions).

One place for the address check's fuzzy match (``ocr.pipeline.postal``) and the character
accuracy of the text-recogniser benchmarks (``scripts/eval_kana.py``, ``train_kana.py``,
``eval_postal_check.py``).
"""

from __future__ import annotations


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]
