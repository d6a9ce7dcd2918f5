"""Measuring the pipeline on generated forms with known truth.

The forms are drawn by the synthetic generator with real handwriting from a chosen split of
the digit data: ``calib`` to fit confidence calibration and choose thresholds, ``eval`` (writers
kept apart from training and calibration) to report. Every page goes the whole way: PNG bytes
-> ingest checks and decode -> alignment -> cells -> recognisers -> validation -> routing.
"""

from __future__ import annotations

import io
import multiprocessing
import random
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from forms_catalog.kinds import COMB_KINDS, FieldKind
from forms_catalog.layouts import STANDARD_LAYOUTS
from forms_catalog.models import FieldDefinition, FormType
from lab.synthetic.generator import generate_form
from ocr.intake import configured_limits
from ocr.pipeline.calibration import fit_platt
from ocr.pipeline.cells import Box, clean_crop
from ocr.pipeline.engines.base import FieldGeometry, PageImages, Reading
from ocr.pipeline.engines.tesseract import tesseract_digits
from ocr.pipeline.ingest import inspect, iter_pages
from ocr.pipeline.read import MARK_KINDS, PageReader, default_digits
from ocr.pipeline.validate import normalize
from ocr.reading import Judgement, ScanReading, judge, read_scan
from ocr.storage import decode_image, encode_page

# Residual error (auto-accepted but wrong) allowed per kind when thresholds are chosen.
# My Number: at most 0.1 % (issue 13): a wrong number files a tax record under someone else.
TARGET_ERROR: dict[str, float] = {FieldKind.MYNUMBER: 0.001, FieldKind.CORPORATE_NUMBER: 0.005}
DEFAULT_TARGET_ERROR = 0.01


@dataclass
class FieldResult:
    form: str
    key: str
    kind: str
    truth: str
    value: str
    raw_confidence: float
    confidence: float
    valid: bool
    auto_accepted: bool

    @property
    def correct(self) -> bool:
        return self.value == self.truth


@dataclass
class RunResult:
    fields: list[FieldResult] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    unaligned: int = 0
    baseline: dict[str, list[bool]] = field(default_factory=dict)
    cells: dict[str, list[int]] = field(default_factory=dict)
    baseline_cells: dict[str, list[int]] = field(default_factory=dict)
    stages: StageClock = field(default_factory=lambda: StageClock())
    peak_rss_kb: list[int] = field(default_factory=list)  # one per reading process

    def merge(self, other: RunResult) -> None:
        self.fields += other.fields
        self.pages += other.pages
        self.seconds += other.seconds
        self.unaligned += other.unaligned
        self.stages.merge(other.stages)
        self.peak_rss_kb += other.peak_rss_kb
        for kind, hits in other.baseline.items():
            self.baseline.setdefault(kind, []).extend(hits)
        for mine, theirs in (
            (self.cells, other.cells),
            (self.baseline_cells, other.baseline_cells),
        ):
            for kind, (right, total) in theirs.items():
                counts = mine.setdefault(kind, [0, 0])
                counts[0] += right
                counts[1] += total


# Stages as timed; "align" and "cells" are derived (see StageClock.table).
MEASURED_STAGES = ("ingest", "store", "scan", "read", "comb", "digits", "text", "marks", "judge")
REPORTED_STAGES = ("ingest", "store", "align", "cells", "digits", "text", "marks", "judge")


class StageClock:
    """CPU seconds (``time.process_time``) and wall seconds per pipeline stage, over pages.

    CPU time is what a stage costs whatever else runs on the machine; wall time on a shared
    machine is not. Nested stages are timed inside their parents: ``scan`` is ``read_scan``
    (alignment and reading), ``read`` the recognition step within it, ``comb`` / ``text`` /
    ``marks`` its fields by kind, and ``digits`` the digit recogniser within ``comb``.
    ``table`` derives alignment (scan minus read) and the cutting and cleaning of the comb
    cells (comb minus digits).
    """

    def __init__(self) -> None:
        self.cpu: dict[str, float] = dict.fromkeys(MEASURED_STAGES, 0.0)
        self.wall: dict[str, float] = dict.fromkeys(MEASURED_STAGES, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.cpu[name] += time.process_time() - cpu
            self.wall[name] += time.perf_counter() - wall

    def merge(self, other: StageClock) -> None:
        for name in MEASURED_STAGES:
            self.cpu[name] += other.cpu[name]
            self.wall[name] += other.wall[name]

    def table(self, pages: int) -> dict[str, dict[str, float]]:
        """Per reported stage and in total: CPU and wall milliseconds per page."""
        rows: dict[str, dict[str, float]] = {}
        for clock, key in ((self.cpu, "cpu_ms"), (self.wall, "wall_ms")):
            derived = {
                **clock,
                "align": clock["scan"] - clock["read"],
                "cells": clock["comb"] - clock["digits"],
            }
            derived["total"] = sum(derived[name] for name in REPORTED_STAGES)
            for name in (*REPORTED_STAGES, "total"):
                rows.setdefault(name, {})[key] = 1000.0 * derived[name] / max(pages, 1)
        return rows


class _TimedDigits:
    """The digit recogniser, its ``read_cells`` timed as the ``digits`` stage."""

    def __init__(self, inner: Any, clock: StageClock) -> None:
        self.inner, self.clock = inner, clock

    def read_cells(self, crops: list[Any]) -> Any:
        with self.clock.stage("digits"):
            return self.inner.read_cells(crops)


class _TimedReader(PageReader):
    """The production ``PageReader``, timed: the whole step, and its fields by kind.

    ``read_page`` dispatches by kind (all comb fields in one batch, text fields to the text
    engines, marks to the mark engine), so reading the page's comb, text and mark fields in
    three calls reads them exactly as one call does.
    """

    def __init__(self, clock: StageClock) -> None:
        super().__init__(digits=_TimedDigits(default_digits(), clock))
        self.clock = clock

    def read_page(self, page: PageImages, fields: list[FieldGeometry]) -> dict[str, Reading]:
        groups: dict[str, list[FieldGeometry]] = {"comb": [], "text": [], "marks": []}
        for f in fields:
            kind = "comb" if f.kind in COMB_KINDS else "marks" if f.kind in MARK_KINDS else "text"
            groups[kind].append(f)
        out: dict[str, Reading] = {}
        with self.clock.stage("read"):
            for name, group in groups.items():
                if group:
                    with self.clock.stage(name):
                        out.update(super().read_page(page, group))
        return out


def peak_rss_kb() -> int:
    """This process's peak resident memory so far, in KiB (Linux ``ru_maxrss``)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _cell_matches(kind: str, truth: str, value: str) -> tuple[int, int]:
    """(right digits, truth digits) for a comb value; amounts compare from the right."""
    t = "".join(ch for ch in truth if ch.isdigit())
    v = "".join(ch for ch in value if ch.isdigit())
    if kind == FieldKind.AMOUNT:
        t, v = t[::-1], v[::-1]
    return sum(1 for a, b in zip(t, v, strict=False) if a == b), len(t)


@dataclass(frozen=True)
class Sample:
    code: str
    path: Path
    truth: dict[str, str]


def _generate_one(job: tuple[str, int, str, int, Path]) -> Sample:
    code, index, split, seed, folder = job
    rng = random.Random(f"{split}-{seed}-{code}-{index}")
    form = generate_form(STANDARD_LAYOUTS[code], rng, split=split)
    path = folder / f"{code}-{index:04d}.png"
    path.write_bytes(_png(form.pages[0]))
    return Sample(code, path, form.truth)


def generate_corpus(
    codes: list[str], samples: int, *, split: str, seed: int, folder: Path, workers: int = 1
) -> list[Sample]:
    """Write the scans to ``folder`` first, so reading is timed apart from drawing them."""
    jobs = [(code, index, split, seed, folder) for code in codes for index in range(samples)]
    if workers <= 1:
        return [_generate_one(job) for job in jobs]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(_generate_one, jobs)


def read_corpus(
    corpus: list[Sample], thresholds: dict[str, dict[str, float]], baseline_fields: int = 0
) -> RunResult:
    """Read every scan the whole way and score every field against its truth.

    ``thresholds`` maps a form code to its kinds' thresholds (``current_thresholds(code)``).

    Each stage's CPU and wall time is recorded (``result.stages``), and the process's peak
    memory at the end (``result.peak_rss_kb``).
    """
    limits = configured_limits()
    result = RunResult()
    clock = result.stages
    engine = _TimedReader(clock)
    form_types = {
        c: FormType.objects.get(code=c, is_current=True) for c in {s.code for s in corpus}
    }
    definitions = {c: list(ft.fields.all()) for c, ft in form_types.items()}
    for sample in corpus:
        started = time.perf_counter()
        with clock.stage("ingest"):
            data = sample.path.read_bytes()
            pages = list(iter_pages(data, inspect(data, limits), limits))
        with clock.stage("store"):
            # As in production: the page is stored (encode_page) and read back for processing.
            images = [decode_image(encode_page(page)) for page in pages]
        del pages
        with clock.stage("scan"):
            scan = read_scan(form_types[sample.code], images, engine, definitions[sample.code])
        with clock.stage("judge"):
            judged = judge(
                definitions[sample.code],
                scan.readings,
                scan.unaligned,
                thresholds.get(sample.code, {}),
            )
        result.seconds += time.perf_counter() - started
        result.pages += 1
        result.unaligned += len(scan.unaligned)
        for d in definitions[sample.code]:
            _score(result, sample.code, d, judged[d.key], scan.readings.get(d.key), sample.truth)
        if baseline_fields and not scan.unaligned:
            _baseline(result, definitions[sample.code], scan, sample.truth, baseline_fields)
    result.peak_rss_kb.append(peak_rss_kb())
    return result


def _score(
    result: RunResult,
    code: str,
    d: FieldDefinition,
    j: Judgement,
    reading: Reading | None,
    truth: dict[str, str],
) -> None:
    expected = normalize(d.kind, truth.get(d.key, ""))
    result.fields.append(
        FieldResult(
            form=code,
            key=d.key,
            kind=d.kind,
            truth=expected,
            value=j.value,
            # What judge calibrated (a confirmed salary pair's score, not the engine's).
            raw_confidence=j.raw_confidence,
            confidence=j.confidence,
            valid=not j.errors,
            auto_accepted=j.status == "auto_accepted",
        )
    )
    if d.kind in COMB_KINDS and expected:
        right, total = _cell_matches(d.kind, expected, j.value)
        counts = result.cells.setdefault(d.kind, [0, 0])
        counts[0] += right
        counts[1] += total


def _baseline(
    result: RunResult,
    definitions: list[FieldDefinition],
    scan: ScanReading,
    truth: dict[str, str],
    limit: int,
) -> None:
    """Plain Tesseract on the same comb fields of the same aligned, border-cleaned page."""
    for d in definitions:
        images = scan.pages[d.page - 1].images if d.page <= len(scan.pages) else None
        if images is None or d.kind not in COMB_KINDS or d.kind == FieldKind.WAREKI_DATE:
            continue
        expected = normalize(d.kind, truth.get(d.key, ""))
        hits = result.baseline.setdefault(d.kind, [])
        if not expected or len(hits) >= limit:
            continue
        crop = clean_crop(images, Box.of(FieldGeometry.from_dict(d.as_export_dict())))
        read = normalize(d.kind, tesseract_digits(crop))
        hits.append(read == expected)
        right, total = _cell_matches(d.kind, expected, read)
        counts = result.baseline_cells.setdefault(d.kind, [0, 0])
        counts[0] += right
        counts[1] += total


def _summary(rows: list[FieldResult]) -> dict[str, float]:
    accepted = [r for r in rows if r.auto_accepted]
    wrong_accepted = sum(1 for r in accepted if not r.correct)
    return {
        "fields": len(rows),
        "accuracy": sum(r.correct for r in rows) / len(rows),
        "straight_through": len(accepted) / len(rows),
        "residual_error": wrong_accepted / len(accepted) if accepted else 0.0,
        "wrong_accepted": wrong_accepted,
    }


def summarise(result: RunResult) -> dict[str, dict[str, float]]:
    """Per kind: fields, accuracy, straight-through, residual error, per-digit, baseline."""
    by_kind: dict[str, list[FieldResult]] = {}
    for f in result.fields:
        by_kind.setdefault(f.kind, []).append(f)
    table = {}
    for kind, rows in sorted(by_kind.items()):
        entry = _summary(rows)
        if kind in result.cells and result.cells[kind][1]:
            entry["per_digit"] = result.cells[kind][0] / result.cells[kind][1]
        hits = result.baseline.get(kind)
        if hits:
            entry["tesseract_accuracy"] = sum(hits) / len(hits)
            entry["tesseract_fields"] = len(hits)
            right, total = result.baseline_cells.get(kind, [0, 0])
            if total:
                entry["tesseract_per_digit"] = right / total
        table[kind] = entry
    return table


def summarise_by_form(result: RunResult) -> dict[str, dict[str, dict[str, float]]]:
    """Per form, per kind: the same measures as ``summarise`` (a pooled figure can hide one
    form that reads a kind worse: black comb borders, smaller cells), with per-digit for combs.
    """
    by_form: dict[str, dict[str, list[FieldResult]]] = {}
    for f in result.fields:
        by_form.setdefault(f.form, {}).setdefault(f.kind, []).append(f)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for form, kinds in sorted(by_form.items()):
        for kind, rows in sorted(kinds.items()):
            entry = _summary(rows)
            if kind in COMB_KINDS:
                right, total = 0, 0
                for r in rows:
                    if r.truth:
                        hit, count = _cell_matches(kind, r.truth, r.value)
                        right, total = right + hit, total + count
                if total:
                    entry["per_digit"] = right / total
            table.setdefault(form, {})[kind] = entry
    return table


def fit_calibration(result: RunResult) -> dict[str, dict[str, float]]:
    by_kind: dict[str, tuple[list[float], list[bool]]] = {}
    for f in result.fields:
        raws, oks = by_kind.setdefault(f.kind, ([], []))
        raws.append(f.raw_confidence)
        oks.append(f.correct)
    return {kind: fit_platt(raws, oks) for kind, (raws, oks) in by_kind.items()}


# One measured threshold (ocr.routing.save_thresholds); "threshold" None = always reviewed.
ThresholdRow = dict[str, float | None]


def choose_thresholds(result: RunResult, min_accepted: int = 30) -> dict[str, ThresholdRow]:
    """Per kind, the lowest threshold whose accepted fields stay within the target error.

    Only valid readings can be accepted (routing demands it), so only they are counted. A kind
    that never meets its target on at least ``min_accepted`` fields gets no threshold: it is
    always reviewed by a person.
    """
    chosen = {}
    for kind in sorted({f.kind for f in result.fields}):
        rows = [f for f in result.fields if f.kind == kind]
        row = _lowest_threshold(kind, rows, min_accepted)
        if row is not None:
            chosen[kind] = row
    return chosen


def choose_form_thresholds(
    result: RunResult, pooled: dict[str, ThresholdRow], min_accepted: int = 30
) -> dict[str, dict[str, ThresholdRow]]:
    """Form thresholds where a form's residual error at its kind's threshold is over target.

    The form's own fields then choose its threshold as ``choose_thresholds`` does; when none
    meets the target on that form, the row's threshold is None: always reviewed there.
    """
    forms: dict[str, dict[str, ThresholdRow]] = {}
    for kind, kind_row in pooled.items():
        target = TARGET_ERROR.get(kind, DEFAULT_TARGET_ERROR)
        for form in sorted({f.form for f in result.fields if f.kind == kind}):
            rows = [f for f in result.fields if f.kind == kind and f.form == form]
            threshold = kind_row["threshold"]
            if threshold is None:
                continue
            accepted = [f for f in rows if f.valid and f.confidence >= threshold]
            wrong = sum(1 for f in accepted if not f.correct)
            if not accepted or wrong / len(accepted) <= target:
                continue
            own = _lowest_threshold(kind, rows, min_accepted)
            forms.setdefault(form, {})[kind] = own or {
                "threshold": None,
                "target_error": target,
                "residual_error": wrong / len(accepted),
                "straight_through": 0.0,
                "sample_fields": len(rows),
            }
    return forms


def _lowest_threshold(
    kind: str, fields: list[FieldResult], min_accepted: int
) -> ThresholdRow | None:
    target = TARGET_ERROR.get(kind, DEFAULT_TARGET_ERROR)
    rows = sorted((f for f in fields if f.valid), key=lambda f: f.confidence, reverse=True)
    best = None
    wrong = 0
    for count, row in enumerate(rows, start=1):
        wrong += not row.correct
        at_boundary = count == len(rows) or rows[count].confidence < row.confidence
        if at_boundary and count >= min_accepted and wrong / count <= target:
            best = (row.confidence, wrong / count, count)
    if best is None:
        return None
    return {
        "threshold": best[0],
        "target_error": target,
        "residual_error": best[1],
        "straight_through": best[2] / len(fields),
        "sample_fields": len(fields),
    }
