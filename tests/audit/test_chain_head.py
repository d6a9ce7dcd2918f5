"""The chain's head is also kept outside the database: a write-once file under DATA_DIR.

Each committed entry appends one line (sequence and seal) to it; ``verify_audit_chain`` checks
the database against it by default, so deleting entries from the end, or all of them, is
caught without a head exported by hand. The file may lag behind the database (a process that
died between its commit and its line), never run ahead of it.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import stat
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction

from audit import chain
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Writes groups (one audited entry each) and runs what runs after the commit."""

    def write(*names: str) -> list[AuditEntry]:
        with django_capture_on_commit_callbacks(execute=True):
            for name in names:
                Group.objects.create(name=name)
        return list(AuditEntry.objects.order_by("sequence"))

    return write


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_committed_entry_appends_its_head_to_a_private_file(committed, _head_log) -> None:
    entries = committed("係1", "係2", "係3")
    assert lines(_head_log) == [{"sequence": e.sequence, "seal": e.seal} for e in entries]
    assert stat.S_IMODE(_head_log.stat().st_mode) == 0o600
    assert stat.S_IMODE(_head_log.parent.stat().st_mode) == 0o700
    code, output = verify()
    assert code == 0 and "3 entries" in output


def test_deleting_every_entry_is_detected_by_default(committed) -> None:
    committed("係1", "係2", "係3")
    raw("DELETE FROM audit_auditentry", [])
    code, message = verify()
    assert code == 1, message
    assert "entries were removed from the end" in message


def test_deleting_entries_from_the_end_is_detected_by_default(committed) -> None:
    committed("係1", "係2", "係3", "係4")
    raw("DELETE FROM audit_auditentry WHERE sequence > %s", [2])
    code, message = verify()
    assert code == 1
    assert "the log ends at entry 2" in message and "entry 4" in message


def test_a_rolled_back_entry_leaves_no_line_ahead_of_the_database(
    committed, django_capture_on_commit_callbacks, _head_log
) -> None:
    committed("係1")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        Group.objects.create(name="取り消される係")
        raise RuntimeError("rolled back")
    assert [line["sequence"] for line in lines(_head_log)] == [1]
    committed("係2")  # takes the sequence the rolled-back entry had
    assert [line["sequence"] for line in lines(_head_log)] == [1, 2]
    assert verify()[0] == 0


def test_a_head_log_behind_the_database_is_accepted(committed, _head_log) -> None:
    committed("係1", "係2")
    Group.objects.create(name="係3")  # committed, but the process died before its line
    assert [line["sequence"] for line in lines(_head_log)] == [1, 2]
    code, output = verify()
    assert code == 0 and "3 entries" in output


def test_a_head_log_ahead_of_the_database_or_with_another_seal_is_refused(
    committed, _head_log
) -> None:
    entries = committed("係1", "係2")
    chain.append_head(5, entries[-1].seal)
    code, message = verify()
    assert code == 1 and "entries were removed from the end" in message

    _head_log.write_text(json.dumps({"sequence": 2, "seal": "f" * 64}) + "\n")
    code, message = verify()
    assert code == 1 and "entry 2 does not match" in message


def test_a_shuffled_tail_is_read_by_its_highest_sequence(committed, _head_log) -> None:
    # Two processes commit 1 and 2; the second may write its line first.
    entries = committed("係1", "係2")
    _head_log.write_text(
        "".join(json.dumps({"sequence": e.sequence, "seal": e.seal}) + "\n" for e in entries[::-1])
    )
    assert chain.read_head_log(_head_log) == {"sequence": 2, "seal": entries[1].seal}
    assert verify()[0] == 0


def _append_many(path: str, start: int) -> None:
    for sequence in range(start, start + 200):
        chain.append_head(sequence, f"{sequence:064x}", Path(path))


def test_processes_appending_at_once_write_whole_lines(_head_log) -> None:
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_append_many, args=(str(_head_log), 1 + 200 * n)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    found = sorted(line["sequence"] for line in lines(_head_log))
    assert found == list(range(1, 801))
    assert chain.read_head_log(_head_log) == {"sequence": 800, "seal": f"{800:064x}"}


def test_without_a_head_log_the_check_says_so_and_passes(committed, _head_log) -> None:
    Group.objects.create(name="係1")  # no line: as on an instance upgraded just now
    assert not _head_log.exists()
    code, output = verify()
    assert code == 0 and "no head log" in output


def test_the_officer_can_check_against_a_copy_of_the_head_log(
    committed, _head_log, tmp_path: Path
) -> None:
    committed("係1", "係2", "係3")
    copy = tmp_path / "copy.log"
    copy.write_bytes(_head_log.read_bytes())
    _head_log.unlink()
    raw("DELETE FROM audit_auditentry WHERE sequence > %s", [1])
    code, message = verify("--head", str(copy))
    assert code == 1 and "entries were removed from the end" in message
