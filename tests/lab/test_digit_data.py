"""The handwritten-digit data: one split, writer blocks kept apart."""

from __future__ import annotations

import numpy as np

from lab import digit_data as dd


def test_splits_keep_semeion_writer_blocks_apart() -> None:
    _, _, blocks = dd._semeion()
    train = set(blocks[dd._semeion_split_mask("train")])
    calib = set(blocks[dd._semeion_split_mask("calib")])
    ev = set(blocks[dd._semeion_split_mask("eval")])
    assert train and calib and ev
    assert not (train & ev) and not (train & calib) and not (calib & ev)
    x, y = dd.load_split("eval", "mnist")
    assert x.shape == (1000, 28, 28) and x.dtype == np.uint8 and len(y) == 1000
