"""Draw blank forms from their ``FormLayout``, and field regions over any page image.

Every line is drawn centred on its coordinate: a line of width 3 at x covers x-1..x+1. Comb
borders are drawn at exactly the edges ``FieldSpec.cell_rects()`` returns, so the cell
splitter and the printed form agree to the pixel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from forms_catalog.kinds import FieldKind
from forms_catalog.layouts.base import BLACK, FieldSpec, FormLayout, Rect
from yomitoru.lib.fonts import load_font

WHITE = (255, 255, 255)
COMB_LINE = 3
GROUP_LINE = 5  # thicker separators (thousands, YY|MM|DD, 4-4-4), still centred on the edge
FRAME_LINE = 3

Color = tuple[int, int, int]


def _hline(draw: ImageDraw.ImageDraw, x0: int, x1: int, y: int, width: int, color: Color) -> None:
    top = y - (width - 1) // 2
    draw.rectangle((x0 - (width - 1) // 2, top, x1 + width // 2, top + width - 1), fill=color)


def _vline(draw: ImageDraw.ImageDraw, x: int, y0: int, y1: int, width: int, color: Color) -> None:
    left = x - (width - 1) // 2
    draw.rectangle((left, y0 - (width - 1) // 2, left + width - 1, y1 + width // 2), fill=color)


def _frame(draw: ImageDraw.ImageDraw, r: Rect, width: int, color: Color) -> None:
    _hline(draw, r.x, r.right, r.y, width, color)
    _hline(draw, r.x, r.right, r.bottom, width, color)
    _vline(draw, r.x, r.y, r.bottom, width, color)
    _vline(draw, r.right, r.y, r.bottom, width, color)


def group_edges(kind: str, cells: int) -> set[int]:
    """Inner edge indices drawn thicker, to help the writer keep digits in place."""
    if kind == FieldKind.AMOUNT:
        return {i for i in range(1, cells) if (cells - i) % 3 == 0}
    if kind == FieldKind.WAREKI_DATE and cells == 6:
        return {2, 4}
    if kind == FieldKind.MYNUMBER and cells == 12:
        return {4, 8}
    if kind == FieldKind.POSTAL_CODE and cells == 7:
        return {3}
    return set()


def _draw_comb(draw: ImageDraw.ImageDraw, spec: FieldSpec, color: Color) -> None:
    r = spec.rect
    thick = group_edges(spec.kind, spec.cells)
    for i, cell in enumerate(spec.cell_rects()[1:], start=1):
        width = GROUP_LINE if i in thick else COMB_LINE
        _vline(draw, cell.x, r.y, r.bottom, width, color)
    _frame(draw, r, COMB_LINE, color)


def _draw_word(draw: ImageDraw.ImageDraw, r: Rect, word: str) -> None:
    size = min(40, int(r.h * 0.68))
    draw.text((r.x + r.w / 2, r.y + r.h / 2), word, fill=BLACK, font=load_font(size), anchor="mm")


def _draw_field(draw: ImageDraw.ImageDraw, spec: FieldSpec, color: Color) -> None:
    if spec.cells > 0:
        _draw_comb(draw, spec, color)
    elif spec.kind != FieldKind.CHOICE:
        _frame(draw, spec.rect, FRAME_LINE, color)
    for option in spec.options:
        _draw_word(draw, option.rect, option.label)


def render_page(layout: FormLayout, page: int = 1) -> Image.Image:
    """The blank page as an RGB image of exactly ``layout.width`` x ``layout.height``."""
    if not 1 <= page <= layout.pages:
        raise ValueError(f"{layout.code} has {layout.pages} page(s), not page {page}")
    image = Image.new("RGB", (layout.width, layout.height), WHITE)
    draw = ImageDraw.Draw(image)
    boxes = [b for b in layout.boxes if b.page == page]
    # Fills first so that no background ever covers a rule.
    for box in boxes:
        if box.fill is not None and box.rect.w > 0 and box.rect.h > 0:
            r = box.rect
            draw.rectangle((r.x, r.y, r.right - 1, r.bottom - 1), fill=box.fill)
    for box in boxes:
        if box.line <= 0:
            continue
        r, color = box.rect, box.color or layout.rule_color
        if r.h == 0:
            _hline(draw, r.x, r.right, r.y, box.line, color)
        elif r.w == 0:
            _vline(draw, r.x, r.y, r.bottom, box.line, color)
        else:
            _frame(draw, r, box.line, color)
    for spec in layout.fields:
        if spec.page == page:
            _draw_field(draw, spec, layout.rule_color)
    for label in layout.labels:
        if label.page == page:
            font = load_font(label.size, bold=label.bold)
            draw.text((label.x, label.y), label.text, fill=BLACK, font=font, anchor=label.anchor)
    return image


def render_pages(layout: FormLayout) -> list[Image.Image]:
    return [render_page(layout, p) for p in range(1, layout.pages + 1)]


def render_png(layout: FormLayout, path: str | Path, page: int = 1) -> Path:
    path = Path(path)
    render_page(layout, page).save(path, format="PNG", dpi=(layout.dpi, layout.dpi))
    return path


def render_pdf(layout: FormLayout, path: str | Path) -> Path:
    path = Path(path)
    first, *rest = render_pages(layout)
    first.save(path, format="PDF", resolution=float(layout.dpi), save_all=True, append_images=rest)
    return path


# --- overlay of field regions ---------------------------------------------------------------

_KIND_COLORS: dict[str, Color] = {
    FieldKind.MYNUMBER: (220, 30, 60),
    FieldKind.CORPORATE_NUMBER: (200, 90, 0),
    FieldKind.AMOUNT: (0, 130, 60),
    FieldKind.WAREKI_DATE: (120, 60, 200),
    FieldKind.DATE: (120, 60, 200),
    FieldKind.CHECKBOX: (0, 150, 170),
    FieldKind.CHOICE: (0, 150, 170),
    FieldKind.KATAKANA: (40, 90, 220),
    FieldKind.TEXT_JA: (40, 90, 220),
}
_DEFAULT_COLOR: Color = (200, 140, 0)


def _edges(x: int, w: int, cells: int) -> list[int]:
    # Same formula as FieldSpec.cell_rects().
    return [x + round(i * w / cells) for i in range(cells + 1)]


def draw_field_overlay(
    image: Image.Image, fields: Iterable[Mapping[str, Any]], page: int | None = None
) -> Image.Image:
    """A copy of ``image`` with each field's region, comb cells, options and key drawn on it.

    ``fields`` are dicts in the export JSON shape (``FieldSpec.to_dict()``); with ``page`` only
    the fields of that page are drawn. Sensitive fields are marked with a trailing "*".
    """
    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = load_font(24, bold=True)
    tags: list[tuple[int, int, str, Color]] = []
    for f in fields:
        if page is not None and int(f.get("page", 1)) != page:
            continue
        x, y, w, h = int(f["x"]), int(f["y"]), int(f["w"]), int(f["h"])
        rgb = _KIND_COLORS.get(str(f.get("kind")), _DEFAULT_COLOR)
        draw.rectangle((x, y, x + w, y + h), fill=(*rgb, 60), outline=(*rgb, 230), width=3)
        cells = int(f.get("cells") or 0)
        if cells > 0:
            for cx in _edges(x, w, cells)[1:-1]:
                draw.line((cx, y, cx, y + h), fill=(*rgb, 200), width=1)
        options: Sequence[Mapping[str, Any]] = f.get("options") or ()
        for o in options:
            ox, oy, ow, oh = int(o["x"]), int(o["y"]), int(o["w"]), int(o["h"])
            draw.rectangle((ox, oy, ox + ow, oy + oh), fill=(*rgb, 40), outline=(*rgb, 230))
        tag = str(f["key"]) + ("*" if f.get("sensitive") else "")
        tags.append((x, y, tag, rgb))
    for x, y, tag, rgb in tags:
        left, top, right, bottom = draw.textbbox((x + 2, y - 2), tag, font=font, anchor="lb")
        draw.rectangle((left - 3, top - 2, right + 3, bottom + 2), fill=(255, 255, 255, 210))
        draw.text((x + 2, y - 2), tag, fill=(*rgb, 255), font=font, anchor="lb")
    return Image.alpha_composite(base, layer).convert("RGB")
