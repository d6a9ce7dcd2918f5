"""What opening one document costs: audit entries written, image bytes and load time.

Builds a throw-away instance (its own DATA_DIR), one read kakutei-shinkoku document and a clerk
with the My Number right, then fetches the document page and every image it references, as a
browser would. Usage: ``python scripts/measure_document_open.py [--form CODE]``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--form", default="kakutei-shinkoku")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="yomitoru-measure-")
    subprocess.run(
        [sys.executable, "-m", "yomitoru.keys", data_dir],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    os.environ["DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    import cv2
    import numpy as np

    from audit.models import AuditEntry
    from forms_catalog.catalog import load_standard_catalog
    from forms_catalog.layouts import get_layout
    from lab.synthetic.generator import generate_form
    from ocr import storage
    from tests.ocr.documents import read_document
    from tests.personas import department_clerks, login

    catalog = {form_type.code: form_type for form_type, _ in load_standard_catalog()}
    form_type = catalog[args.form]
    owner = department_clerks(form_type)["owner"]
    document, _truth = read_document(form_type)
    # A scan as a scanner delivers it (noise, skew): what a page image really weighs.
    scan = generate_form(get_layout(args.form), random.Random(1), artefacts=True)
    image = np.ascontiguousarray(np.asarray(scan.pages[0].convert("RGB"))[:, :, ::-1])
    image = cv2.resize(image, (form_type.page_width, form_type.page_height))
    stored = document.pages.get()
    storage.save_image(stored.aligned_image, f"{document.pk}-1-aligned", image)
    stored.save(update_fields=["aligned_image"])
    client = login(Client(), owner)

    before = AuditEntry.objects.count()
    started = time.perf_counter()
    page = client.get(f"/admin/ocr/document/{document.pk}/change/")
    html = page.content.decode()
    page_seconds = time.perf_counter() - started
    sources = [unescape(s) for s in re.findall(r'<img[^>]+src="([^"]+)"', html)]
    images = []
    for src in sources:
        t0 = time.perf_counter()
        response = client.get(src)
        images.append(
            (
                src,
                response.status_code,
                len(response.content),
                response.get("Content-Type", ""),
                time.perf_counter() - t0,
            )
        )
    after = AuditEntry.objects.count()
    print(f"form: {args.form}, document page: {page.status_code}, {page_seconds:.3f} s")
    print(f"images referenced: {len(images)}")
    for src, status, size, kind, seconds in images:
        if "/page/" in src:
            print(f"  page image {status} {kind} {size / 1024:.0f} KiB {seconds:.3f} s")
    crops = [i for i in images if "/field/" in i[0]]
    if crops:
        print(
            f"  field crops: {len(crops)}, {sum(i[2] for i in crops) / 1024:.0f} KiB in all, "
            f"{sum(i[4] for i in crops):.3f} s in all"
        )
    print(f"audit entries written by this open: {after - before}")
    kinds: dict[str, int] = {}
    for entry in AuditEntry.objects.order_by("sequence")[before:]:
        kind = (entry.additional_data or {}).get("access", entry.get_action_display())
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"  by kind: {kinds}")


if __name__ == "__main__":
    main()
