"""Verifying the hash chain over the audit log, and the head kept outside the database.

The chain itself catches an edited, deleted, swapped or renumbered row, but not rows deleted
from the end: what is left is a consistent, shorter chain. So every committed head (sequence
and seal) is also appended, one line each, to the *head log*, a file under DATA_DIR that only
this application appends to (opened with O_APPEND, mode 0600, in a 0700 folder):
someone who can rewrite the database alone cannot rewrite it. ``verify_audit_chain`` checks
the database against it by default, and against a head the officer exported (``--head``).

The file may lag behind the database: its line is written after the commit, so a process
that dies in between leaves none, and a worker on another host appends to its own DATA_DIR.
It never runs ahead: an entry whose transaction rolls back writes no line. Several processes
append at once; each line is one ``write`` on a file opened with O_APPEND, so lines are whole,
though two processes committing together may write theirs in either order: the head is the
highest sequence among the last lines, not the last line.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from audit.models import GENESIS_SEAL, AuditEntry, compute_seal

logger = logging.getLogger(__name__)

# How much of the head log's end is read: many more lines than processes writing at once.
TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head_sequence: int
    head_seal: str
    problem: str = ""
    broken_sequence: int | None = None
    broken_id: int | None = None
    # Said, not failed: e.g. no head log yet, so truncation is not checked.
    warnings: tuple[str, ...] = field(default=())
    # The head the log was checked against (from the head log or an exported head).
    checked_head: int | None = None


def head_log_path() -> Path:
    """The head log: ``AUDIT_HEAD_LOG`` if set, else DATA_DIR/audit/chain-head.log."""
    configured = getattr(settings, "AUDIT_HEAD_LOG", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "audit" / "chain-head.log"


def head_line(sequence: int, seal: str) -> str:
    return json.dumps({"sequence": sequence, "seal": seal}) + "\n"


def append_head(sequence: int, seal: str, path: Path | None = None) -> None:
    """Append one head line (called once the entry's transaction has committed).

    A failure is logged, not raised: the entry is committed already, and a missing line only
    leaves the file behind the database, which verification accepts.
    """
    path = path or head_log_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags, 0o600)
        try:
            os.write(descriptor, head_line(sequence, seal).encode("ascii"))
        finally:
            os.close(descriptor)
    except OSError:
        logger.exception("could not append audit chain head %s to %s", sequence, path)


def read_head_log(path: Path) -> dict[str, Any] | None:
    """The highest head among the file's last lines; None for a missing or empty file.

    Also reads a head exported with ``--export-head`` (one line). A line that is not a head
    (cut short by a full disk, say) is skipped; a file with no readable head raises ValueError.
    """
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - TAIL_BYTES)
            handle.seek(start)
            tail = handle.read()
    except FileNotFoundError:
        return None
    lines = tail.decode("utf-8", errors="replace").splitlines()
    if start > 0 and lines:
        lines = lines[1:]  # the first line read may be cut
    heads = [head for line in lines if (head := _parse_head(line)) is not None]
    if not heads:
        if any(line.strip() for line in lines):
            raise ValueError(f"no audit chain head could be read from {path}")
        return None
    return max(heads, key=lambda head: head["sequence"])


def _parse_head(line: str) -> dict[str, Any] | None:
    try:
        head = json.loads(line)
    except ValueError:
        return None
    if not isinstance(head, dict):
        return None
    sequence, seal = head.get("sequence"), head.get("seal")
    if isinstance(sequence, int) and isinstance(seal, str) and len(seal) == 64:
        return {"sequence": sequence, "seal": seal}
    return None


def verify_chain(
    expected_head: dict | None = None,
    batch_size: int = 2000,
    *,
    head_log: Path | None = None,
    use_head_log: bool = True,
) -> ChainReport:
    """Walk the log in sequence order; report the first entry that breaks the chain.

    An edited row no longer matches its seal; a deleted row leaves a gap in the sequence; rows
    swapped or renumbered break the seal of the first moved entry; an actor pointed at another
    account no longer matches the identity sealed with it. Rows deleted from the end
    (truncation) leave a consistent but shorter chain: the head log (checked unless
    ``use_head_log`` is false) and an exported head (``expected_head``) reveal that.
    """
    previous_seal = GENESIS_SEAL
    expected_sequence = 1
    count = 0
    entries = AuditEntry.objects.order_by("sequence", "pk")
    for entry in entries.iterator(chunk_size=batch_size):
        count += 1
        if entry.sequence != expected_sequence:
            problem = (
                f"entry with sequence {expected_sequence} is missing (found {entry.sequence})"
                if entry.sequence is not None and entry.sequence > expected_sequence
                else f"entry id {entry.pk} has sequence {entry.sequence}, "
                f"expected {expected_sequence}"
            )
            return _broken(count, previous_seal, expected_sequence, entry.pk, problem)
        if compute_seal(previous_seal, entry) != entry.seal:
            problem = f"entry {entry.sequence} (id {entry.pk}) does not match its seal"
            return _broken(count, previous_seal, entry.sequence, entry.pk, problem)
        if _actor_moved(entry):
            problem = (
                f"entry {entry.sequence} (id {entry.pk}) names actor {entry.actor_id}, "
                f"but was sealed for user {entry.actor_user_pk}"
            )
            return _broken(count, previous_seal, entry.sequence, entry.pk, problem)
        previous_seal = entry.seal
        expected_sequence += 1
    head_sequence = expected_sequence - 1
    warnings: list[str] = []
    checked: int | None = None
    heads: list[tuple[str, dict]] = []
    if use_head_log:
        path = head_log or head_log_path()
        try:
            logged = read_head_log(path)
        except (OSError, ValueError) as exc:
            problem = f"the head log {path} cannot be read: {exc}"
            return ChainReport(False, count, head_sequence, previous_seal, problem)
        if logged is not None:
            heads.append(("the head log", logged))
        elif head_sequence > 0:
            warnings.append(
                f"no head log at {path}: entries removed from the end are not detected "
                "(it starts with the next entry written)"
            )
    if expected_head is not None:
        heads.append(("the exported head", expected_head))
    for source, head in heads:
        problem = _compare_head(head, head_sequence, previous_seal, source)
        if problem:
            return ChainReport(False, count, head_sequence, previous_seal, problem)
        checked = max(checked or 0, int(head["sequence"]))
    return ChainReport(
        True, count, head_sequence, previous_seal, warnings=tuple(warnings), checked_head=checked
    )


def _actor_moved(entry: AuditEntry) -> bool:
    """A sealed identity whose foreign key now points elsewhere (NULL is allowed: the
    account row may be gone)."""
    return (
        entry.seal_version >= 2
        and entry.actor_id is not None
        and entry.actor_id != entry.actor_user_pk
    )


def _broken(count: int, seal: str, sequence: int, pk: int, problem: str) -> ChainReport:
    return ChainReport(False, count, sequence - 1, seal, problem, sequence, pk)


def _compare_head(
    expected: dict, head_sequence: int, head_seal: str, source: str = "the exported head"
) -> str:
    sequence = int(expected["sequence"])
    if head_sequence < sequence:
        return (
            f"the log ends at entry {head_sequence} but {source} is entry {sequence}: "
            "entries were removed from the end"
        )
    if head_sequence == sequence and head_seal != expected["seal"]:
        return f"entry {sequence} does not match {source}"
    if head_sequence > sequence:
        seal = AuditEntry.objects.filter(sequence=sequence).values_list("seal", flat=True).first()
        if seal != expected["seal"]:
            return f"entry {sequence} does not match {source}"
    return ""


def head_json(report: ChainReport) -> str:
    return json.dumps({"sequence": report.head_sequence, "seal": report.head_seal})
