"""Per-form figures and thresholds: one form that reads a kind worse gets its own threshold."""

from __future__ import annotations

from lab.evaluation import (
    FieldResult,
    RunResult,
    ThresholdRow,
    choose_form_thresholds,
    choose_thresholds,
    summarise_by_form,
)

TRUE = "001234567896"
OTHER = "001234567800"


def _field(form: str, confidence: float, correct: bool) -> FieldResult:
    return FieldResult(
        form=form,
        key="mynumber",
        kind="mynumber",
        truth=TRUE,
        value=TRUE if correct else OTHER,
        raw_confidence=confidence,
        confidence=confidence,
        valid=True,
        auto_accepted=confidence >= 0.9,
    )


def _result() -> RunResult:
    """Form "red" reads right at any confidence; form "black" has confident wrong readings."""
    result = RunResult()
    result.fields += [_field("red", 0.95 + i / 1000, True) for i in range(40)]
    result.fields += [_field("black", 0.99 + i / 10000, True) for i in range(40)]
    result.fields += [_field("black", 0.95, False), _field("black", 0.96, False)]
    result.fields += [_field("black", 0.5, False) for _ in range(3)]
    return result


def test_a_pooled_threshold_hides_the_form_that_reads_worse():
    result = _result()
    pooled = choose_thresholds(result)["mynumber"]
    forms = summarise_by_form(result)
    # The pooled threshold keeps the pooled residual within its target (0.1 %)...
    residual = pooled["residual_error"]
    assert residual is not None and residual <= 0.001
    # ... while per form the black one's accepted readings hold the two wrong ones.
    assert forms["red"]["mynumber"]["wrong_accepted"] == 0
    assert forms["black"]["mynumber"]["wrong_accepted"] == 2
    assert forms["black"]["mynumber"]["fields"] == 45
    assert 0 < forms["black"]["mynumber"]["per_digit"] < 1


def test_a_form_over_target_gets_its_own_higher_threshold():
    result = _result()
    # Routed as the calibration routes it: with the pooled threshold chosen on all forms.
    pooled = {"mynumber": {**choose_thresholds(result)["mynumber"], "threshold": 0.9}}
    forms = choose_form_thresholds(result, pooled)
    assert set(forms) == {"black"}  # the red form stays on the kind's threshold
    own = forms["black"]["mynumber"]
    assert own["threshold"] is not None and own["threshold"] > 0.96
    assert own["residual_error"] == 0.0


def test_a_form_that_never_meets_the_target_is_always_reviewed():
    result = RunResult()
    result.fields += [_field("black", 0.99, i % 2 == 0) for i in range(40)]
    result.fields += [_field("red", 0.99, True) for _ in range(40)]
    pooled: dict[str, ThresholdRow] = {
        "mynumber": {
            "threshold": 0.9,
            "target_error": 0.001,
            "residual_error": 0.0,
            "straight_through": 1.0,
            "sample_fields": 80,
        }
    }
    forms = choose_form_thresholds(result, pooled)
    assert forms["black"]["mynumber"]["threshold"] is None
