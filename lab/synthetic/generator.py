"""Filled, scanned-looking forms with known truth, for tests, the demo and the evaluation.

``generate_form`` fills the blank of a layout with one fictional household's values in one
writer's hand and passes the page through the scanner model. ``write_samples`` writes a
reproducible set: the same layout, count, seed and split always give the same files.

Digits are real handwriting from ``lab.digit_data``: demo and test samples use the "train"
split; the evaluation asks for "eval" so the recogniser is measured on writers it never saw.
Names, readings and addresses are written in one of the handwriting style families of
``lab.synthetic.hand_styles``: the held-out family for "eval", the others for the other splits,
so neither the katakana recogniser nor Tesseract is measured on a style it was tuned on.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from forms_catalog.layouts.base import FormLayout
from forms_catalog.render import render_page
from lab.synthetic.glyphs import digit_bank
from lab.synthetic.hand_styles import random_style
from lab.synthetic.handwriting import fill_field
from lab.synthetic.pen import random_pen
from lab.synthetic.scan import scan
from lab.synthetic.values import form_values

TRUTH_FILE = "truth.json"

_blanks: dict[tuple[str, int, int], np.ndarray] = {}


@dataclass(frozen=True)
class GeneratedForm:
    pages: list[Image.Image]
    truth: dict[str, str]  # field key -> canonical value ("" = left blank)


def blank_array(layout: FormLayout, page: int) -> np.ndarray:
    """The rendered blank as an RGB array, rendered once per layout version and page."""
    key = (layout.code, layout.version, page)
    if key not in _blanks:
        array = np.asarray(render_page(layout, page).convert("RGB"))
        array.setflags(write=False)
        _blanks[key] = array
    return _blanks[key]


def generate_form(
    layout: FormLayout,
    rng: random.Random,
    *,
    split: str = "train",
    artefacts: bool = True,
    hand_styles: bool = True,
) -> GeneratedForm:
    """One filled form: its page images and the truth for every field key of ``layout``.

    With ``artefacts`` off the pages are the clean filled blank (exact layout geometry, no
    skew, noise or paper tone), for tests that check where the ink landed. With
    ``hand_styles`` off the text is drawn from the form font as before the style families
    (kept to show how much that flattered Tesseract: ``scripts/eval_kana.py``).
    """
    truth = form_values(layout, rng)
    np_rng = np.random.default_rng(rng.getrandbits(64))
    pen = random_pen(np_rng)
    bank = digit_bank(split)
    style = random_style(split, np_rng) if hand_styles else None
    pages: list[Image.Image] = []
    for number in range(1, layout.pages + 1):
        page = blank_array(layout, number).copy()
        for spec in layout.fields:
            if spec.page == number:
                fill_field(page, spec, truth[spec.key], pen, bank, np_rng, style)
        image = Image.fromarray(page)
        pages.append(scan(image, np_rng) if artefacts else image)
    return GeneratedForm(pages, truth)


def sample_name(index: int, pages: int) -> str:
    """``sample-0001.png``; a multi-page form is one multi-page TIFF, ``sample-0001.tif``."""
    return f"sample-{index:04d}.{'png' if pages == 1 else 'tif'}"


def write_samples(
    layout: FormLayout,
    count: int,
    out_dir: str | Path,
    seed: int,
    *,
    split: str = "train",
    artefacts: bool = True,
) -> list[Path]:
    """Write ``count`` samples and ``truth.json`` into ``out_dir``; the sample paths.

    Each sample has its own random stream derived from (form code, seed, index), so sample 7
    of a seed is the same whether 10 or 1000 samples are written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    samples: dict[str, dict[str, str]] = {}
    for index in range(1, count + 1):
        form = generate_form(
            layout, random.Random(f"{layout.code}:{seed}:{index}"), split=split, artefacts=artefacts
        )
        name = sample_name(index, len(form.pages))
        path = out / name
        if len(form.pages) == 1:
            form.pages[0].save(path, "PNG", compress_level=4)
        else:
            form.pages[0].save(
                path,
                "TIFF",
                save_all=True,
                append_images=form.pages[1:],
                compression="tiff_deflate",
            )
        paths.append(path)
        samples[name] = form.truth
    truth = {
        "form": layout.code,
        "version": layout.version,
        "seed": seed,
        "split": split,
        "samples": samples,
    }
    (out / TRUTH_FILE).write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return paths
