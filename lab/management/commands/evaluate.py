"""Evaluation and benchmark of the reading pipeline on generated forms of all four types.

    python manage.py evaluate --calibrate --samples 40   # calib split: fit confidence maps,
                                                        # choose and save thresholds
    python manage.py evaluate --samples 25               # eval split: report the table

The reported split's handwriting comes from writers kept apart from training and calibration.
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.utils import timezone

from forms_catalog.catalog import load_standard_catalog
from forms_catalog.layouts import STANDARD_LAYOUTS
from lab.evaluation import (
    RunResult,
    Sample,
    choose_form_thresholds,
    choose_thresholds,
    fit_calibration,
    generate_corpus,
    read_corpus,
    summarise,
    summarise_by_form,
)
from ocr.pipeline.calibration import apply_map, save_maps
from ocr.routing import current_thresholds, load_thresholds, save_thresholds


def _read_part(args: tuple[list[Sample], dict[str, dict[str, float]], int]) -> RunResult:
    corpus, thresholds, baseline = args
    return read_corpus(corpus, thresholds, baseline)


class Command(BaseCommand):
    help = "Measure accuracy, straight-through, residual error and speed on generated forms."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=int, default=10, help="forms per form type")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--forms", nargs="*", default=sorted(STANDARD_LAYOUTS))
        parser.add_argument("--calibrate", action="store_true", help="fit maps and thresholds")
        parser.add_argument("--baseline", type=int, default=40, help="Tesseract fields per kind")
        parser.add_argument("--workers", type=int, default=1, help="processes (pages/s on N cores)")
        parser.add_argument("--json", type=Path, help="also write the full report here")

    def handle(self, *args: Any, **opts: Any) -> None:
        load_standard_catalog()
        load_thresholds()
        split = "calib" if opts["calibrate"] else "eval"
        thresholds = (
            {} if opts["calibrate"] else {code: current_thresholds(code) for code in opts["forms"]}
        )
        result, wall = self._measure(opts, split, thresholds)
        source = (
            f"evaluate --samples {opts['samples']} --seed {opts['seed']} "
            f"split={split} forms={len(opts['forms'])}"
        )
        if opts["calibrate"]:
            self._calibrate(result, source, wall, opts["workers"])
            return
        report = self._report(result, split, wall, opts["workers"])
        report["samples_per_form"] = opts["samples"]
        self.stdout.write(markdown(report))
        if opts["json"]:
            opts["json"].write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")

    def _report(self, result: RunResult, split: str, wall: float, workers: int) -> dict:
        return {
            "split": split,
            "pages": result.pages,
            "unaligned_pages": result.unaligned,
            "seconds_per_page_single_process": result.seconds / max(result.pages, 1),
            "pages_per_second": result.pages / wall if wall else 0.0,
            "workers": workers,
            "peak_rss_mib_per_worker": [kb / 1024 for kb in result.peak_rss_kb],
            "stages_ms_per_page": result.stages.table(result.pages),
            "load_average": list(_load_average()),
            "kinds": summarise(result),
            "forms": summarise_by_form(result),
        }

    def _measure(
        self, opts: dict, split: str, thresholds: dict[str, dict[str, float]]
    ) -> tuple[RunResult, float]:
        """Generate the scans (not timed), then read them in ``workers`` processes (timed)."""
        workers = max(1, opts["workers"])
        with tempfile.TemporaryDirectory() as folder:
            if workers > 1:
                # Forked readers must not share this process's database connections.
                connections.close_all()
            # Drawn in child processes (which do not touch the database) even for one reader,
            # so that the reader's peak memory is its own, not the generator's.
            corpus = generate_corpus(
                opts["forms"],
                opts["samples"],
                split=split,
                seed=opts["seed"],
                folder=Path(folder),
                workers=max(2, workers),
            )
            started = time.perf_counter()
            if workers == 1:
                result = read_corpus(corpus, thresholds, opts["baseline"])
            else:
                # Each process reads its share, as qcluster workers would.
                parts = [
                    (corpus[i::workers], thresholds, opts["baseline"] // workers)
                    for i in range(workers)
                ]
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    results = pool.map(_read_part, parts)
                result = results[0]
                for other in results[1:]:
                    result.merge(other)
            wall = time.perf_counter() - started
        return result, wall

    def _calibrate(self, result: RunResult, source: str, wall: float, workers: int) -> None:
        """Fit the maps and thresholds, then print the calibration split as they route it."""
        maps = fit_calibration(result)
        save_maps(maps, source)
        for f in result.fields:
            f.confidence = apply_map(maps[f.kind], f.raw_confidence)
        chosen = choose_thresholds(result)
        forms = choose_form_thresholds(result, chosen)
        save_thresholds(chosen, source, timezone.now().isoformat(), forms)
        load_thresholds()
        self.stdout.write(
            f"calibration fitted on {len(result.fields)} fields ({result.pages} pages)"
        )
        for kind, row in sorted(chosen.items()):
            self.stdout.write(
                f"  {kind:18} threshold {row['threshold']:.3f}"
                f"  residual {row['residual_error']:.4f}"
                f"  straight-through {row['straight_through']:.3f}"
                f"  ({row['sample_fields']} fields)"
            )
        for code, kinds in sorted(forms.items()):
            for kind, row in sorted(kinds.items()):
                shown = "always reviewed" if row["threshold"] is None else f"{row['threshold']:.3f}"
                self.stdout.write(f"  {kind:18} on {code}: own threshold {shown}")
        for f in result.fields:
            routed_by = forms.get(f.form, {}).get(f.kind) or chosen.get(f.kind)
            threshold = routed_by["threshold"] if routed_by is not None else None
            f.auto_accepted = threshold is not None and f.valid and f.confidence >= threshold
        self.stdout.write(markdown(self._report(result, "calib", wall, workers)))
        missing = sorted({f.kind for f in result.fields} - set(chosen))
        if missing:
            self.stdout.write(f"  always reviewed (target not met): {', '.join(missing)}")


def _load_average() -> tuple[float, float, float]:
    """The machine's 1/5/15-minute load: wall-clock figures mean little on a busy machine."""
    try:
        import os

        return os.getloadavg()
    except OSError:  # pragma: no cover - not on Linux
        return (0.0, 0.0, 0.0)


def stage_lines(report: dict) -> list[str]:
    """The per-stage table (CPU and wall ms per page) and each worker's peak memory."""
    lines = ["| stage | CPU ms/page | wall ms/page |", "|---|---:|---:|"]
    for name, row in report["stages_ms_per_page"].items():
        lines.append(f"| {name} | {row['cpu_ms']:.0f} | {row['wall_ms']:.0f} |")
    rss = ", ".join(f"{mib:.0f}" for mib in report["peak_rss_mib_per_worker"])
    load = " ".join(f"{x:.2f}" for x in report["load_average"])
    return [*lines, "", f"peak RSS per worker: {rss} MiB; load average at the end: {load}"]


def markdown(report: dict) -> str:
    lines = [
        f"split: {report['split']}, {report['pages']} pages "
        f"({report['unaligned_pages']} not aligned), "
        f"{report['seconds_per_page_single_process']:.2f} s/page in one process, "
        f"{report['pages_per_second']:.2f} pages/s with {report['workers']} worker(s)",
        "",
        *stage_lines(report),
        "",
        "| kind | fields | accuracy | per digit | straight-through | residual error "
        "| Tesseract fields | Tesseract per digit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, row in report["kinds"].items():
        digit = f"{row['per_digit']:.2%}" if "per_digit" in row else ""
        tess = (
            f"{row['tesseract_accuracy']:.1%} ({row['tesseract_fields']})"
            if "tesseract_accuracy" in row
            else ""
        )
        tess_digit = f"{row['tesseract_per_digit']:.1%}" if "tesseract_per_digit" in row else ""
        lines.append(
            f"| {kind} | {row['fields']} | {row['accuracy']:.1%} | {digit} | "
            f"{row['straight_through']:.1%} | {row['residual_error']:.2%} "
            f"({row['wrong_accepted']}) | {tess} | {tess_digit} |"
        )
    return "\n".join([*lines, "", *form_lines(report)])


def form_lines(report: dict) -> list[str]:
    """The same measures per form: a pooled figure can hide one form that reads worse."""
    lines = [
        "| form | kind | fields | accuracy | per digit | straight-through | residual error |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for form, kinds in report["forms"].items():
        for kind, row in kinds.items():
            digit = f"{row['per_digit']:.2%}" if "per_digit" in row else ""
            lines.append(
                f"| {form} | {kind} | {row['fields']} | {row['accuracy']:.1%} | {digit} | "
                f"{row['straight_through']:.1%} | {row['residual_error']:.2%} "
                f"({row['wrong_accepted']}) |"
            )
    return lines
