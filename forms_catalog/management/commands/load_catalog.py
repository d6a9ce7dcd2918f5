from typing import Any

from django.core.management.base import BaseCommand

from forms_catalog.catalog import load_standard_catalog


class Command(BaseCommand):
    help = (
        "Load the standard forms into the catalog (idempotent; a changed layout is a new version)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for form_type, created in load_standard_catalog():
            state = "loaded" if created else "unchanged"
            self.stdout.write(f"{form_type.code} v{form_type.version}: {state}")
