import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forms_catalog.definitions import DefinitionError, ReferenceImage, import_definition


class Command(BaseCommand):
    help = (
        "Add a form type from a definition JSON (the export_form format). An existing code "
        "gets a new current version; documents keep the version they were read with."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--reference",
            type=Path,
            action="append",
            default=[],
            help="blank reference image of page 1, 2, ... (repeat per page)",
        )
        parser.add_argument("--department", help="department group (default: from the JSON)")

    def handle(
        self,
        *args: Any,
        file: Path,
        reference: list[Path],
        department: str | None,
        **options: Any,
    ) -> None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        references = [
            ReferenceImage(number, path.name, path.read_bytes())
            for number, path in enumerate(reference, start=1)
        ]
        try:
            form_type = import_definition(data, references, department=department)
        except DefinitionError as exc:
            raise CommandError(f"{file}: {exc}") from None
        fields = form_type.fields.count()
        self.stdout.write(f"{form_type.code} v{form_type.version}: {fields} fields")
