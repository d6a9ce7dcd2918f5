"""Build datasets/handwriting-ja/: handwriting fonts and KanjiVG strokes, cut to what we write.

The synthetic Japanese handwriting (``lab/synthetic/hand_styles.py``) draws katakana readings,
names and addresses in several writing-style families. Their sources are big (Klee One is
20 MB, KanjiVG 54 MB unpacked), so this script keeps only the characters the generator can
write: every non-ASCII character in the string literals of ``lab/synthetic/*.py``, the full
katakana block, hiragana, digits and a few punctuation marks.

Sources (installed beforehand, offline after that; see datasets/handwriting-ja/SOURCES.md):

- Debian 12 packages ``fonts-klee`` and ``fonts-kiloji`` (``apt-get install``), read from
  /usr/share/fonts/truetype/;
- npm packages ``@fontsource/yomogi@5.3.0`` and ``@fontsource/zen-kurenaido@5.3.0`` (``npm pack``,
  unpacked into ``--npm-dir``): their Japanese glyphs are split over ~120 WOFF files, each
  with a unicode range listed in ``unicode.json``;
- PyPI package ``kanjivg==20260714`` (``pip download --no-deps``, unzipped into
  ``--kanjivg-dir``): one SVG of stroke paths per character in ``kanji/``.

Output: one TTF per font file, subset to the characters (fontTools), ``strokes-kanjivg.json``
({char: [svg path d, ...]} in KanjiVG's 109x109 box, in stroke order) and ``styles.json``
(family -> font files and the characters each file holds).

    .venv/bin/pip install -r requirements-train.txt
    .venv/bin/python scripts/build_handwriting_ja.py --npm-dir var/npm --kanjivg-dir var/kanjivg
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "datasets" / "handwriting-ja"

DEBIAN_FONTS = {
    "klee": ["/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf"],
    "kiloji": ["/usr/share/fonts/truetype/kiloji/kiloji.ttf"],
}
NPM_FONTS = {
    "yomogi": "fontsource-yomogi-5.3.0/package",
    "zen-kurenaido": "fontsource-zen-kurenaido-5.3.0/package",
}
EXTRA = "ー・、。「」（）－〒々〇"


def wanted_chars() -> str:
    """Every character the generator may write by hand, sorted."""
    chars = {chr(c) for c in range(0x30A1, 0x30FB)} | {chr(c) for c in range(0x3041, 0x3097)}
    chars |= set("0123456789") | set(EXTRA)
    for path in sorted((ROOT / "lab" / "synthetic").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                chars |= {ch for ch in node.value if ord(ch) > 0x2FFF and ch != "\u3000"}
    return "".join(sorted(chars))


def cmap_chars(font: TTFont, chars: str) -> str:
    cmap = font.getBestCmap() or {}
    return "".join(ch for ch in chars if ord(ch) in cmap)


def subset_font(source: Path, target: Path, chars: str) -> str:
    """Write ``source`` cut to ``chars`` as a plain TTF; the characters it holds."""
    font = TTFont(str(source), lazy=True)
    held = cmap_chars(font, chars)
    if not held:
        return ""
    options = subset.Options()
    options.flavor = None
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    # kiloji.ttf has a malformed gasp table; hinting tables are of no use to a subset.
    options.drop_tables += ["gasp", "hdmx", "VDMX", "LTSH", "kern"]
    options.hinting = False
    sub = subset.Subsetter(options)
    sub.populate(text=held)
    sub.subset(font)
    font.flavor = None
    font.save(str(target))
    return held


def _ranges(spec: str) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        a, _, b = part.strip().removeprefix("U+").partition("-")
        out.append((int(a, 16), int(b or a, 16)))
    return out


def npm_files(package: Path, chars: str) -> list[tuple[Path, str]]:
    """The WOFF subsets of a Fontsource package that hold any of ``chars``."""
    ranges = json.loads((package / "unicode.json").read_text(encoding="utf-8"))
    stem = json.loads((package / "package.json").read_text(encoding="utf-8"))["name"].split("/")[1]
    found = []
    for key, spec in ranges.items():
        r = _ranges(spec)
        inside = "".join(ch for ch in chars if any(a <= ord(ch) <= b for a, b in r))
        if not inside:
            continue
        index = key.strip("[]")
        found.append((package / "files" / f"{stem}-{index}-400-normal.woff", inside))
    return found


_PATH_RE = re.compile(r'<path[^>]*\sd="([^"]+)"')


def kanjivg_strokes(kanjivg_dir: Path, chars: str) -> dict[str, list[str]]:
    strokes: dict[str, list[str]] = {}
    for ch in chars:
        svg = kanjivg_dir / "kanji" / f"{ord(ch):05x}.svg"
        if svg.exists():
            strokes[ch] = _PATH_RE.findall(svg.read_text(encoding="utf-8"))
    return strokes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm-dir", type=Path, required=True)
    parser.add_argument("--kanjivg-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    chars = wanted_chars()
    styles: dict[str, list[dict]] = {}
    for family, paths in DEBIAN_FONTS.items():
        for p in paths:
            target = OUT / f"{family}-{Path(p).stem}.ttf"
            held = subset_font(Path(p), target, chars)
            styles.setdefault(family, []).append({"file": target.name, "chars": held})
    for family, rel in NPM_FONTS.items():
        for woff, inside in npm_files(args.npm_dir / rel, chars):
            target = OUT / f"{family}-{woff.stem.split('-')[-3]}.ttf"
            held = subset_font(woff, target, inside)
            if held:
                styles.setdefault(family, []).append({"file": target.name, "chars": held})
    strokes = kanjivg_strokes(args.kanjivg_dir, chars)
    (OUT / "strokes-kanjivg.json").write_text(
        json.dumps(strokes, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8"
    )
    styles["kanjivg"] = [{"file": "strokes-kanjivg.json", "chars": "".join(strokes)}]
    (OUT / "styles.json").write_text(
        json.dumps({"chars": chars, "families": styles}, ensure_ascii=False, indent=1) + "\n",
        "utf-8",
    )
    for family, files in styles.items():
        held_chars = set("".join(f["chars"] for f in files))
        missing = "".join(ch for ch in chars if ch not in held_chars)
        count = f"{len(held_chars)}/{len(chars)}"
        print(f"{family}: {len(files)} file(s), {count} chars, missing {missing!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
