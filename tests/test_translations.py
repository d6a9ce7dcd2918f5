"""The Japanese catalogue: complete, compiled, in the glossary's words, and up to date.

``locale/ja/LC_MESSAGES/django.po`` is read with the small reader below (the project has no
.po library). ``locale/glossary.csv`` names one Japanese term per English term and the
synonyms never to use; ``locale/README.md`` says how to update the catalogue.
"""

from __future__ import annotations

import ast
import csv
import gettext
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django.utils.functional import Promise

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
PO = LOCALE / "ja" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
GLOSSARY = LOCALE / "glossary.csv"
# What makemessages does not look at (as in locale/README.md's command).
IGNORED = {".venv", "var", "tests", "scripts", "locale"}
# Names xgettext extracts strings from (its Python defaults and Django's additions): a
# translation function imported under any other name hides its strings from the catalogue.
KEYWORDS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*(?::[^}]*)?\}")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    def __str__(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid "")."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None

    def start(number: int) -> Entry:
        nonlocal entry
        if entry is None or entry.msgstrs:
            entry = Entry(line=number)
            entries.append(entry)
        return entry

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        if not line or (line.startswith("#") and not line.startswith("#,")):
            continue
        if line.startswith("#,"):
            start(number).flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None and entry is not None, f"{path}:{number}"
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest)
            current = start(number) if keyword in ("msgctxt", "msgid") else entry
            assert current is not None, f"{path}:{number}"
            current.obsolete = current.obsolete or obsolete
            if keyword.startswith("msgstr"):
                current.msgstrs.append("")
                target = ("msgstr", len(current.msgstrs) - 1)
            else:
                target = (keyword, 0)
                setattr(current, keyword, "")
        assert entry is not None
        name, index = target
        if name == "msgstr":
            entry.msgstrs[index] += value
        else:
            setattr(entry, name, getattr(entry, name) + value)
    return entries


def catalogue(path: Path = PO) -> list[Entry]:
    """The live entries of a catalogue, without its header."""
    return [e for e in read_po(path) if not e.obsolete and e.key != (None, "")]


def glossary() -> list[dict[str, str]]:
    with GLOSSARY.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def term_pattern(english: str) -> re.Pattern[str]:
    """The term as a word of a msgid, in its plural, -ed and -ing forms too."""
    *words, last = re.split(r"[\s-]+", english.strip())
    if last.endswith("y"):
        last = f"{re.escape(last[:-1])}(?:y|ies|ied)"
    else:
        last = f"{re.escape(last)}(?:s|es|ed|d|ing|ings)?"
    body = r"[\s-]+".join([*map(re.escape, words), last])
    return re.compile(rf"(?<![A-Za-z]){body}(?![A-Za-z])", re.IGNORECASE)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# (a) complete


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = catalogue()
    assert len(entries) > 100
    empty = [str(e) for e in entries if not e.msgstrs or not all(s.strip() for s in e.msgstrs)]
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    assert not empty, "untranslated entries in django.po:\n" + "\n".join(empty)
    assert not fuzzy, "fuzzy entries in django.po (check, then remove the flag):\n" + "\n".join(
        fuzzy
    )


def test_translations_keep_the_placeholders_of_their_msgids():
    wrong = []
    for entry in catalogue():
        expected = placeholders(entry.msgid)
        for msgstr in entry.msgstrs:
            if placeholders(msgstr) != expected:
                wrong.append(f"{entry}: {msgstr!r}")
    assert not wrong, "\n".join(wrong)


def test_the_header_says_japanese_with_one_plural_form():
    header = next(e for e in read_po(PO) if e.key == (None, ""))
    assert "Language: ja\n" in header.msgstrs[0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstrs[0]
    assert "fuzzy" not in header.flags


# (b) compiled


def test_the_compiled_catalogue_matches_the_po_file():
    """django.mo holds exactly the .po's translations: compilemessages was run after editing."""
    with MO.open("rb") as file:
        compiled = dict(gettext.GNUTranslations(file)._catalog)  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for entry in catalogue():
        if "fuzzy" in entry.flags or not all(entry.msgstrs):
            continue  # msgfmt leaves these out
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstrs[0]
        else:
            for index, msgstr in enumerate(entry.msgstrs):
                expected[(msgid, index)] = msgstr
    stale = sorted(str(key) for key, value in expected.items() if compiled.get(key) != value)
    # The header is compared apart: msgfmt leaves its POT-Creation-Date out.
    extra = sorted(str(key) for key in compiled.keys() - expected.keys() - {""})
    run = "run `manage.py compilemessages -l ja --ignore=.venv`"
    assert not stale, f"django.mo is older than django.po ({run}): {stale}"
    assert not extra, f"django.mo has entries django.po no longer has ({run}): {extra}"


# (c) the glossary's words


def test_the_glossary_is_well_formed():
    rows = glossary()
    assert rows and set(rows[0]) == {"english", "japanese", "avoid", "match", "note"}
    for row in rows:
        assert row["english"].strip() and row["japanese"].strip(), row
        assert row["match"] in {"word", "label", "-"}, row
        for word in filter(None, row["avoid"].split("|")):
            assert word != row["japanese"], row


def test_no_translation_uses_a_word_the_glossary_avoids():
    avoided = {
        word: row["english"]
        for row in glossary()
        for word in filter(None, (w.strip() for w in row["avoid"].split("|")))
    }
    wrong = [
        f"{entry}: {msgstr!r} uses {word!r} (glossary: {english!r})"
        for entry in catalogue()
        for msgstr in entry.msgstrs
        for word, english in avoided.items()
        if word in msgstr
    ]
    assert not wrong, "\n".join(wrong)


def test_every_translation_uses_the_glossary_term_of_its_msgid():
    wrong = []
    entries = catalogue()
    for row in glossary():
        if row["match"] == "-":
            continue
        pattern = term_pattern(row["english"])
        for entry in entries:
            if row["match"] == "label":
                concerned = (
                    entry.msgctxt is None and entry.msgid.casefold() == row["english"].casefold()
                )
            else:
                concerned = any(
                    pattern.search(PLACEHOLDER.sub(" ", text))
                    for text in (entry.msgid, entry.msgid_plural or "")
                )
            for msgstr in entry.msgstrs if concerned else []:
                if row["japanese"] not in msgstr:
                    wrong.append(
                        f"{entry}: {msgstr!r} lacks {row['japanese']!r} ({row['english']})"
                    )
    assert not wrong, "\n".join(wrong)


def test_the_act_of_exporting_is_not_the_status_exported():
    """The audit log's access kinds (its filter, column and CSV) say CSV出力, not 出力済."""
    from audit.access import Access
    from audit.admin.entries import AccessKindFilter
    from ocr.models import Document

    with translation.override("ja"):
        act = str(Access.EXPORT.label)
        status = str(Document.Status.EXPORTED.label)
        kinds = [str(label) for _, label in AccessKindFilter.lookups(None, None, None)]  # type: ignore[arg-type]
    assert status == "出力済"
    assert act != status and "済" not in act
    assert act in kinds and status not in kinds


# Third-party words on our pages


def test_our_catalogue_wins_over_third_party_catalogues():
    """audit/admin/labels.py's msgids read as our catalogue says (LOCALE_PATHS comes first)."""
    from audit.admin import labels

    ours = {e.msgid: e.msgstrs[0] for e in catalogue() if e.msgctxt is None}
    with translation.override("ja"):
        shown = {msgid: translation.gettext(msgid) for msgid in labels.MSGIDS}
    assert shown == {msgid: ours[msgid] for msgid in labels.MSGIDS}
    assert shown["Correlation ID"] == "リクエストID" and shown["Created"] == "日時"


def test_every_translatable_model_name_is_japanese():
    """Model names show in the admin and in the audit log (its object type filter and CSV)."""
    english = []
    with translation.override("ja"):
        for model in apps.get_models():
            # A name made from the class name, or given as a plain str, has nothing to translate.
            if not isinstance(model._meta.verbose_name, Promise):
                continue
            for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
                if re.search("[A-Za-z]{3,}", str(name)):
                    english.append(f"{model._meta.label}: {name}")
    assert not english, "\n".join(english)


# (d) nothing left for makemessages to add


def project_sources() -> Iterator[Path]:
    for path in sorted(ROOT.iterdir()):
        if path.name not in IGNORED and not path.name.startswith("."):
            yield path


def test_no_translation_function_hides_behind_an_alias():
    """``gettext_lazy as _lazy`` would keep its strings out of the catalogue, in English."""
    wrong = []
    for top in project_sources():
        for path in [top] if top.is_file() else top.rglob("*.py"):
            if path.suffix != ".py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    for alias in node.names:
                        name = alias.asname or alias.name
                        if "gettext" in alias.name and name not in KEYWORDS:
                            where = path.relative_to(ROOT)
                            wrong.append(f"{where}:{node.lineno}: {alias.name} as {name}")
    assert not wrong, "xgettext does not extract these (import them as _ or by name):\n" + (
        "\n".join(wrong)
    )


def test_makemessages_finds_no_msgid_the_catalogue_lacks(tmp_path, monkeypatch):
    """makemessages over a copy of the project's tree: every msgid it finds is in django.po."""
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext is not installed (apt-get install gettext)")
    for path in project_sources():
        (tmp_path / path.name).symlink_to(path)
    copy = tmp_path / "locale" / "ja" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(PO, copy)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["ja"], symlinks=True, add_location="file", verbosity=0)
    known = {e.key for e in catalogue(PO)}
    new = [str(e) for e in catalogue(copy) if e.key not in known]
    assert not new, (
        "msgids in the code that django.po lacks (run makemessages as in locale/README.md, "
        "then translate them):\n" + "\n".join(new)
    )
