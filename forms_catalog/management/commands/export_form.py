import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forms_catalog.definitions import export_definition
from forms_catalog.models import FormType


class Command(BaseCommand):
    help = "Print the definition of form type CODE (current version) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--form-version", type=int, help="a stored version (default: current)")

    def handle(self, *args: Any, code: str, form_version: int | None, **options: Any) -> None:
        query = FormType.objects.filter(code=code)
        query = (
            query.filter(version=form_version) if form_version else query.filter(is_current=True)
        )
        form_type = query.select_related("department").first()
        if form_type is None:
            raise CommandError(f"unknown form type {code!r} (run load_catalog or import_form)")
        self.stdout.write(json.dumps(export_definition(form_type), ensure_ascii=False, indent=2))
