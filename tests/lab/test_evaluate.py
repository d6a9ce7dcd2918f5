"""The evaluation command, as whoever measures a new model or threshold runs it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from forms_catalog.kinds import FieldKind
from lab.evaluation import REPORTED_STAGES, StageClock

pytestmark = pytest.mark.django_db


def test_evaluate_scores_every_field_of_a_generated_form_and_the_baseline(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    out = io.StringIO()
    call_command(
        "evaluate",
        "--forms",
        "furusato-onestop",
        "--samples",
        "1",
        "--baseline",
        "2",
        "--json",
        str(report_path),
        stdout=out,
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert (report["split"], report["pages"], report["unaligned_pages"]) == ("eval", 1, 0)
    assert report["pages_per_second"] > 0 and report["seconds_per_page_single_process"] > 0
    kinds = report["kinds"]
    # The furusato form has one My Number, its three requirement checkboxes, names and dates.
    assert kinds[FieldKind.MYNUMBER]["fields"] == 1
    assert kinds[FieldKind.CHECKBOX]["fields"] == 3
    assert {FieldKind.TEXT_JA, FieldKind.KATAKANA, FieldKind.WAREKI_DATE} <= set(kinds)
    for row in kinds.values():
        assert 0.0 <= row["accuracy"] <= 1.0 and 0.0 <= row["straight_through"] <= 1.0
        # Residual error counts only fields accepted without review.
        assert row["wrong_accepted"] <= row["straight_through"] * row["fields"]
    mynumber = kinds[FieldKind.MYNUMBER]
    assert 0.0 <= mynumber["per_digit"] <= 1.0
    # Plain Tesseract read the same My Number field, as the baseline.
    assert mynumber["tesseract_fields"] == 1
    assert "| mynumber | 1 |" in out.getvalue()


def test_evaluate_reports_stage_times_and_worker_memory(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    out = io.StringIO()
    call_command(
        "evaluate",
        "--forms",
        "furusato-onestop",
        "--samples",
        "2",
        "--baseline",
        "0",
        "--json",
        str(report_path),
        stdout=out,
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    stages = report["stages_ms_per_page"]
    assert list(stages) == [*REPORTED_STAGES, "total"]
    # Every stage of a form with comb, text and mark fields costs CPU; the total is their sum.
    for name in ("ingest", "store", "align", "digits", "text", "marks"):
        assert stages[name]["cpu_ms"] > 0, name
    parts = sum(stages[name]["cpu_ms"] for name in REPORTED_STAGES)
    assert stages["total"]["cpu_ms"] == pytest.approx(parts)
    # One peak memory figure per reading process, each at least the models' size.
    assert len(report["peak_rss_mib_per_worker"]) == 1
    assert all(mib > 50 for mib in report["peak_rss_mib_per_worker"])
    assert "| align |" in out.getvalue() and "peak RSS per worker" in out.getvalue()


def test_stage_clock_derives_alignment_and_cell_cleaning() -> None:
    clock = StageClock()
    clock.cpu.update(scan=3.0, read=2.0, comb=1.5, digits=1.0, text=0.25, marks=0.25)
    other = StageClock()
    other.cpu.update(ingest=1.0)
    clock.merge(other)
    table = clock.table(pages=2)
    # Per page: alignment is scan minus reading, cell cleaning the comb minus the recogniser.
    assert table["align"]["cpu_ms"] == pytest.approx(500.0)
    assert table["cells"]["cpu_ms"] == pytest.approx(250.0)
    assert table["digits"]["cpu_ms"] == pytest.approx(500.0)
    assert table["ingest"]["cpu_ms"] == pytest.approx(500.0)
    assert table["total"]["cpu_ms"] == pytest.approx(500.0 + 500.0 + 250.0 + 500.0 + 125 + 125)
