"""次へ under load: many clerks at once, each on a database connection of their own.

Run on both databases: PostgreSQL claims with ``SELECT ... FOR UPDATE SKIP LOCKED``, SQLite
(the test database is a file, so each thread has a connection of its own) with a conditional
update inside transactions that take the write lock at BEGIN.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from ocr.models import Document, ExtractedField, ReviewSession
from ocr.review.services import (
    ReviewRefused,
    _field_of,
    _held,
    claim_next,
    correct_field,
    submit_document,
)
from tests.ocr.waiting import many_waiting_documents, new_batch, second_clerk, waiting_document
from tests.personas import department_clerks

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
DOCUMENTS = 240

T = TypeVar("T")


def in_threads(work: list[Callable[[], T]], timeout: float = 300) -> list[T]:
    """Run each callable in a thread of its own (its own connection, closed at the end)."""
    results: list[T | None] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], T]) -> None:
        try:
            results[index] = job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a clerk is stuck"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


@pytest.fixture
def clerks(catalog) -> list[User]:
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    extra = [second_clerk(furusato, f"clerk_{n}") for n in range(THREADS - 2)]
    return [people["owner"], people["no_mynumber"], *extra]


def test_clerks_pressing_next_at_once_never_get_the_same_document(catalog, clerks) -> None:
    furusato = catalog["furusato-onestop"]
    documents = many_waiting_documents(furusato, new_batch(furusato), DOCUMENTS)
    start = threading.Barrier(THREADS)

    busy = Counter[str]()

    def patiently(act: Callable[[], T]) -> T:
        """SQLite's busy wait is not a queue: under load a writer may wait out its timeout
        and be told the database is locked. As a clerk would, press again (counted)."""
        while True:
            try:
                return act()
            except OperationalError as exc:
                if connection.vendor != "sqlite" or "locked" not in str(exc):
                    raise
                busy[threading.current_thread().name] += 1

    def work_through(clerk: User) -> Callable[[], tuple[list[tuple[int, int]], int]]:
        def drain() -> tuple[list[tuple[int, int]], int]:
            taken: list[tuple[int, int]] = []
            attempts = 0
            start.wait()
            while True:
                attempts += 1
                document = patiently(lambda: claim_next(acting_user=clerk))
                if document is None:
                    return taken, attempts
                taken.append((document.pk, clerk.pk))
                patiently(lambda d=document: submit_document(d, acting_user=clerk))

        return drain

    began = time.monotonic()
    results = in_threads([work_through(clerk) for clerk in clerks])
    seconds = time.monotonic() - began

    pairs = [pair for taken, _ in results for pair in taken]
    attempts = sum(count for _, count in results)
    claims_per_document = Counter(document for document, _ in pairs)
    doubles = sum(count - 1 for count in claims_per_document.values() if count > 1)
    print(
        f"\n[{connection.vendor}] {THREADS} threads, {DOCUMENTS} documents: "
        f"{attempts} claim_next calls, {len(pairs)} claims, {doubles} double claims, "
        f"{busy.total()} calls told the database was locked, "
        f"per clerk {sorted(len(taken) for taken, _ in results)}, {seconds:.1f} s"
    )
    assert doubles == 0
    assert sorted(claims_per_document) == documents
    assert set(claims_per_document.values()) == {1}
    # Each clerk asked once more than they were given: the empty queue's answer.
    assert attempts == len(pairs) + THREADS
    # What the database kept agrees: each document verified by the one clerk who took it.
    verified = dict(Document.objects.filter(pk__in=documents).values_list("pk", "verified_by"))
    assert verified == dict(pairs)
    assert not Document.objects.exclude(status=Document.Status.VERIFIED).exists()
    sessions = Counter(ReviewSession.objects.values_list("document", flat=True))
    assert set(sessions.values()) == {1} and len(sessions) == DOCUMENTS


def test_a_claim_left_by_a_killed_session_is_taken_by_another_clerk(
    catalog, clerks, monkeypatch
) -> None:
    furusato = catalog["furusato-onestop"]
    document = waiting_document(furusato, review=("name",))
    gone, other = clerks[0], clerks[1]
    # The first clerk claims on a connection of their own, then is never heard of again.
    [claimed] = in_threads([lambda: claim_next(acting_user=gone).pk])
    assert claimed == document.pk
    assert claim_next(acting_user=other) is None

    later = timezone.now() + timedelta(minutes=settings.REVIEW_CLAIM_MINUTES, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    taken = claim_next(acting_user=other)

    assert taken is not None and taken.pk == document.pk
    assert taken.claimed_by == other
    name = ExtractedField.objects.get(document=document, definition__key="name")
    with pytest.raises(ReviewRefused) as refused:
        correct_field(name, "架空 花子", acting_user=gone)
    assert refused.value.code == "claim_lost"
    outcomes = dict(ReviewSession.objects.filter(document=document).values_list("user", "outcome"))
    assert outcomes == {gone.pk: ReviewSession.Outcome.LAPSED, other.pk: ReviewSession.Outcome.OPEN}


def test_a_clerks_save_locks_only_the_rows_it_changes(catalog, clerks) -> None:
    """While one clerk's save is under way, an upload and a reading of the same form type
    (rows that point at its form type and field definitions) go on without waiting."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises every writer)")
    furusato = catalog["furusato-onestop"]
    document = waiting_document(furusato, review=("name",))
    clerk = clerks[0]
    claim_next(acting_user=clerk)
    name = ExtractedField.objects.get(document=document, definition__key="name")
    inside, finish = threading.Event(), threading.Event()

    def saving() -> None:
        with transaction.atomic():
            _field_of(_held(document, clerk), name)
            inside.set()
            assert finish.wait(30)

    worker = threading.Thread(target=lambda: in_threads([saving]))
    worker.start()
    try:
        assert inside.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            try:
                many_waiting_documents(furusato, new_batch(furusato), 1)
            except OperationalError as exc:  # pragma: no cover - the failure this guards
                pytest.fail(f"an upload waited for a clerk's save: {exc}")
    finally:
        finish.set()
        worker.join(30)
