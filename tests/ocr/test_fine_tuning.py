"""Learning from corrections, end to end, on a small generated set.

Verified documents (generated forms whose fields a person confirmed) -> ``manage.py
export_training_cells`` (encrypted, only non-sensitive kinds, one audit entry) ->
``scripts/train_digits.py --fine-tune`` for a few seconds -> the acceptance gate on the
evaluation split: a model taught wrong digits loses accuracy and is refused (exit code 2,
nothing written); the same path from that weaker model with the right digits gains it back and
is accepted and installed. The gate measures both models on the same held-out cells (here the
first digits of each source only, to run in seconds); it is never told the answer.

torch is imported by the training script's functions only when they run, not at collection.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from forms_catalog.models import FieldDefinition
from ocr.models import Document, ExtractedField
from ocr.pipeline.engines import digits as dg
from ocr.training_cells import pack_training_set, unpack_training_set
from scripts import train_digits
from tests.ocr.documents import read_document

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DOCUMENTS = (("furusato-onestop", 1), ("kyuyo-shiharai", 1), ("furusato-onestop", 2))
# Test-sized runs: the first digits of each source of the calibration / evaluation split.
QUICK = ["--calib-limit", "100", "--gate-limit", "30", "--copies", "0", "--threads", "2"]


def verified_documents(catalog, admin: User) -> dict[int, dict[str, str]]:
    """Generated documents verified by a person: each field confirmed by ``admin``."""
    truths = {}
    for code, seed in DOCUMENTS:
        document, truth = read_document(catalog[code], seed)
        truths[document.pk] = truth
    ExtractedField.objects.update(verified_by=admin)
    return truths


def expected_digits(truths: dict[int, dict[str, str]], *, but: int) -> Counter[int]:
    """The digits of the values a person decided in fields of the non-sensitive digit kinds
    (but the reading ``but``)."""
    digits: Counter[int] = Counter()
    decided = ExtractedField.objects.filter(
        status__in=[ExtractedField.Status.CONFIRMED, ExtractedField.Status.CORRECTED],
        definition__kind__in=["amount", "date", "wareki_date", "phone", "postal_code"],
        definition__sensitive=False,
    ).exclude(pk=but)
    for reading in decided.select_related("definition"):
        value = truths[reading.document_id].get(reading.definition.key, "")
        digits.update(int(c) for c in re.sub(r"[^0-9]", "", value))
    return digits


def export(user: User, out: Path, *extra: str) -> None:
    call_command("export_training_cells", "--user", user.username, "--out", str(out), *extra)


@pytest.fixture
def admin(db) -> User:
    return User.objects.create_superuser("admin", password="unused-in-tests")


def test_the_export_holds_the_verified_non_sensitive_cells_only_encrypted(
    catalog, admin, tmp_path
) -> None:
    truths = verified_documents(catalog, admin)
    # A field still waiting for a person, and a field marked sensitive: neither goes out.
    waiting = ExtractedField.objects.filter(definition__key="donation_amount").first()
    assert waiting is not None
    ExtractedField.objects.filter(pk=waiting.pk).update(status=ExtractedField.Status.NEEDS_REVIEW)
    FieldDefinition.objects.filter(key="payer_phone").update(sensitive=True)
    # A value of one digit where the paper has seven written cells: the pairing would be a
    # guess, so the field is left out.
    odd = ExtractedField.objects.get(definition__key="payment_amount")
    odd.final_value = "7"
    odd.save(update_fields=["final_value"])
    wanted = expected_digits(truths, but=odd.pk)
    out = tmp_path / "cells.npz.enc"

    export(admin, out)

    token = out.read_bytes()
    assert not token.startswith(b"PK")  # not a zip (npz) in the clear
    with pytest.raises(ValueError):
        np.load(io.BytesIO(token), allow_pickle=False)
    cells, header = unpack_training_set(token)
    assert set(cells.kinds) <= {"amount", "wareki_date", "phone", "postal_code"}
    assert "mynumber" not in set(cells.kinds) and "corporate_number" not in set(cells.kinds)
    # Exactly the digits of the verified non-sensitive fields, each cell with its own digit:
    # the reader's model reads nearly all of them as the digit they are paired with.
    assert Counter(cells.labels.tolist()) == wanted
    assert (header["skipped_mismatched"], header["skipped_no_page"]) == (1, 0)
    read = dg.DigitRecognizer().logits(list(cells.images)).argmax(1)
    assert (read == cells.labels).mean() > 0.9
    [entry] = AuditEntry.objects.filter(additional_data__access="training_export")
    assert entry.actor == admin
    assert entry.additional_data["count"] == len(cells) == header["cells"]
    assert entry.additional_data["documents"] == len(DOCUMENTS)
    logged = json.dumps(entry.additional_data) + str(entry.changes)
    for truth in truths.values():
        for key in ("mynumber", "payer_corporate_number", "phone", "postal_code"):
            if truth.get(key):
                assert truth[key] not in logged


def test_only_a_user_with_the_right_may_export(catalog, admin, tmp_path) -> None:
    verified_documents(catalog, admin)
    clerk = User.objects.create_user("clerk", password="unused-in-tests", is_staff=True)
    out = tmp_path / "cells.npz.enc"

    with pytest.raises(CommandError, match="no_training_export_right"):
        export(clerk, out)
    assert not out.exists()
    [refusal] = AuditEntry.objects.filter(actor=clerk, additional_data__access="export_refused")
    assert refusal.additional_data["refusal"] == "no_training_export_right"

    clerk.user_permissions.add(Permission.objects.get(codename="export_training_cells"))
    clerk = User.objects.get(pk=clerk.pk)  # permissions are cached on the instance
    export(clerk, out, "--form", "kyuyo-shiharai", "--max-cells", "20")
    cells, header = unpack_training_set(out.read_bytes())
    assert 0 < len(cells) <= 20 and header["truncated"]
    assert (
        AuditEntry.objects.filter(actor=clerk, additional_data__access="training_export").count()
        == 1
    )


def test_the_gate_compares_accuracies_on_the_same_cells(tmp_path) -> None:
    same = tmp_path / "same.onnx"
    shutil.copyfile(dg.MODEL_PATH, same)
    shutil.copyfile(dg.META_PATH, same.with_suffix(".json"))

    gate = train_digits.acceptance_gate(dg.MODEL_PATH, same, limit=40)

    # 40 digits of each source, drawn at three resolutions with two borders.
    assert gate.digits == 2 * 40 * 6
    assert gate.candidate_errors == gate.current_errors and gate.accepted
    assert not train_digits.GateResult(3, 4, 100).accepted
    assert train_digits.GateResult(4, 3, 100).accepted


def test_fine_tuning_refuses_a_worse_model_and_installs_a_better_one(
    catalog, admin, tmp_path
) -> None:
    verified_documents(catalog, admin)
    Document.objects.update(status=Document.Status.EXPORTED)  # settled, still taken
    right = tmp_path / "cells.npz.enc"
    export(admin, right)
    cells, header = unpack_training_set(right.read_bytes())
    # The same cells taught the wrong digits (a careless correction, many times over).
    cells.labels = (cells.labels + 1) % 10
    wrong = tmp_path / "wrong.npz.enc"
    wrong.write_bytes(pack_training_set(cells, _summary(header)))
    work, out = tmp_path / "work", tmp_path / "model" / "digits.onnx"

    def fine_tune(cells: Path, *options: str | Path) -> int:
        common = ("--work", work, "--out", out, "--epochs", "1", *QUICK)
        return train_digits.main([str(o) for o in ("--fine-tune", cells, *options, *common)])

    refused = fine_tune(wrong, "--lr", "3e-3", "--cell-repeat", "3", "--replay", "0")

    assert refused == train_digits.REFUSED
    assert not out.exists()
    worse = tmp_path / "worse.onnx"
    shutil.copyfile(work / "fine-tune-candidate.onnx", worse)
    shutil.copyfile(work / "fine-tune-candidate.json", worse.with_suffix(".json"))

    accepted = fine_tune(
        right, "--base", worse, "--lr", "1e-3", "--cell-repeat", "2", "--replay", "150"
    )

    assert accepted == 0
    meta = json.loads(out.with_suffix(".json").read_text("utf-8"))
    gate = meta["fine_tuning"][-1]["gate"]
    assert gate["accepted"] and gate["candidate_errors"] <= gate["current_errors"]
    assert out.read_bytes() == (work / "fine-tune-candidate.onnx").read_bytes()
    assert meta["fine_tuning"][-1]["cells"] == len(cells)
    assert dg.MODEL_PATH.read_bytes() != out.read_bytes()


def _summary(header: dict):
    from ocr.training_cells import ExportSummary

    return ExportSummary(cells=int(header["cells"]), by_kind=Counter(header["by_kind"]))
