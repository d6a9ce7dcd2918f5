"""Quality samples and review reasons set by the reading (ocr.processing)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from forms_catalog.kinds import FieldKind
from forms_catalog.models import FieldDefinition
from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, Document, ExtractedField, KindThreshold
from ocr.pipeline.engines.base import FakeEngine, Reading
from ocr.processing import is_quality_sample, review_reason, run_document
from ocr.reading import Judgement
from tests.ocr import samples

F = ExtractedField.Status
R = ExtractedField.Reason


def accept_every_kind() -> None:
    """Thresholds any confident, valid reading clears (the test is not about calibration)."""
    for kind in FieldKind.values:
        KindThreshold.objects.create(
            kind=kind,
            threshold=0.0,
            target_error=0.01,
            residual_error=0.0,
            straight_through=1.0,
            sample_fields=1,
            measured_with="test",
            measured_at=timezone.now(),
        )


@pytest.fixture
def read(catalog):
    """Read a filled furusato scan with fixed readings; returns (document, run it again)."""
    furusato = catalog["furusato-onestop"]
    accept_every_kind()
    data, truth = samples.filled_scan("furusato-onestop", 3)
    # One reading that does not validate: it needs a person whatever the sampling.
    readings = {d.key: Reading(truth.get(d.key, ""), 0.99) for d in furusato.fields.all()}
    readings["postal_code"] = Reading("123", 0.99)
    engine = FakeEngine(readings)
    batch = create_batch(furusato, department=furusato.department, source=Batch.Source.CLI)
    document = ingest_files(batch, [("scan.png", data)]).documents[0]

    def again() -> list[tuple[str, str, str, str]]:
        assert run_document(document.pk, engine) == "succeeded"
        return rows(document)

    return document, again


def rows(document: Document) -> list[tuple[str, str, str, str]]:
    return [
        (f.definition.key, f.status, f.review_reason, f.final_value)
        for f in document.fields.select_related("definition").order_by("definition__order")
    ]


@pytest.mark.django_db
def test_at_1000_per_mille_every_auto_accepted_field_is_a_quality_sample(read, settings):
    document, again = read
    settings.QA_SAMPLE_PER_MILLE = 0
    unsampled = again()
    accepted = {key for key, status, *_ in unsampled if status == F.AUTO_ACCEPTED}
    assert len(accepted) > 5

    settings.QA_SAMPLE_PER_MILLE = 1000
    sampled = again()

    for (key, status, reason, final_value), before in zip(sampled, unsampled, strict=True):
        if key in accepted:
            # Routed to review as any uncertain reading: the clerk cannot tell it apart.
            assert (status, reason, final_value) == (F.NEEDS_REVIEW, R.QA_SAMPLE, ""), key
        else:
            assert (key, status, reason, final_value) == before
    assert ("postal_code", F.NEEDS_REVIEW, R.VALIDATION, "") in sampled
    assert Document.objects.get(pk=document.pk).status == Document.Status.NEEDS_REVIEW


@pytest.mark.django_db
def test_at_0_per_mille_nothing_is_sampled(read, settings):
    settings.QA_SAMPLE_PER_MILLE = 0
    _document, again = read

    stored = again()

    assert R.QA_SAMPLE not in {reason for _key, _status, reason, _value in stored}
    assert {reason for _key, status, reason, _value in stored if status == F.AUTO_ACCEPTED} == {""}
    assert ("postal_code", F.NEEDS_REVIEW, R.VALIDATION, "") in stored


@pytest.mark.django_db
def test_reading_again_draws_the_same_samples(read, settings):
    settings.QA_SAMPLE_PER_MILLE = 500
    _document, again = read

    first = again()

    assert again() == first
    assert again() == first


def test_the_sample_is_drawn_at_the_rate_set(settings) -> None:
    def drawn() -> int:
        return sum(
            is_quality_sample(Document(pk=document), FieldDefinition(pk=definition))
            for document in range(1, 501)
            for definition in range(1, 21)
        )

    settings.QA_SAMPLE_PER_MILLE = 20
    assert 150 <= drawn() <= 250  # 2 % of 10 000
    settings.QA_SAMPLE_PER_MILLE = 0
    assert drawn() == 0
    settings.QA_SAMPLE_PER_MILLE = 1000
    assert drawn() == 10_000


@pytest.mark.parametrize(
    ("status", "errors", "reason"),
    [
        (F.AUTO_ACCEPTED, (), ""),
        (F.NEEDS_REVIEW, (), R.LOW_CONFIDENCE),
        (F.NEEDS_REVIEW, ("postal_format",), R.VALIDATION),
        (F.NEEDS_REVIEW, ("required", "page_not_aligned"), R.ALIGNMENT),
    ],
)
def test_the_reason_a_reading_needs_a_person(status, errors, reason) -> None:
    judged = Judgement(value="", confidence=0.5, cell_confidences=(), errors=errors, status=status)
    assert review_reason(judged) == reason
