"""The catalog commands, as operators and RPA call them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from forms_catalog.layouts import STANDARD_LAYOUTS
from forms_catalog.models import FormType
from tests.forms_catalog.test_layouts import assert_comb_on_borders

CODES = sorted(STANDARD_LAYOUTS)
FIELD_KEYS = {"key", "label", "kind", "page", "x", "y", "w", "h", "cells", "sensitive"}


def export(code: str) -> dict:
    out = io.StringIO()
    call_command("export_form", code, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_every_comb_cell_of_the_definition_lands_on_the_drawn_borders(
    catalog, code: str, tmp_path: Path
) -> None:
    png = tmp_path / f"{code}.png"
    call_command("render_form", code, out=png, stdout=io.StringIO())
    definition = export(code)
    image = Image.open(png)
    assert image.size == (definition["page_width"], definition["page_height"])
    assert definition["dpi"] == 300
    combs = [f for f in definition["fields"] if f["cells"] > 0]
    assert combs, "every standard form has comb fields"
    for field in definition["fields"]:
        assert field.keys() >= FIELD_KEYS
    for field in combs:
        assert_comb_on_borders(image, field)


@pytest.mark.django_db
def test_export_form_describes_the_my_number_as_sensitive(catalog) -> None:
    fields = {f["key"]: f for f in export("furusato-onestop")["fields"]}
    assert fields["mynumber"]["kind"] == "mynumber"
    assert fields["mynumber"]["cells"] == 12
    assert fields["mynumber"]["sensitive"] is True
    assert fields["name"]["sensitive"] is False


def test_render_form_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "blank.pdf"
    call_command("render_form", "hoiku-nintei", out=pdf, stdout=io.StringIO())
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_render_form_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"\.png or \.pdf"):
        call_command("render_form", "hoiku-nintei", out=tmp_path / "blank.gif")


@pytest.mark.django_db
def test_load_catalog_twice_changes_nothing(catalog) -> None:
    out = io.StringIO()
    call_command("load_catalog", stdout=out)
    assert out.getvalue().count("unchanged") == 4
    assert FormType.objects.count() == 4


@pytest.mark.django_db
def test_import_form_adds_a_new_version_and_keeps_the_old(catalog, tmp_path: Path) -> None:
    definition = export("furusato-onestop")
    definition["fields"][0]["label"] = "申請年月日"
    source = tmp_path / "furusato.json"
    source.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    blank = tmp_path / "blank.png"
    call_command("render_form", "furusato-onestop", out=blank, stdout=io.StringIO())

    out = io.StringIO()
    call_command("import_form", source, reference=[blank], stdout=out)

    assert "furusato-onestop v2" in out.getvalue()
    versions = FormType.objects.filter(code="furusato-onestop").order_by("version")
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert versions[1].fields.get(key=definition["fields"][0]["key"]).label == "申請年月日"
    assert versions[1].pages.get(number=1).reference_image
    assert export("furusato-onestop")["version"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["fields"][0].update(x=99999), "region outside the page"),
        (lambda d: d["fields"][0].update(kind="barcode"), "unknown kind"),
        (lambda d: d["fields"].append(dict(d["fields"][0])), "duplicate key"),
        (lambda d: d.pop("page_width"), "'page_width' is missing"),
    ],
)
def test_import_form_rejects_a_bad_definition_with_a_reason(
    catalog, tmp_path: Path, change, message: str
) -> None:
    definition = export("kyuyo-shiharai")
    change(definition)
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(definition), encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("import_form", source)
    assert FormType.objects.filter(code="kyuyo-shiharai").count() == 1


@pytest.mark.django_db
def test_import_form_always_marks_a_my_number_sensitive(catalog, tmp_path: Path) -> None:
    definition = export("kakutei-shinkoku")
    for field in definition["fields"]:
        field["sensitive"] = False
    definition["code"] = "kakutei-custom"
    source = tmp_path / "custom.json"
    source.write_text(json.dumps(definition), encoding="utf-8")
    call_command("import_form", source, stdout=io.StringIO())
    form_type = FormType.objects.get(code="kakutei-custom")
    assert form_type.fields.get(kind="mynumber").sensitive is True


@pytest.mark.django_db
def test_a_new_version_keeps_the_department_grants(catalog) -> None:
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, get_perms

    from forms_catalog.catalog import new_version

    furusato = catalog["furusato-onestop"]
    group = Group.objects.create(name="税務課第二係")
    assign_perm("forms_catalog.process", group, furusato)
    assign_perm("forms_catalog.view_mynumber", group, furusato)
    created = new_version(furusato)
    assert created.version == 2
    assert sorted(get_perms(group, created)) == ["process", "view_mynumber"]
    assert created.fields.count() == furusato.fields.count()
