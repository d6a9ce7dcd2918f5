from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image

from forms_catalog.layouts import STANDARD_LAYOUTS
from forms_catalog.models import FormType
from forms_catalog.render import render_page


class Command(BaseCommand):
    help = "Write the blank form CODE as PNG (first page) or PDF (all pages) at its dpi."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--out", required=True, type=Path, help="FILE.png or FILE.pdf")

    def handle(self, *args: Any, code: str, out: Path, **options: Any) -> None:
        suffix = out.suffix.lower()
        if suffix not in {".png", ".pdf"}:
            raise CommandError("--out must end in .png or .pdf")
        pages, dpi = self._pages(code)
        if suffix == ".png":
            pages[0].save(out, dpi=(dpi, dpi))
        else:
            pages[0].save(out, save_all=True, append_images=pages[1:], resolution=dpi)
        self.stdout.write(str(out))

    def _pages(self, code: str) -> tuple[list[Image.Image], int]:
        # A standard layout is drawn afresh; an imported form has only its reference scans.
        layout = STANDARD_LAYOUTS.get(code)
        if layout is not None:
            return [render_page(layout, n) for n in range(1, layout.pages + 1)], layout.dpi
        form_type = FormType.objects.filter(code=code, is_current=True).first()
        if form_type is None:
            raise CommandError(f"unknown form type {code!r}")
        pages = []
        for page in form_type.pages.order_by("number"):
            with page.reference_image.open("rb") as handle:
                pages.append(Image.open(handle).convert("RGB"))
        if not pages:
            raise CommandError(f"form type {code!r} has no reference image")
        return pages, form_type.dpi
