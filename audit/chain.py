"""Verifying the hash chain over the audit log, and its exportable head."""

from __future__ import annotations

import json
from dataclasses import dataclass

from audit.models import GENESIS_SEAL, AuditEntry, compute_seal


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head_sequence: int
    head_seal: str
    problem: str = ""
    broken_sequence: int | None = None
    broken_id: int | None = None


def verify_chain(expected_head: dict | None = None, batch_size: int = 2000) -> ChainReport:
    """Walk the log in sequence order; report the first entry that breaks the chain.

    An edited row no longer matches its seal; a deleted row leaves a gap in the sequence; rows
    swapped or renumbered break the seal of the first moved entry. Rows deleted from the end
    (truncation) leave a consistent but shorter chain: only a head kept outside the database
    (``expected_head``) reveals that.
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
        previous_seal = entry.seal
        expected_sequence += 1
    head_sequence = expected_sequence - 1
    if expected_head is not None:
        problem = _compare_head(expected_head, head_sequence, previous_seal)
        if problem:
            return ChainReport(False, count, head_sequence, previous_seal, problem)
    return ChainReport(True, count, head_sequence, previous_seal)


def _broken(count: int, seal: str, sequence: int, pk: int, problem: str) -> ChainReport:
    return ChainReport(False, count, sequence - 1, seal, problem, sequence, pk)


def _compare_head(expected: dict, head_sequence: int, head_seal: str) -> str:
    sequence = int(expected["sequence"])
    if head_sequence < sequence:
        return (
            f"the log ends at entry {head_sequence} but the exported head is entry {sequence}: "
            "entries were removed from the end"
        )
    if head_sequence == sequence and head_seal != expected["seal"]:
        return f"entry {sequence} does not match the exported head"
    if head_sequence > sequence:
        seal = AuditEntry.objects.filter(sequence=sequence).values_list("seal", flat=True).first()
        if seal != expected["seal"]:
            return f"entry {sequence} does not match the exported head"
    return ""


def head_json(report: ChainReport) -> str:
    return json.dumps({"sequence": report.head_sequence, "seal": report.head_seal})
