"""The verification queue at a season's volume: queries and wall time of its pages.

Builds (once) a season's worth of read documents directly with ``bulk_create`` — no image,
no OCR: batches of ``--batch-size`` documents cycling over the four standard form types, each
document with the readings of the first ``--fields`` field definitions of its form type, ~70 %
of the documents waiting for a person — then signs in as a clerk of both departments
(``process`` on every form type through the department groups, as
``tests.personas.department_clerks`` grants it) and measures, with Django's test client:

- the home page (its counts of waiting documents);
- the queue list (changelist), filtered by form type, and by reason;
- 次へ (POST next; the document is given back through ``ocr.review.services.release``
  afterwards, outside the measurement, so every run claims from the same queue);
- the review screen of a claimed document: the HTML request only (its page images and crops
  are separate requests, not fetched here).

For each: SQL queries (``CaptureQueriesContext``), median and p95 wall time. Then EXPLAIN
ANALYZE of the claim (the ``SELECT ... FOR UPDATE SKIP LOCKED`` of ``claim_next``) and of the
changelist's main query, as captured from the requests, and whether they use indexes.

Usage (a database of its own; it refuses a database holding documents it did not build)::

    createdb -h 127.0.0.1 -U postgres yomitoru_bench
    export DATA_DIR=/tmp/ybench DATABASE_URL=postgresql://postgres@127.0.0.1:5432/yomitoru_bench
    python -m yomitoru.keys $DATA_DIR && python manage.py migrate && python manage.py load_catalog
    python scripts/bench_review_queue.py [--documents 100000] [--runs 10] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The one department group of this script's own clerk: its presence marks a bench database.
BENCH_MARK = "bench: queue clerks"
SLOW_QUERIES = 3
TRUNCATE = (
    "TRUNCATE ocr_cellcheck, ocr_reveal, ocr_reviewsession, ocr_ocrrun, ocr_extractedfield,"
    " ocr_page, ocr_document, ocr_sourcefile, ocr_batch"
)


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


# --------------------------------------------------------------------------- building


def synthetic_value(kind: str, rng: random.Random, options: list[dict]) -> str:
    """A short value shaped like the kind (not validated: the queue never looks at values)."""
    from yomitoru.lib import mynumber

    if kind == "mynumber":
        first = "00" + "".join(rng.choice("0123456789") for _ in range(9))
        return first + str(mynumber.check_digit(first))
    if kind == "corporate_number":
        return "".join(rng.choice("0123456789") for _ in range(13))
    if kind in ("amount", "digits"):
        return str(rng.randint(1, 9_999_999))
    if kind == "postal_code":
        return f"{rng.randint(0, 9_999_999):07d}"
    if kind == "phone":
        return f"03{rng.randint(0, 99_999_999):08d}"
    if kind in ("date", "wareki_date"):
        return f"R0{rng.randint(1, 7)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}"
    if kind == "katakana":
        return rng.choice(["ヤマダ タロウ", "スズキ ハナコ", "サトウ ジロウ"])
    if kind == "checkbox":
        return rng.choice(["0", "1"])
    if kind == "choice":
        return options[0]["value"] if options else "1"
    return rng.choice(["架空 太郎", "架空県架空市本町1-2-3", "架空商事株式会社"])


def document_shape(rng: random.Random) -> str:
    """needs_review 70 %, auto_accepted 15 %, verified 15 %."""
    roll = rng.random()
    if roll < 0.70:
        return "needs_review"
    return "auto_accepted" if roll < 0.85 else "verified"


def field_state(shape: str, definition: Any, rng: random.Random) -> tuple[str, str, list[str]]:
    """(status, review_reason, validation_errors) of one reading of a document of ``shape``.

    A waiting document has ~20 % of its fields waiting (at least one), for low confidence
    (75 %), a validation error (15 %), an unaligned page (5 %) or as a quality sample (5 %);
    its My Number waits on ~25 % of documents (the queue hides those from a clerk without
    the My Number right).
    """
    from ocr.models import ExtractedField

    F = ExtractedField.Status
    R = ExtractedField.Reason
    if shape == "auto_accepted":
        return F.AUTO_ACCEPTED, "", []
    if shape == "verified":
        if rng.random() < 0.2:
            return rng.choice([F.CORRECTED, F.CONFIRMED]), R.LOW_CONFIDENCE, []
        return F.AUTO_ACCEPTED, "", []
    waits = rng.random() < (0.25 if definition.kind == "mynumber" else 0.2)
    if not waits:
        return F.AUTO_ACCEPTED, "", []
    roll = rng.random()
    if roll < 0.75:
        return F.NEEDS_REVIEW, R.LOW_CONFIDENCE, []
    if roll < 0.90:
        return F.NEEDS_REVIEW, R.VALIDATION, ["required"]
    if roll < 0.95:
        return F.NEEDS_REVIEW, R.ALIGNMENT, ["page_not_aligned"]
    return F.NEEDS_REVIEW, R.QA_SAMPLE, []


def build(documents: int, batch_size: int, fields_per_document: int, seed: int) -> dict:
    """Batches, files, documents, pages and readings; returns what was built and how fast."""
    from django.db import transaction
    from django.utils import timezone

    from forms_catalog.models import FormType
    from ocr.disclosure import value_digest
    from ocr.models import Batch, Document, ExtractedField, Page, SourceFile

    rng = random.Random(seed)
    form_types = list(FormType.objects.filter(is_current=True).order_by("code"))
    definitions = {
        ft.pk: list(ft.fields.order_by("order", "id")[:fields_per_document]) for ft in form_types
    }
    started = time.perf_counter()
    encrypt_seconds = 0.0
    fields_made = 0
    batches = (documents + batch_size - 1) // batch_size
    now = timezone.now()
    for number in range(batches):
        form_type = form_types[number % len(form_types)]
        count = min(batch_size, documents - number * batch_size)
        with transaction.atomic():
            batch = Batch.objects.create(
                form_type=form_type,
                department=form_type.department,
                source=Batch.Source.FOLDER,
                status=Batch.Status.DONE,
            )
            files = SourceFile.objects.bulk_create(
                SourceFile(
                    batch=batch,
                    form_type=form_type,
                    original_name=f"scan-{number:04d}-{i:04d}.png",
                    sha256=f"{number:032x}{i:032x}",
                    size=250_000,
                    content_type="image/png",
                    page_count=form_type.page_count,
                    status=SourceFile.Status.ACCEPTED,
                )
                for i in range(count)
            )
            shapes = [document_shape(rng) for _ in range(count)]
            docs = Document.objects.bulk_create(
                Document(
                    batch=batch,
                    source_file=source,
                    form_type=form_type,
                    status={
                        "needs_review": Document.Status.NEEDS_REVIEW,
                        "auto_accepted": Document.Status.AUTO_ACCEPTED,
                        "verified": Document.Status.VERIFIED,
                    }[shape],
                    verified_at=now if shape == "verified" else None,
                )
                for source, shape in zip(files, shapes, strict=True)
            )
            Page.objects.bulk_create(
                Page(
                    document=doc,
                    number=page,
                    width=2480,
                    height=3508,
                    alignment=Page.Alignment.ALIGNED,
                    alignment_score=0.9,
                )
                for doc in docs
                for page in range(1, form_type.page_count + 1)
            )
            readings = []
            for doc, shape in zip(docs, shapes, strict=True):
                for definition in definitions[form_type.pk]:
                    status, reason, errors = field_state(shape, definition, rng)
                    value = synthetic_value(definition.kind, rng, definition.options)
                    decided = status != ExtractedField.Status.NEEDS_REVIEW
                    readings.append(
                        ExtractedField(
                            document=doc,
                            definition=definition,
                            ocr_value=value,
                            final_value=value if decided else "",
                            value_digest=value_digest(definition, value)
                            if definition.sensitive
                            else "",
                            confidence=0.99 if not reason else round(rng.uniform(0.4, 0.9), 3),
                            cell_confidences=[0.99] * definition.cells,
                            validation_errors=errors,
                            status=status,
                            review_reason=reason,
                        )
                    )
            t0 = time.perf_counter()
            ExtractedField.objects.bulk_create(readings, batch_size=2000)
            encrypt_seconds += time.perf_counter() - t0
            fields_made += len(readings)
        if (number + 1) % 20 == 0 or number + 1 == batches:
            done = min((number + 1) * batch_size, documents)
            print(
                f"  built {done} documents, {fields_made} readings, "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
    return {
        "documents": documents,
        "batches": batches,
        "fields": fields_made,
        "seconds": time.perf_counter() - started,
        "field_insert_seconds": encrypt_seconds,
    }


def encryption_cost(samples: int = 20_000) -> float:
    """Microseconds to encrypt one short value (each reading encrypts four columns)."""
    from yomitoru.fields import encrypt_value

    t0 = time.perf_counter()
    for _ in range(samples):
        encrypt_value("架空 太郎")
    return (time.perf_counter() - t0) / samples * 1e6


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def clerks() -> tuple[Any, Any]:
    """Two clerks of both departments: one also a My Number handler, one not."""
    from django.contrib.auth.models import Group, Permission, User
    from guardian.shortcuts import assign_perm

    from forms_catalog.models import FormType
    from tests.personas import STAFF_VIEWS

    handlers, _ = Group.objects.get_or_create(name=BENCH_MARK)
    views = Permission.objects.filter(codename__in=STAFF_VIEWS)
    people = []
    for username, with_mynumber in (("bench_clerk", True), ("bench_clerk_no_mn", False)):
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created:
            user.set_unusable_password()
            user.save()
        user.user_permissions.add(*views)
        for form_type in FormType.objects.filter(is_current=True):
            for perm in ("process", "export"):
                assign_perm(f"forms_catalog.{perm}", form_type.department, form_type)
            assign_perm("forms_catalog.view_mynumber", handlers, form_type)
            user.groups.add(form_type.department)
        if with_mynumber:
            user.groups.add(handlers)
        people.append(user)
    return people[0], people[1]


# --------------------------------------------------------------------------- measuring


def timed(label: str, runs: int, request: Any, after: Any = None) -> dict:
    """Run ``request`` ``runs`` times (plus one warm-up); queries of the last run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request()
    if after:
        after()
    seconds = []
    captured: list[dict] = []
    status = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = request()
            seconds.append(time.perf_counter() - t0)
        status = response.status_code
        captured = list(queries.captured_queries)
        if after:
            after()
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "label": label,
        "status": status,
        "queries": len(captured),
        "sql_ms": sum(float(q["time"]) for q in captured) * 1000,
        "median_ms": statistics.median(seconds) * 1000,
        "p95_ms": p95 * 1000,
        "captured": captured,
    }


def explain(sql: str) -> str:
    """EXPLAIN ANALYZE inside a transaction that is rolled back (the claim locks a row)."""
    from django.db import connection, transaction

    lines: list[str] = []
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                lines = [row[0] for row in cursor.fetchall()]
            raise _Rollback
    except _Rollback:
        pass
    return "\n".join(lines)


class _Rollback(Exception):
    pass


def plan_summary(plan: str) -> str:
    indexes = sorted(
        set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", plan))
        | set(re.findall(r"Bitmap Index Scan on (\w+)", plan))
    )
    seq = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
    total = re.search(r"Execution Time: ([\d.]+) ms", plan)
    jit = re.search(r"Timing: .*Total ([\d.]+) ms", plan)
    return (
        f"execution {total.group(1) if total else '?'} ms"
        f"{f' (of which JIT {jit.group(1)} ms)' if jit else ''}; "
        f"indexes: {', '.join(indexes) or '-'}; seq scans: {', '.join(seq) or '-'}"
    )


def find_query(captured: list[dict], *needles: str) -> str:
    for query in captured:
        if all(n in query["sql"] for n in needles):
            return query["sql"]
    return ""


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'request':<44} {'HTTP':>4} {'queries':>7} {'SQL ms':>8} {'median ms':>9} {'p95 ms':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['label']:<44} {r['status']:>4} {r['queries']:>7} {r['sql_ms']:>8.1f} "
            f"{r['median_ms']:>9.1f} {r['p95_ms']:>8.1f}"
        )


def print_slowest(rows: list[dict]) -> None:
    print("\nSlowest queries of each request (last run):")
    for r in rows:
        print(f"  {r['label']}:")
        for q in sorted(r["captured"], key=lambda q: -float(q["time"]))[:SLOW_QUERIES]:
            sql = re.sub(r"\s+", " ", q["sql"])
            print(f"    {float(q['time']) * 1000:7.1f} ms  {sql[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--fields", type=int, default=15, help="readings per document (at most)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rebuild", action="store_true", help="delete the bench data first")
    parser.add_argument("--plans", action="store_true", help="print the full EXPLAIN plans")
    parser.add_argument(
        "--no-jit", action="store_true", help="measure with PostgreSQL's JIT off (SET jit = off)"
    )
    args = parser.parse_args()
    setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from forms_catalog.models import FormType
    from ocr.models import Document, ExtractedField
    from ocr.review.services import held_by, release
    from tests.personas import login

    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL (see the docstring).")
    if not FormType.objects.exists():
        sys.exit("No form types: run manage.py migrate and load_catalog first.")
    ours = Group.objects.filter(name=BENCH_MARK).exists()
    existing = Document.objects.count()
    if existing and not ours:
        sys.exit("This database holds documents this script did not build: use a bench database.")
    if args.rebuild and existing:
        print(f"Deleting {existing} bench documents ...", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(TRUNCATE)
        existing = 0
    print(f"Encrypting one short value: {encryption_cost():.1f} µs (4 encrypted columns a row)")
    if existing == 0:
        print(f"Building {args.documents} documents ...", flush=True)
        built = build(args.documents, args.batch_size, args.fields, args.seed)
        print(
            f"Built {built['documents']} documents in {built['batches']} batches, "
            f"{built['fields']} readings in {built['seconds']:.0f} s "
            f"(readings' bulk_create incl. encryption: {built['field_insert_seconds']:.0f} s)"
        )
        analyze()
    else:
        print(f"Reusing the {existing} documents built before (--rebuild to build again).")
    with_mn, without_mn = clerks()
    for user in (with_mn, without_mn):
        held = held_by(user)
        if held is not None:
            release(held, acting_user=user)

    if args.no_jit:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        print(f"PostgreSQL JIT: {cursor.fetchone()[0]}")
    D = Document.Status
    F = ExtractedField.Status
    print("\nData:")
    print(f"  documents: {Document.objects.count()}")
    for status in (D.NEEDS_REVIEW, D.IN_REVIEW, D.AUTO_ACCEPTED, D.VERIFIED):
        print(f"    {status}: {Document.objects.filter(status=status).count()}")
    print(f"  readings: {ExtractedField.objects.count()}")
    for field_status in (F.NEEDS_REVIEW, F.AUTO_ACCEPTED, F.CORRECTED, F.CONFIRMED):
        print(f"    {field_status}: {ExtractedField.objects.filter(status=field_status).count()}")

    changelist = reverse("admin:ocr_reviewitem_changelist")
    next_url = reverse("admin:ocr_reviewitem_next")
    furusato = FormType.objects.get(code="furusato-onestop", is_current=True)
    rows: list[dict] = []
    for user, who in ((with_mn, "clerk"), (without_mn, "clerk w/o My Number")):
        client = login(Client(), user)

        def get(url: str, data: dict | None = None, client: Client = client) -> Any:
            return client.get(url, data or {})

        rows.append(timed(f"home page ({who})", args.runs, lambda: get(reverse("admin:index"))))
        rows.append(timed(f"queue list ({who})", args.runs, lambda: get(changelist)))
        if user is with_mn:
            rows.append(
                timed(
                    "queue list, form type = furusato",
                    args.runs,
                    lambda: get(changelist, {"form_type__id__exact": furusato.pk}),
                )
            )
            rows.append(
                timed(
                    "queue list, reason = validation",
                    args.runs,
                    lambda: get(changelist, {"reason": "validation"}),
                )
            )
            rows.append(
                timed(
                    "queue list, reason = alignment, page 20",
                    args.runs,
                    lambda: get(changelist, {"reason": "alignment", "p": 20}),
                )
            )

        def give_back(user: Any = user) -> None:
            held = held_by(user)
            if held is not None:
                release(held, acting_user=user)

        rows.append(
            timed(
                f"次へ POST next ({who})", args.runs, lambda c=client: c.post(next_url), give_back
            )
        )
    # The review screen: one claimed document, opened again and again (HTML only).
    client = login(Client(), with_mn)
    client.post(next_url)
    held = held_by(with_mn)
    assert held is not None, "nothing to claim"
    review_url = reverse("admin:ocr_reviewitem_review", args=[held.pk])
    rows.append(
        timed(
            f"review screen GET #{held.pk} (HTML only)", args.runs, lambda: client.get(review_url)
        )
    )
    release(held, acting_user=with_mn)

    print(f"\n{args.runs} runs each after one warm-up; SQL ms = the queries' own time, last run.")
    print_table(rows)
    print_slowest(rows)

    print("\nPlans (EXPLAIN ANALYZE, rolled back):")
    by_label = {r["label"]: r for r in rows}
    claim_sql = find_query(by_label["次へ POST next (clerk)"]["captured"], "SKIP LOCKED")
    main_sql = find_query(by_label["queue list (clerk)"]["captured"], "LIMIT 50", "ORDER BY")
    without_sql = find_query(
        by_label["queue list (clerk w/o My Number)"]["captured"], "LIMIT 50", "ORDER BY"
    )
    reason_sql = find_query(
        by_label["queue list, reason = alignment, page 20"]["captured"], "LIMIT 50", "ORDER BY"
    )
    for name, sql in (
        ("claim (claim_next, FOR UPDATE SKIP LOCKED)", claim_sql),
        ("changelist main query (clerk)", main_sql),
        ("changelist main query (clerk w/o My Number)", without_sql),
        ("changelist main query, reason = alignment, page 20", reason_sql),
    ):
        if not sql:
            print(f"  {name}: not found among the captured queries")
            continue
        plan = explain(sql)
        print(f"  {name}: {plan_summary(plan)}")
        if args.plans:
            print("    SQL: " + re.sub(r"\s+", " ", sql))
            print("\n".join("    " + line for line in plan.splitlines()))


if __name__ == "__main__":
    main()
