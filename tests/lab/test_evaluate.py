"""The evaluation command, as whoever measures a new model or threshold runs it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from forms_catalog.kinds import FieldKind

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
