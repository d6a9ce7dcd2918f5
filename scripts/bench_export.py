"""How fast an export is written: request, approval, build and download of N verified documents.

Creates one batch of ``--documents`` verified furusato-onestop documents whose fields hold
synthetic values (the generator's truth of ``--distinct`` forms, repeated; no OCR, no page
images), then times each act of ``ocr.exports.services`` with the default mapping (My
Numbers included, so the approval is part of it) in both encodings.

Usage (a DATA_DIR of its own; SQLite by default, or DATABASE_URL for PostgreSQL)::

    export DATA_DIR=/tmp/yexport
    python -m yomitoru.keys $DATA_DIR && python manage.py migrate
    python manage.py load_catalog
    python scripts/bench_export.py [--documents 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORM = "furusato-onestop"


def setup() -> None:
    if not os.environ.get("DATA_DIR"):
        sys.exit("Set DATA_DIR to a folder of its own (see the docstring).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--distinct", type=int, default=20)
    args = parser.parse_args()
    setup()
    from django.contrib.auth.models import Group, User
    from django.utils import timezone
    from guardian.shortcuts import assign_perm

    from forms_catalog.layouts import get_layout
    from forms_catalog.models import FormType
    from lab.synthetic.generator import generate_form
    from ocr.exports.services import (
        approve_export,
        build_export,
        download_export,
        mark_documents_exported,
        request_export,
    )
    from ocr.models import Batch, Document, ExtractedField, SourceFile
    from ocr.pipeline.validate import normalize

    form_type = FormType.objects.get(code=FORM, is_current=True)
    department = form_type.department
    handlers, _ = Group.objects.get_or_create(name="bench 個人番号取扱")
    for perm in ("process", "export", "view_mynumber"):
        assign_perm(f"forms_catalog.{perm}", handlers, form_type)
    assign_perm("forms_catalog.export", department, form_type)
    requester, _ = User.objects.get_or_create(username="bench_requester")
    approver, _ = User.objects.get_or_create(username="bench_approver")
    requester.groups.add(department, handlers)
    approver.groups.add(department)

    print(f"Building {args.documents} verified documents …", flush=True)
    t0 = time.perf_counter()
    layout = get_layout(FORM)
    truths = [
        generate_form(layout, random.Random(seed), split="train").truth
        for seed in range(args.distinct)
    ]
    definitions = list(form_type.fields.all())
    batch = Batch.objects.create(
        form_type=form_type, department=department, source=Batch.Source.CLI
    )
    source = SourceFile.objects.create(
        batch=batch, form_type=form_type, original_name="bench", sha256="0" * 64, size=0
    )
    now = timezone.now()
    documents = Document.objects.bulk_create(
        Document(
            batch=batch,
            source_file=source,
            form_type=form_type,
            status=Document.Status.VERIFIED,
            verified_at=now,
        )
        for _ in range(args.documents)
    )
    fields = []
    for index, document in enumerate(documents):
        truth = truths[index % len(truths)]
        for definition in definitions:
            value = normalize(definition.kind, truth.get(definition.key, ""))
            fields.append(
                ExtractedField(
                    document=document,
                    definition=definition,
                    ocr_value=value,
                    final_value=value,
                    status=ExtractedField.Status.CONFIRMED,
                )
            )
    ExtractedField.objects.bulk_create(fields, batch_size=2000)
    print(f"  {len(fields)} fields in {time.perf_counter() - t0:.1f} s (setup, not measured)")

    for encoding in ("utf-8-sig", "cp932"):
        t = time.perf_counter()
        job = request_export(form_type, acting_user=requester, batch=batch, encoding=encoding)
        requested = time.perf_counter() - t
        t = time.perf_counter()
        approve_export(job, acting_user=approver)
        approved = time.perf_counter() - t
        t = time.perf_counter()
        built = build_export(job.pk, acting_user=approver)
        build = time.perf_counter() - t
        t = time.perf_counter()
        download = download_export(job, acting_user=requester)
        fetched = time.perf_counter() - t
        t = time.perf_counter()
        marked = mark_documents_exported(job.pk)
        marking = time.perf_counter() - t
        print(
            f"{encoding}: {built.rows} rows, {len(download.content) / 1024:.0f} KiB; "
            f"request {requested * 1000:.0f} ms, approve {approved * 1000:.0f} ms, "
            f"build {build:.2f} s ({built.rows / build:.0f} rows/s), "
            f"download (decrypt, remove, log) {fetched * 1000:.0f} ms; "
            f"marking {marked} documents 出力済 (the task after it) {marking:.1f} s"
        )


if __name__ == "__main__":
    main()
