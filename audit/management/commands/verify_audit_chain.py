import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import head_json, head_log_path, read_head_log, verify_chain


class Command(BaseCommand):
    help = (
        "Verify the hash chain over the audit log. Exits 0 when intact, 1 naming the first "
        "broken entry. Entries removed from the end are detected against the head log that "
        "the application appends to under DATA_DIR (checked by default), and against a head "
        "the officer exported earlier (--head: an --export-head file or a copy of the head "
        "log). --export-head writes the current head to keep outside the machine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--head", type=Path, help="a head exported earlier, or a copy of the head log"
        )
        parser.add_argument("--export-head", type=Path, help="write the current head here")
        parser.add_argument(
            "--head-log",
            type=Path,
            help=f"the head log to check against (default {head_log_path()})",
        )
        parser.add_argument(
            "--no-head-log",
            action="store_true",
            help="do not check the head log (e.g. on a copy of the database)",
        )

    def handle(
        self,
        *args: Any,
        head: Path | None,
        export_head: Path | None,
        head_log: Path | None,
        no_head_log: bool,
        **opts: Any,
    ) -> None:
        expected = None
        if head is not None:
            try:
                expected = read_head_log(head)
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read head file {head}: {exc}") from None
            if expected is None:
                raise CommandError(f"cannot read head file {head}: no head in it")
        report = verify_chain(expected, head_log=head_log, use_head_log=not no_head_log)
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if not report.ok:
            self.stderr.write(f"audit chain BROKEN: {report.problem}")
            sys.exit(1)
        checked = (
            "" if report.checked_head is None else f", checked against entry {report.checked_head}"
        )
        self.stdout.write(
            f"audit chain intact: {report.entries} entries, head {report.head_sequence}{checked}"
        )
        if export_head is not None:
            export_head.write_text(head_json(report) + "\n", encoding="utf-8")
            self.stdout.write(f"head written to {export_head}")
