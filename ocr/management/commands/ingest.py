import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocr.intake import IngestResult, ingest_paths
from ocr.management.targets import resolve_target
from ocr.models import Batch


def result_json(result: IngestResult) -> dict[str, Any]:
    """The command's output: IDs, statuses and counts; never a field value."""
    return {
        "batch": result.batch.pk,
        "documents": [
            {
                "id": document.pk,
                "status": document.status,
                "needs_review": document.fields.filter(status="needs_review").count(),
            }
            for document in result.documents
        ],
        "rejected": [
            {"file": f.original_name, "error": f.error_code, "message": f.error_message}
            for f in result.rejected
        ],
    }


class Command(BaseCommand):
    help = "Ingest scans (PNG, JPEG, TIFF, PDF) of form CODE into a new batch; prints JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--form", required=True, help="form type code")
        parser.add_argument("--department", help="department group (default: the form's)")
        parser.add_argument("--sync", action="store_true", help="read before returning")

    def handle(
        self,
        *args: Any,
        files: list[Path],
        form: str,
        department: str | None,
        sync: bool,
        **options: Any,
    ) -> None:
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise CommandError(f"not a file: {', '.join(missing)}")
        if len(files) > settings.INGEST_MAX_FILES:
            # One batch is one upload: bounded the same way (INGEST_MAX_FILES).
            raise CommandError(
                f"{len(files)} files: at most {settings.INGEST_MAX_FILES} per batch; "
                "run the command once per part"
            )
        form_type, group = resolve_target(form, department)
        result = ingest_paths(
            form_type, files, department=group, source=Batch.Source.CLI, sync=sync
        )
        self.stdout.write(json.dumps(result_json(result), ensure_ascii=False))
