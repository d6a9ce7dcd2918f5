"""Digit-cell readings written as text, for tests of comb assembly ("12_4": "_" = empty)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    digit: str | None
    confidence: float = 0.99
    probs: tuple[float, ...] = ()


def cells_of(text: str, confidence: float = 0.99) -> list[Cell]:
    """ "12_4" -> digit cells, "_" = empty."""
    out = []
    for ch in text:
        if ch == "_":
            out.append(Cell(None, confidence))
        else:
            probs = tuple(confidence if k == int(ch) else (1 - confidence) / 9 for k in range(10))
            out.append(Cell(ch, confidence, probs))
    return out
