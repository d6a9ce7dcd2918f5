"""The one small interface every recogniser sits behind.

An engine reads the fields of one aligned page and returns one ``Reading`` per field. Tests
swap in a fake engine (``FakeEngine``) where recognition is not what they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class FieldGeometry:
    """The parts of a FieldDefinition an engine needs (export JSON shape, pixels at dpi)."""

    key: str
    kind: str
    x: int
    y: int
    w: int
    h: int
    cells: int = 0
    options: tuple[dict, ...] = ()
    page: int = 1
    # A date field's window: how many days after today it may lie (None: the default).
    days_ahead: int | None = None

    @classmethod
    def from_dict(cls, data: dict) -> FieldGeometry:
        return cls(
            key=data["key"],
            kind=data["kind"],
            x=data["x"],
            y=data["y"],
            w=data["w"],
            h=data["h"],
            cells=data.get("cells", 0),
            options=tuple(data.get("options", ())),
            page=data.get("page", 1),
            days_ahead=data.get("days_ahead"),
        )


@dataclass(frozen=True)
class Reading:
    """What an engine read in one field.

    ``value`` is in the canonical format of the field's kind (see ocr/pipeline/validate.py);
    ``confidence`` is a calibrated probability that the whole value is right; comb fields also
    give one confidence per cell.
    """

    value: str
    confidence: float
    cell_confidences: tuple[float, ...] = ()
    engine: str = ""
    # Comb fields: the digit read in each cell, "" for an empty one (after any check-digit
    # repair, so that the cells spell the value).
    cell_values: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class PageImages:
    """An aligned page (BGR, reference size) and the blank reference it was aligned to."""

    aligned: np.ndarray
    reference: np.ndarray


class Engine(Protocol):
    name: str

    def read_page(self, page: PageImages, fields: list[FieldGeometry]) -> dict[str, Reading]:
        """Read every field of the page; fields this engine cannot read are left out."""
        ...


class FakeEngine:
    """Returns fixed readings: for tests about storage, routing, queues and permissions."""

    name = "fake"

    def __init__(self, readings: dict[str, Reading]) -> None:
        self.readings = readings

    def read_page(self, page: PageImages, fields: list[FieldGeometry]) -> dict[str, Reading]:
        return {f.key: self.readings[f.key] for f in fields if f.key in self.readings}
