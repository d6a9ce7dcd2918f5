"""Keystrokes (and modelled active seconds) of reviewing a batch, against keying it by hand.

Generates ``--samples`` filled furusato-onestop forms with their truth
(``lab.synthetic.generator.write_samples``), ingests and reads them through the real pipeline
(``ocr.intake.ingest_files(..., sync=True)``, as ``ingest_paths`` does, in uploads of
``INGEST_MAX_FILES``), then a scripted clerk works the batch through
the review services as a person at the review screen would:

- 次へ: ``claim_next`` of the batch;
- each field that needs a decision (the screen's "asks"):
  - a My Number (blind entry): key the truth in (12 digits + Enter) with ``enter_blind``;
    when the reading was wrong the first entry does not settle it, and a second entry
    (12 + Enter again) does;
  - a reading equal to the truth: ``confirm_field`` (Enter: 1 key);
  - otherwise ``correct_field`` with the truth (Ctrl+A = 2 keys, the truth's characters,
    Enter); a checkbox or choice is keyed like any text (the screen's inputs are text);
- Ctrl+Enter (2 keys counted as 1 press here: 1) per document, ``record_effort`` with the
  keys and the modelled seconds, ``submit_document``.

The manual baseline: a person keys every field of every document from the paper: the truth's
characters plus 1 Tab per field; a checkbox or a choice counts 1 key (plus its Tab); a blank
field only its Tab. Characters are counted as characters, IME conversion keys are not (it
understates the manual work of Japanese text, and the corrections' alike).

Active seconds are NOT measured here (no person): they are modelled as
``KEY_SECONDS`` per keystroke + ``LOOK_SECONDS`` per field looked at (the asks in review,
every field by hand). The scripted clerk acts in milliseconds, and ``record_effort`` never
books more active time or keys than the wall clock since the claim allows, so the review
runs on a simulated clock (``SimulatedClock`` in place of ``django.utils.timezone.now``)
that moves on by the modelled seconds of each document before its effort is reported: the
ReviewSession rows then hold the modelled seconds and the counted keys, written by the same
services the screen calls.

Usage (SQLite in a DATA_DIR of its own)::

    export DATA_DIR=/tmp/yeffort
    python -m yomitoru.keys $DATA_DIR && python manage.py migrate
    python manage.py load_catalog && python manage.py load_thresholds
    python scripts/measure_review_effort.py [--samples 100] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
FORM = "furusato-onestop"
KEY_SECONDS = 0.3
LOOK_SECONDS = 1.5
ENTER = 1
SELECT_ALL = 2  # Ctrl+A: two key presses, as the screen counts every keydown
SUBMIT = 1  # Ctrl+Enter, counted as one per the brief's convention


class SimulatedClock:
    """``timezone.now`` for the scripted review: real time plus the modelled time so far."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.real_now = timezone_now()

    def now(self) -> datetime:
        return self.real_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def timezone_now() -> Any:
    from django.utils import timezone

    return timezone.now


def setup() -> None:
    if not os.environ.get("DATA_DIR"):
        sys.exit("Set DATA_DIR to a folder of its own (see the docstring).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manual_keys(kind: str, truth: str) -> int:
    """Keys to enter one field by hand: its characters (a checkbox 1, a choice 1 when one is
    circled), plus the Tab to the next field."""
    if kind == "checkbox":
        value_keys = 1
    elif kind == "choice":
        value_keys = 1 if truth else 0
    else:
        value_keys = len(truth)
    return value_keys + 1


def clerk() -> Any:
    """A clerk of the form's department who may process and key in My Numbers."""
    from django.contrib.auth.models import Group, User
    from guardian.shortcuts import assign_perm

    from forms_catalog.models import FormType

    form_type = FormType.objects.get(code=FORM, is_current=True)
    handlers, _ = Group.objects.get_or_create(name=f"{form_type.department.name} 個人番号取扱担当")
    assign_perm("forms_catalog.process", form_type.department, form_type)
    assign_perm("forms_catalog.view_mynumber", handlers, form_type)
    user, created = User.objects.get_or_create(username="effort_clerk", defaults={"is_staff": True})
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(form_type.department, handlers)
    return user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup()
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    from forms_catalog.layouts import STANDARD_LAYOUTS
    from forms_catalog.models import FormType
    from lab.synthetic.generator import TRUTH_FILE, write_samples
    from ocr.intake import create_batch, ingest_files
    from ocr.models import Batch, Document, ExtractedField, KindThreshold, ReviewSession
    from ocr.pipeline.validate import normalize
    from ocr.review import screen
    from ocr.review.services import (
        Effort,
        ReviewRefused,
        claim_next,
        confirm_field,
        correct_field,
        enter_blind,
        record_effort,
        submit_document,
    )

    if not KindThreshold.objects.exists():
        sys.exit("No thresholds: run manage.py load_catalog and load_thresholds first.")
    import json

    form_type = FormType.objects.get(code=FORM, is_current=True)
    user = clerk()
    F = ExtractedField.Status

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_samples(STANDARD_LAYOUTS[FORM], args.samples, Path(folder), seed=args.seed)
        truth = json.loads((Path(folder) / TRUTH_FILE).read_text("utf-8"))["samples"]
        generated = time.perf_counter() - t0
        # One batch, taken in as uploads of at most INGEST_MAX_FILES files each (the upload
        # budget rejects the files beyond it).
        scans = [p for p in paths if p.name != TRUTH_FILE]
        batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
        rejected = 0
        for start in range(0, len(scans), settings.INGEST_MAX_FILES):
            chunk = scans[start : start + settings.INGEST_MAX_FILES]
            result = ingest_files(batch, ((p.name, p.read_bytes()) for p in chunk), sync=True)
            rejected += len(result.rejected)
    read_seconds = time.perf_counter() - t0 - generated
    if rejected:
        print(f"{rejected} files were rejected at intake")
    documents = list(
        Document.objects.filter(batch=batch).select_related("source_file").order_by("pk")
    )
    truth_of = {d.pk: truth[d.source_file.original_name] for d in documents}
    statuses = Counter(d.status for d in documents)
    print(
        f"Batch #{batch.pk}: {len(documents)} documents generated in {generated:.0f} s, "
        f"read in {read_seconds:.0f} s: {dict(statuses)}"
    )

    # What the reading left, before anyone looks: per field, auto-accepted or waiting (why).
    fields = list(ExtractedField.objects.filter(document__batch=batch).select_related("definition"))
    kinds = {f.definition.key: f.definition.kind for f in fields}
    manual = sum(
        manual_keys(f.definition.kind, truth_of[f.document_id].get(f.definition.key, ""))
        for f in fields
    )
    manual_fields = len(fields)
    auto = [f for f in fields if f.status == F.AUTO_ACCEPTED]
    auto_wrong = [
        f
        for f in auto
        if f.value
        != normalize(f.definition.kind, truth_of[f.document_id].get(f.definition.key, ""))
    ]
    reasons = Counter(f.review_reason for f in fields if f.status == F.NEEDS_REVIEW)

    # The scripted review.
    counts: Counter[str] = Counter()
    keys_by_act: Counter[str] = Counter()
    corrected_kinds: Counter[str] = Counter()
    review_keys = 0
    looked = 0
    refused: list[str] = []
    modelled_review_seconds = 0.0
    reviewed_pks: set[int] = set()
    t1 = time.perf_counter()
    clock = SimulatedClock()
    with mock.patch.object(timezone, "now", clock.now):
        while (document := claim_next(acting_user=user, batch_id=batch.pk)) is not None:
            keys = 0
            doc_truth = truth_of[document.pk]
            readings = list(
                document.fields.select_related("definition").order_by("definition__order", "pk")
            )
            asks = [r for r in readings if r.status == F.NEEDS_REVIEW]
            for reading in asks:
                reviewed_pks.add(reading.pk)
                kind = reading.definition.kind
                true_value = doc_truth.get(reading.definition.key, "")
                canonical = normalize(kind, true_value)
                try:
                    if screen.is_blind(reading):
                        entry = len(true_value) + ENTER
                        outcome = enter_blind(reading, true_value, acting_user=user)
                        keys += entry
                        if outcome.result == "again":
                            reading.refresh_from_db()
                            outcome = enter_blind(reading, true_value, acting_user=user)
                            keys += entry
                            keys_by_act["blind (two entries)"] += 2 * entry
                            counts["blind, keyed twice"] += 1
                        else:
                            keys_by_act["blind (one entry)"] += entry
                            counts["blind, keyed once"] += 1
                        counts[f"blind -> {outcome.result}"] += 1
                    elif reading.ocr_value == canonical:
                        confirm_field(reading, acting_user=user)
                        keys += ENTER
                        keys_by_act["confirm"] += ENTER
                        counts["confirmed"] += 1
                    else:
                        typed = SELECT_ALL + len(true_value) + ENTER
                        correct_field(reading, true_value, acting_user=user)
                        keys += typed
                        keys_by_act["correct"] += typed
                        counts["corrected"] += 1
                        corrected_kinds[kind] += 1
                except ReviewRefused as refusal:
                    refused.append(f"#{document.pk} {reading.definition.key}: {refusal.code}")
            keys += SUBMIT
            keys_by_act["submit (Ctrl+Enter)"] += SUBMIT
            looked += len(asks)
            seconds = KEY_SECONDS * keys + LOOK_SECONDS * len(asks)
            modelled_review_seconds += seconds
            review_keys += keys
            clock.advance(seconds + 1)  # the modelled time passes (see the docstring)
            record_effort(
                document, Effort(active_seconds=seconds, keystrokes=keys), acting_user=user
            )
            try:
                submit_document(document, acting_user=user)
            except ReviewRefused as refusal:
                refused.append(f"#{document.pk} submit: {refusal.code}")
                break
    review_wall = time.perf_counter() - t1

    # After the review: every value against the truth.
    after = list(ExtractedField.objects.filter(document__batch=batch).select_related("definition"))
    still_wrong = []
    for f in after:
        canonical = normalize(f.definition.kind, truth_of[f.document_id].get(f.definition.key, ""))
        if f.pk in reviewed_pks and f.value != canonical:
            still_wrong.append(f"#{f.document_id} {f.definition.key} ({f.status})")
    final = Counter(f.status for f in after)
    sessions = ReviewSession.objects.filter(document__batch=batch, user=user)
    recorded = sessions.aggregate(
        keys=Sum("keystrokes"),
        seconds=Sum("active_seconds"),
        corrected=Sum("fields_corrected"),
        confirmed=Sum("fields_confirmed"),
    )
    final_docs = Counter(Document.objects.filter(batch=batch).values_list("status", flat=True))
    straight = sum(1 for d in documents if d.status == Document.Status.AUTO_ACCEPTED)
    manual_seconds = KEY_SECONDS * manual + LOOK_SECONDS * manual_fields

    def pct(part: float, whole: float) -> str:
        return f"{100 * part / whole:.1f} %" if whole else "-"

    print(f"\nScripted review: {review_wall:.1f} s wall for {len(sessions)} sessions")
    print(f"Documents after review: {dict(final_docs)}")
    print("\nFields")
    print(f"  fields in all:                      {len(fields)} ({len(kinds)} per document)")
    print(f"  auto-accepted (nobody looks):       {len(auto)} ({pct(len(auto), len(fields))})")
    print(f"    of which wrong against truth:     {len(auto_wrong)} (residual error)")
    print(f"  needing a decision:                 {sum(reasons.values())} {dict(reasons)}")
    print(f"    confirmed (reading right):        {counts['confirmed']}")
    print(f"    corrected (typed):                {counts['corrected']}")
    print(f"      by kind:                        {dict(corrected_kinds.most_common())}")
    print(
        f"    My Numbers keyed blind:           once {counts['blind, keyed once']}, "
        f"twice {counts['blind, keyed twice']}"
    )
    print(
        f"  final statuses:                     {dict(final)}"
        f"  (blind outcomes: confirmed {counts['blind -> confirmed']}, "
        f"corrected {counts['blind -> corrected']})"
    )
    print(f"  reviewed values still wrong:        {len(still_wrong)} {still_wrong[:5]}")
    print(f"  refused acts:                       {len(refused)} {refused[:5]}")
    print("\nDocuments")
    print(
        f"  straight-through (auto-accepted):   {straight} of {len(documents)} "
        f"({pct(straight, len(documents))})"
    )
    print("\nKeystrokes (counted)")
    print(f"  manual keying of every field:       {manual}")
    print(f"  review, in all:                     {review_keys}")
    for act, n in sorted(keys_by_act.items()):
        print(f"    {act:<32}  {n}")
    print(f"  as recorded in ReviewSession:       {recorded['keys']}")
    print(f"  keystroke ratio review / manual:    {review_keys / manual:.3f}")
    print(f"  workload reduction (keystrokes):    {pct(manual - review_keys, manual)}")
    print(
        f"\nActive time (MODEL: {KEY_SECONDS} s per keystroke + {LOOK_SECONDS} s per field "
        "looked at; no person was timed)"
    )
    print(f"  manual:  {manual_seconds / 60:.1f} min ({manual_fields} fields looked at)")
    print(
        f"  review:  {modelled_review_seconds / 60:.1f} min ({looked} fields looked at); "
        f"recorded in ReviewSession: {(recorded['seconds'] or 0) / 60:.1f} min"
    )
    print(f"  modelled time ratio review / manual: {modelled_review_seconds / manual_seconds:.3f}")
    saved_seconds = manual_seconds - modelled_review_seconds
    print(f"  modelled reduction:                  {pct(saved_seconds, manual_seconds)}")
    n = len(documents) or 1
    print("\nPer document (all documents of the batch)")
    print(f"  keys:   manual {manual / n:.1f}, review {review_keys / n:.1f}")
    print(
        f"  active seconds (model): manual {manual_seconds / n:.1f}, "
        f"review {modelled_review_seconds / n:.1f}"
    )
    print(
        f"  ReviewSession fields corrected / confirmed: {recorded['corrected']} / "
        f"{recorded['confirmed']}"
    )


if __name__ == "__main__":
    main()
