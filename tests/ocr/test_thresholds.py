"""Routing thresholds per kind, overridden per form type where that form reads worse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocr.models import ExtractedField, KindThreshold
from ocr.routing import current_thresholds, load_thresholds, route

pytestmark = pytest.mark.django_db

ROW = {"target_error": 0.001, "residual_error": 0.0, "straight_through": 0.9, "sample_fields": 300}


def _write(path: Path, forms: dict) -> Path:
    body = {
        "measured_with": "test",
        "measured_at": "2026-12-07T00:00:00+00:00",
        "kinds": {"mynumber": {**ROW, "threshold": 0.9}, "amount": {**ROW, "threshold": 0.95}},
        "forms": forms,
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_a_form_row_replaces_the_kind_row_for_that_form_only(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.json",
        {
            "kyuyo-shiharai": {"mynumber": {**ROW, "threshold": 0.99}},
            "kakutei-shinkoku": {"amount": {**ROW, "threshold": None}},
        },
    )
    assert load_thresholds(path) == 4
    assert current_thresholds() == {"mynumber": 0.9, "amount": 0.95}
    assert current_thresholds("furusato-onestop") == {"mynumber": 0.9, "amount": 0.95}
    kyuyo = current_thresholds("kyuyo-shiharai")
    assert kyuyo == {"mynumber": 0.99, "amount": 0.95}
    # A form row without a threshold: that kind is always reviewed on that form.
    assert current_thresholds("kakutei-shinkoku") == {"mynumber": 0.9}
    needs_review = ExtractedField.Status.NEEDS_REVIEW
    assert route("mynumber", 0.95, [], kyuyo) == needs_review
    assert route("mynumber", 0.95, [], current_thresholds()) == ExtractedField.Status.AUTO_ACCEPTED
    assert route("amount", 1.0, [], current_thresholds("kakutei-shinkoku")) == needs_review


def test_reloading_drops_form_rows_no_longer_measured(tmp_path: Path) -> None:
    load_thresholds(
        _write(tmp_path / "a.json", {"kyuyo-shiharai": {"mynumber": {**ROW, "threshold": 0.99}}})
    )
    load_thresholds(_write(tmp_path / "b.json", {}))
    assert not KindThreshold.objects.exclude(form_code="").exists()
    assert current_thresholds("kyuyo-shiharai")["mynumber"] == 0.9
