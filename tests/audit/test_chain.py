"""The hash chain over the audit log detects edited, deleted, swapped and truncated entries."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries() -> list[AuditEntry]:
    # Creating, renaming and deleting groups writes audited entries through django-auditlog.
    for index in range(5):
        group = Group.objects.create(name=f"係{index}")
        group.name = f"係{index}（改）"
        group.save()
    return list(AuditEntry.objects.order_by("sequence"))


def verify(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue()


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_untouched_chain_verifies(entries) -> None:
    assert [e.sequence for e in entries] == list(range(1, 11))
    code, output = verify()
    assert code == 0
    assert "10 entries" in output


def test_entries_cannot_be_changed_or_deleted_through_the_orm(entries) -> None:
    entry = entries[0]
    entry.object_repr = "改ざん"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_an_edited_row_is_detected_at_that_entry(entries) -> None:
    target = entries[3]
    raw("UPDATE audit_auditentry SET object_repr = %s WHERE id = %s", ["別の内容", target.pk])
    code, message = verify()
    assert code == 1
    assert f"entry {target.sequence} (id {target.pk}) does not match its seal" in message


def test_a_deleted_row_is_detected_at_the_gap(entries) -> None:
    raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[4].pk])
    code, message = verify()
    assert code == 1
    assert "sequence 5 is missing" in message


def test_swapped_rows_are_detected(entries) -> None:
    first, second = entries[2], entries[6]
    raw("UPDATE audit_auditentry SET sequence = %s WHERE id = %s", [999_999, first.pk])
    raw("UPDATE audit_auditentry SET sequence = %s WHERE id = %s", [first.sequence, second.pk])
    raw("UPDATE audit_auditentry SET sequence = %s WHERE id = %s", [second.sequence, first.pk])
    code, message = verify()
    assert code == 1
    assert f"entry {first.sequence} (id {second.pk}) does not match its seal" in message


def test_truncation_is_detected_against_an_exported_head(entries, tmp_path: Path) -> None:
    head = tmp_path / "head.json"
    code, _ = verify("--export-head", str(head))
    assert code == 0
    assert json.loads(head.read_text())["sequence"] == 10
    raw("DELETE FROM audit_auditentry WHERE sequence > %s", [7])
    assert verify()[0] == 0, "a shorter chain is consistent in itself"
    code, message = verify("--head", str(head))
    assert code == 1
    assert "entries were removed from the end" in message


def test_the_chain_goes_on_after_a_head_was_exported(entries, tmp_path: Path) -> None:
    head = tmp_path / "head.json"
    verify("--export-head", str(head))
    Group.objects.create(name="新しい係")
    assert verify("--head", str(head))[0] == 0
