"""Hot folder: scanners drop files into a shared folder; each file is ingested once.

A file is taken only when its size has stopped changing (the scanner finished writing). After
ingest it is moved to ``processed/`` (or ``rejected/``) under the folder, so it is never read
twice; a file dropped again is caught by the duplicate check on its SHA-256.
"""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ocr.intake import create_batch, ingest_files
from ocr.management.targets import resolve_target
from ocr.models import Batch, SourceFile


def ready_files(folder: Path, sizes: dict[Path, int]) -> list[Path]:
    """Files whose size is the same as at the previous look (and not hidden)."""
    current = {
        p: p.stat().st_size
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }
    ready = [p for p, size in current.items() if sizes.get(p) == size]
    sizes.clear()
    sizes.update({p: s for p, s in current.items() if p not in ready})
    return ready


def move_aside(path: Path, folder: Path, status: str) -> Path:
    target_dir = folder / ("processed" if status == SourceFile.Status.ACCEPTED else "rejected")
    target_dir.mkdir(exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = target_dir / f"{stamp}-{path.name}"
    path.rename(target)
    return target


class Command(BaseCommand):
    help = "Watch DIR and ingest every scan dropped into it as form CODE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--form", required=True)
        parser.add_argument("--department")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between looks")
        parser.add_argument("--once", action="store_true", help="take what is ready and stop")

    def handle(
        self,
        *args: Any,
        folder: Path,
        form: str,
        department: str | None,
        interval: float,
        once: bool,
        **options: Any,
    ) -> None:
        if not folder.is_dir():
            raise CommandError(f"not a folder: {folder}")
        form_type, group = resolve_target(form, department)
        sizes: dict[Path, int] = {}
        if once:
            ready_files(folder, sizes)  # first look: remember sizes
            time.sleep(min(interval, 1.0))
        while True:
            ready = ready_files(folder, sizes)
            if ready:
                batch = create_batch(form_type, department=group, source=Batch.Source.FOLDER)
                ingest_files(batch, [(p.name, p.read_bytes()) for p in ready])
                for path, source_file in zip(ready, batch.files.order_by("pk"), strict=True):
                    move_aside(path, folder, source_file.status)
                self.stdout.write(f"batch {batch.pk}: {len(ready)} files")
            if once:
                return
            time.sleep(interval)
