import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import head_json, verify_chain


class Command(BaseCommand):
    help = (
        "Verify the hash chain over the audit log. Exits 0 when intact, 1 naming the first "
        "broken entry. --export-head writes the head to keep outside the database; --head "
        "checks against such a file to detect truncation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--head", type=Path, help="a head file exported earlier")
        parser.add_argument("--export-head", type=Path, help="write the current head here")

    def handle(self, *args: Any, head: Path | None, export_head: Path | None, **opts: Any) -> None:
        expected = None
        if head is not None:
            try:
                expected = json.loads(head.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read head file {head}: {exc}") from None
        report = verify_chain(expected)
        if not report.ok:
            self.stderr.write(f"audit chain BROKEN: {report.problem}")
            sys.exit(1)
        self.stdout.write(
            f"audit chain intact: {report.entries} entries, head {report.head_sequence}"
        )
        if export_head is not None:
            export_head.write_text(head_json(report) + "\n", encoding="utf-8")
            self.stdout.write(f"head written to {export_head}")
