from typing import Any

from django.core.management.base import BaseCommand

from ocr.routing import THRESHOLDS_PATH, load_thresholds


class Command(BaseCommand):
    help = "Load the measured auto-accept thresholds shipped with the recognisers (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = load_thresholds()
        self.stdout.write(f"{count} auto-accept thresholds from {THRESHOLDS_PATH.name}")
