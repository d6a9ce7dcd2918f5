"""Japanese fonts for drawing blank forms and samples.

Only fonts installed from Debian packages are used: the system runs in a closed network and
never fetches fonts. Known paths are tried first (stable, no subprocess), then fontconfig.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from PIL import ImageFont

# (path, face index inside a .ttc collection). Gothic first: official forms print in a
# sans-serif face, and the IPAex fonts are a single face per file.
_GOTHIC_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", 0),
    ("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf", 0),
    # Face 0 of the Noto CJK collections is Japanese.
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 0),
)
_BOLD_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 0),
)

_MISSING_HELP = (
    "No Japanese font found. Install one from Debian: "
    "`apt-get install fonts-ipaexfont` (or `fonts-noto-cjk`)."
)


class JapaneseFontNotFound(RuntimeError):
    """No font able to render Japanese is installed."""


def _fc_match() -> str | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, absolute binary path
            [fc_match, "-f", "%{file}", ":lang=ja"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path = result.stdout.strip()
    # fontconfig always answers with *some* font; only accept one that is plausibly CJK.
    if result.returncode == 0 and path and Path(path).is_file() and _looks_japanese(path):
        return path
    return None


def _looks_japanese(path: str) -> bool:
    name = Path(path).name.lower()
    return any(tag in name for tag in ("ipa", "cjk", "japanese", "takao", "vl-", "ume"))


@functools.cache
def _font_location(bold: bool) -> tuple[str, int]:
    candidates = (_BOLD_CANDIDATES + _GOTHIC_CANDIDATES) if bold else _GOTHIC_CANDIDATES
    for path, index in candidates:
        if Path(path).is_file():
            return path, index
    found = _fc_match()
    if found is not None:
        return found, 0
    raise JapaneseFontNotFound(_MISSING_HELP)


def japanese_font_path(bold: bool = False) -> str:
    """The path of an installed Japanese font file (``.ttf``/``.otf``/``.ttc``).

    With ``bold`` a bold face is preferred when one is installed (Noto Sans CJK Bold); the
    regular face is returned otherwise. Raises ``JapaneseFontNotFound`` naming the Debian
    package to install when there is none.
    """
    return _font_location(bold)[0]


@functools.cache
def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A cached FreeType font of ``size`` pixels able to render Japanese."""
    path, index = _font_location(bold)
    return ImageFont.truetype(path, size=size, index=index)
