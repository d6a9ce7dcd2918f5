"""``manage.py export_training_cells --user ADMIN --out FILE [--since DATE] [--form CODE]``

The verified digit cells of non-sensitive fields (amounts, dates, phone numbers, postal codes;
never a My Number or corporate number) as an encrypted training set for
``scripts/train_digits.py --fine-tune`` (see ``ocr.training_cells`` and the README's
"Improving the reader with your own corrections"). Made as the named person, who needs the
permission ``ocr.export_training_cells``; one audit entry records the counts.

The file is encrypted with this instance's file keys and written readable by its owner only;
it opens on this machine (or one holding the same keys) and nowhere else.
Exit codes: 0 written, 1 refused or nothing to export.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocr.training_cells import MAX_CELLS, TrainingExportRefused, export_training_cells


class Command(BaseCommand):
    help = "Export verified digit cells of non-sensitive fields as an encrypted training set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the administrator exporting")
        parser.add_argument("--out", required=True, type=Path, help="the encrypted file to write")
        parser.add_argument(
            "--since", type=date.fromisoformat, help="fields verified on or after (YYYY-MM-DD)"
        )
        parser.add_argument("--form", default="", help="one form type code (all versions)")
        parser.add_argument("--max-cells", type=int, default=MAX_CELLS)

    def handle(
        self,
        *args: Any,
        user: str,
        out: Path,
        since: date | None,
        form: str,
        max_cells: int,
        **options: Any,
    ) -> None:
        person = User.objects.filter(username=user, is_active=True).first()
        if person is None:
            raise CommandError(f"no active user {user!r}")
        try:
            token, summary = export_training_cells(
                acting_user=person, since=since, form_code=form, max_cells=max_cells
            )
        except TrainingExportRefused as refused:
            raise CommandError(f"refused ({refused.code}): {refused.message}") from None
        if not summary.cells:
            raise CommandError("no verified digit cells to export (nothing written)")
        _write_private(out, token)
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.by_kind.items()))
        self.stdout.write(
            f"{summary.cells} cells of {summary.fields} fields ({summary.documents} documents; "
            f"{kinds}) written encrypted to {out}; left out: {summary.blank} blank fields, "
            f"{summary.mismatched} fields whose written cells do not match their digits, "
            f"{summary.no_page} without a stored page"
            + ("; stopped at --max-cells" if summary.truncated else "")
        )


def _write_private(out: Path, content: bytes) -> None:
    """Owner-only, written beside and renamed into place (never half a file)."""
    partial = out.with_name(out.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, out)
