from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forms_catalog.layouts import STANDARD_LAYOUTS
from lab.synthetic.generator import write_samples


class Command(BaseCommand):
    help = (
        "Write N synthetic filled and scanned forms of CODE into DIR with truth.json. "
        "Every value is synthetic; My Numbers start with 00 and have valid check digits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", choices=sorted(STANDARD_LAYOUTS))
        parser.add_argument("--count", type=int, default=10)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--split",
            default="train",
            help="handwriting source: 'train' for demos and tests, 'eval' for the evaluation",
        )

    def handle(
        self, *args: Any, code: str, count: int, out: Path, seed: int, split: str, **options: Any
    ) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1")
        out.mkdir(parents=True, exist_ok=True)
        paths = write_samples(STANDARD_LAYOUTS[code], count, out, seed, split=split)
        self.stdout.write(f"{len(paths)} samples and truth.json in {out}")
