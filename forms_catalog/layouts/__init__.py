"""The standard form layouts shipped with yomitoru, by form-type code."""

from __future__ import annotations

from forms_catalog.layouts.base import FormLayout
from forms_catalog.layouts.furusato import LAYOUT as FURUSATO
from forms_catalog.layouts.hoiku import LAYOUT as HOIKU
from forms_catalog.layouts.kakutei import LAYOUT as KAKUTEI
from forms_catalog.layouts.kyuyo import LAYOUT as KYUYO

STANDARD_LAYOUTS: dict[str, FormLayout] = {
    layout.code: layout for layout in (FURUSATO, KYUYO, KAKUTEI, HOIKU)
}


def get_layout(code: str) -> FormLayout:
    """The standard layout for ``code``; ``KeyError`` naming the known codes otherwise."""
    try:
        return STANDARD_LAYOUTS[code]
    except KeyError:
        known = ", ".join(sorted(STANDARD_LAYOUTS))
        raise KeyError(f"no standard layout {code!r} (known: {known})") from None
