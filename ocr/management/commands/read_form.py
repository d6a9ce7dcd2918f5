"""読取テスト: run the whole pipeline on scans of a form without storing anything."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ocr.intake import configured_limits
from ocr.management.targets import resolve_target
from ocr.pipeline.ingest import IngestError, inspect, iter_pages
from ocr.reading import default_engine, judge, read_scan
from ocr.routing import current_thresholds


class Command(BaseCommand):
    help = (
        "Read scans of form CODE with the whole pipeline (alignment included) and print one "
        "JSON object per file. Nothing is stored. The output holds the values read, My "
        "Numbers included: use synthetic or test scans."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--form", required=True)

    def handle(self, *args: Any, files: list[Path], form: str, **options: Any) -> None:
        form_type, _ = resolve_target(form, None)
        definitions = list(form_type.fields.all())
        thresholds = current_thresholds(form_type.code)
        engine = default_engine()
        limits = configured_limits()
        for path in files:
            try:
                data = path.read_bytes()
                images = list(iter_pages(data, inspect(data, limits), limits))
            except (OSError, IngestError) as exc:
                code = getattr(exc, "code", "unreadable")
                self._emit({"file": str(path), "alignment": None, "error": code, "fields": {}})
                continue
            scan = read_scan(form_type, images[: form_type.page_count], engine, definitions)
            judged = judge(definitions, scan.readings, scan.unaligned, thresholds)
            self._emit(
                {
                    "file": str(path),
                    "alignment": round(scan.alignment_score, 4),
                    "fields": {
                        key: {
                            "value": j.value,
                            "confidence": round(j.confidence, 4),
                            "valid": not [e for e in j.errors if e != "page_not_aligned"],
                            "needs_review": j.status == "needs_review",
                        }
                        for key, j in judged.items()
                    },
                }
            )

    def _emit(self, record: dict) -> None:
        self.stdout.write(json.dumps(record, ensure_ascii=False))
