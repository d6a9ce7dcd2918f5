"""Dispose of documents past their retention period, or list them with --dry-run."""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forms_catalog.models import FormType
from ocr.retention import (
    RULE,
    TOKYO,
    dispose,
    dispose_rejected_scans,
    documents_due,
    expiry_cutoff,
    rejected_scans_due,
    today_in_tokyo,
)


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Dispose of documents past their form type's retention period (images, source files "
        "and values deleted, a disposal record kept). --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")
        parser.add_argument(
            "--today", help="run as if today were YYYY-MM-DD (Tokyo date; default: today)"
        )
        parser.add_argument("--user", help="username recorded as the actor (default: system)")

    def handle(
        self,
        *args: Any,
        dry_run: bool,
        today: str | None,
        user: str | None,
        **options: Any,
    ) -> None:
        day = parse_day(today) if today else today_in_tokyo()
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user {user!r}")
        due = documents_due(day)
        refused = rejected_scans_due(day)
        if dry_run:
            self._list(due.values_list("pk", "form_type_id", "created_at"), day, "documents")
            self._list(
                refused.values_list("pk", "form_type_id", "created_at"), day, "rejected scans"
            )
            self.stdout.write(f"{day}: dry run, nothing changed.")
            return
        records = dispose(due, actor=actor, today=day)
        records += dispose_rejected_scans(refused, actor=actor, today=day)
        if not records:
            self.stdout.write(f"{day}: nothing to dispose.")
        for record in records:
            self.stdout.write(
                f"disposal #{record.pk} {record.form_code} v{record.form_version}: "
                f"{record.documents} documents, {record.pages} pages, {record.files} files, "
                f"{record.field_values} field values, {record.rejected_files} rejected scans; "
                f"received {record.received_from} to "
                f"{record.received_until} (before {record.cutoff_date}); "
                f"{record.rule}; by {record.actor_label}"
            )

    def _list(self, rows: Any, day: date, what: str) -> None:
        """One line per form type version: how many WHAT (documents, rejected scans), ids."""
        rows = list(rows)
        if not rows:
            self.stdout.write(f"{day}: no {what} to dispose (dry run).")
            return
        form_types = FormType.objects.in_bulk({form_type_id for _, form_type_id, _ in rows})
        for form_type_id, group in groupby(rows, key=lambda row: row[1]):
            items = list(group)
            form_type = form_types[form_type_id]
            received = [created.astimezone(TOKYO).date() for _, _, created in items]
            ids = ", ".join(str(pk) for pk, _, _ in items)
            self.stdout.write(
                f"would dispose {form_type.code} v{form_type.version}: {len(items)} {what}, "
                f"received {min(received)} to {max(received)} "
                f"(before {expiry_cutoff(form_type, day)}); "
                f"{RULE.format(years=form_type.retention_years)}"
            )
            self.stdout.write(f"  {what} ids: {ids}")
