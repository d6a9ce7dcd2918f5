"""The status tables (ocr.transitions): every status reached, none a trap, nothing else allowed."""

from __future__ import annotations

import itertools

import pytest

from ocr.models import Document, ExtractedField
from ocr.processing import READABLE
from ocr.transitions import (
    DECIDED,
    DOCUMENT,
    FIELD,
    TransitionRefused,
    move_document,
    move_field,
    sources_of,
)

D = Document.Status
F = ExtractedField.Status


def reachable(table: dict[str, frozenset[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in table[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_tables_name_every_status_and_nothing_else() -> None:
    assert set(DOCUMENT) == set(D.values)
    assert set().union(*DOCUMENT.values()) <= set(D.values)
    assert set(FIELD) == set(F.values)
    assert set().union(*FIELD.values()) <= set(F.values)


def test_every_document_status_is_reachable_from_queued() -> None:
    assert reachable(DOCUMENT, D.QUEUED) == set(D.values)


def test_every_status_but_disposed_has_a_way_out_and_disposal_is_always_reached() -> None:
    sinks = {status for status, targets in DOCUMENT.items() if not targets - {status}}
    assert sinks == {D.DISPOSED}
    # No set of statuses a document can circle in forever: the end is reachable from each.
    for status in D.values:
        assert D.DISPOSED in reachable(DOCUMENT, status), status


def test_a_decided_document_never_goes_back_to_review_or_reading() -> None:
    for status in DECIDED:
        assert reachable(DOCUMENT, status) <= DECIDED, status


def test_a_person_decides_a_field_and_nothing_gives_it_back_to_the_machine() -> None:
    for targets in FIELD.values():
        assert targets == {F.CORRECTED, F.CONFIRMED}


def test_every_move_the_document_table_does_not_name_is_refused() -> None:
    for current, target in itertools.product(D.values, repeat=2):
        document = Document(status=current)
        if target in DOCUMENT[current]:
            move_document(document, target)
            assert document.status == target
            continue
        with pytest.raises(TransitionRefused, match=f"^{current} -> {target}$"):
            move_document(document, target)
        assert document.status == current


def test_every_move_the_field_table_does_not_name_is_refused() -> None:
    for current, target in itertools.product(F.values, repeat=2):
        reading = ExtractedField(status=current)
        if target in FIELD[current]:
            move_field(reading, target)
            assert reading.status == target
            continue
        with pytest.raises(TransitionRefused, match=f"^{current} -> {target}$"):
            move_field(reading, target)
        assert reading.status == current


def test_what_the_machine_may_read_again_comes_from_the_table() -> None:
    assert set(sources_of(DOCUMENT, D.PROCESSING)) == {
        D.QUEUED,
        D.FAILED,
        D.NEEDS_REVIEW,
        D.AUTO_ACCEPTED,
    }
    # Never a document a clerk holds or has decided.
    assert not {D.IN_REVIEW, *DECIDED} & set(READABLE)
