"""Hot folder: scanners drop files into a shared folder; each file is ingested once.

A file is taken only when its size has stopped changing (the scanner finished writing). After
ingest it is moved to ``processed/`` (or ``rejected/``) under the folder, so it is never read
twice; a file dropped again is caught by the duplicate check on its SHA-256.

The files ready at one look go into as many batches as the upload limits need (files and
pixels per batch), so none is refused for the company it arrived in. A file intake refuses,
for whatever reason, is moved to ``rejected/`` and the watcher goes on; a file that cannot be
read yet stays where it is for the next look.
"""

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from forms_catalog.models import FormType
from ocr.intake import create_batch, declared_pixels, ingest_files
from ocr.management.targets import resolve_target
from ocr.models import Batch, SourceFile

logger = logging.getLogger(__name__)


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


def plan_batches(paths: list[Path]) -> list[list[Path]]:
    """The ready files in order, cut into batches that stay within the upload limits.

    Headers only, as intake reads them; a file intake would refuse counts no pixels.
    """
    batches: list[list[Path]] = []
    current: list[Path] = []
    pixels = 0
    for path in paths:
        try:
            size = declared_pixels(path.read_bytes())
        except OSError:
            continue  # not readable yet: left for the next look
        full = len(current) >= settings.INGEST_MAX_FILES
        if current and (full or pixels + size > settings.INGEST_MAX_UPLOAD_PIXELS):
            batches.append(current)
            current, pixels = [], 0
        current.append(path)
        pixels += size
    if current:
        batches.append(current)
    return batches


def ingest_batch(paths: list[Path], folder: Path, form_type: FormType, group: Group) -> Batch:
    """One batch of the hot folder; each file taken in is moved aside by its outcome."""
    batch = create_batch(form_type, department=group, source=Batch.Source.FOLDER)
    taken: list[Path] = []

    def contents() -> Iterator[tuple[str, bytes]]:
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError:
                logger.warning("hot folder: a file could not be read; tried again next look")
                continue
            taken.append(path)
            yield path.name, data

    result = ingest_files(batch, contents())
    for path, source_file in zip(taken, result.files, strict=True):
        move_aside(path, folder, source_file.status)
    return batch


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
            for paths in plan_batches(ready_files(folder, sizes)):
                try:
                    batch = ingest_batch(paths, folder, form_type, group)
                except Exception:
                    # Intake ends a bad file itself; this is the database or the folder
                    # failing. The watcher keeps watching; what was not moved is seen again.
                    logger.exception("hot folder: a batch could not be ingested")
                    if once:
                        raise
                    continue
                self.stdout.write(f"batch {batch.pk}: {batch.files.count()} files")
            if once:
                return
            time.sleep(interval)
