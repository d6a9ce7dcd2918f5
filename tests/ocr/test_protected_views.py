"""Three personas on every protected view and export.

owner: the owning department with view_mynumber; no_mynumber: same department, process and
export but no view_mynumber; outsider: another department.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from forms_catalog.layouts import get_layout
from ocr.disclosure import CROP_MARGIN
from ocr.models import Reveal
from tests.ocr.documents import png_array, read_document
from tests.personas import department_clerks, login
from yomitoru.lib.mynumber import MASK

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(catalog):
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    document, truth = read_document(furusato)
    return people, document, truth


def access_entries(user, access: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            actor=user, action=AuditEntry.Action.ACCESS, additional_data__access=access
        )
    )


def reveal(client, document, reason="住民からの問い合わせ対応"):
    return client.post(reverse("admin:ocr_document_reveal", args=[document.pk]), {"reason": reason})


def mynumber_region(image):
    """The My Number comb in a served page image (which may be scaled down)."""
    layout = get_layout("furusato-onestop")
    r = layout.field("mynumber").rect
    f = image.shape[1] / layout.width
    return image[
        round((r.y + 5) * f) : round((r.bottom - 5) * f),
        round((r.x + 5) * f) : round((r.right - 5) * f),
    ]


def image_sources(response) -> list[str]:
    return [
        unescape(src) for src in re.findall(r'<img[^>]+src="([^"]+)"', response.content.decode())
    ]


def page_url(document):
    return reverse("admin:ocr_document_page", args=[document.pk, 1])


def test_owner_sees_the_number_only_after_a_logged_reveal(client, setup) -> None:
    people, document, truth = setup
    owner = people["owner"]
    login(client, owner)
    change = reverse("admin:ocr_document_change", args=[document.pk])

    before = client.get(change).content.decode()
    assert truth["mynumber"] not in before and MASK in before
    image = png_array(client.get(page_url(document)).content)
    assert mynumber_region(image).max() == 0, "the region is really black before a reveal"

    assert reveal(client, document).status_code == 302
    after = client.get(change).content.decode()
    assert truth["mynumber"] in after
    assert mynumber_region(png_array(client.get(page_url(document)).content)).max() > 0

    [entry] = access_entries(owner, "reveal")
    assert entry.additional_data["reason"] == "住民からの問い合わせ対応"
    assert entry.additional_data["document"] == document.pk


def test_same_department_without_the_right_never_sees_a_digit(client, setup) -> None:
    people, document, truth = setup
    clerk = people["no_mynumber"]
    login(client, clerk)
    change = reverse("admin:ocr_document_change", args=[document.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert truth["mynumber"] not in page.content.decode()
    assert MASK in page.content.decode()
    assert truth["name"] in page.content.decode(), "other values are shown"

    reveal(client, document)
    assert access_entries(clerk, "reveal") == []
    assert truth["mynumber"] not in client.get(change).content.decode()
    assert mynumber_region(png_array(client.get(page_url(document)).content)).max() == 0
    field = document.fields.get(definition__key="mynumber")
    crop = client.get(reverse("admin:ocr_document_crop", args=[document.pk, field.pk]))
    assert png_array(crop.content).max() == 0


def test_outsider_finds_nothing(client, setup) -> None:
    people, document, _truth = setup
    outsider = people["outsider"]
    login(client, outsider)
    changelist = client.get(reverse("admin:ocr_document_changelist"))
    assert changelist.context["cl"].result_count == 0
    change = client.get(reverse("admin:ocr_document_change", args=[document.pk]))
    assert change.status_code == 302, "the admin treats an invisible document as missing"
    assert client.get(page_url(document)).status_code == 404
    field = document.fields.get(definition__key="mynumber")
    crop = client.get(reverse("admin:ocr_document_crop", args=[document.pk, field.pk]))
    assert crop.status_code == 404
    assert reveal(client, document).status_code == 404
    batches = client.get(reverse("admin:ocr_batch_changelist"))
    assert batches.context["cl"].result_count == 0


def test_search_by_my_number_posts_the_number_and_redirects_with_a_digest(client, setup):
    people, _document, truth = setup
    owner = people["owner"]
    login(client, owner)
    response = client.post(
        reverse("admin:ocr_document_search"), {"mynumber": truth["mynumber"]}, follow=True
    )
    final_url = response.redirect_chain[-1][0]
    assert truth["mynumber"] not in final_url
    assert "mynumber_digest=" in final_url
    assert response.context["cl"].result_count == 1
    assert 'id="mynumber-search-active"' in response.content.decode()
    [entry] = access_entries(owner, "search_mynumber")
    assert entry.additional_data["count"] == 1


def test_search_for_a_number_nobody_holds_lists_nothing(client, setup) -> None:
    people, _document, _truth = setup
    login(client, people["owner"])
    response = client.post(
        reverse("admin:ocr_document_search"), {"mynumber": "123456789018"}, follow=True
    )
    assert response.context["cl"].result_count == 0, "the digest filter is applied"
    page = response.content.decode()
    assert 'id="mynumber-search-active"' in page, "the page says a search is active"


def test_search_is_offered_and_allowed_only_with_the_right(client, setup) -> None:
    people, document, truth = setup
    changelist = reverse("admin:ocr_document_changelist")
    login(client, people["owner"])
    assert 'id="mynumber-search"' in client.get(changelist).content.decode()
    for persona in ("no_mynumber", "outsider"):
        login(client, people[persona])
        assert 'id="mynumber-search"' not in client.get(changelist).content.decode()
        search = reverse("admin:ocr_document_search")
        response = client.post(search, {"mynumber": truth["mynumber"]})
        assert response.status_code == 403
        assert access_entries(people[persona], "search_mynumber") == []
    # A digest typed into the URL by someone without the right finds nothing either.
    login(client, people["no_mynumber"])
    digest = document.fields.get(definition__key="mynumber").value_digest
    response = client.get(f"{changelist}?mynumber_digest={digest}")
    assert response.context["cl"].result_count == 0


def test_a_reveal_is_a_row_that_outlives_the_session_and_expires(client, setup) -> None:
    people, document, truth = setup
    owner = people["owner"]
    login(client, owner)
    change = reverse("admin:ocr_document_change", args=[document.pk])
    reveal(client, document)
    [row] = Reveal.objects.filter(user=owner, document=document)
    assert row.reason == "住民からの問い合わせ対応"
    assert not any("reveal" in key for key in client.session.keys()), "nothing in the session"  # noqa: SIM118
    # Another session of the same person (e.g. a page whose images saved an older session)
    # sees the same reveal.
    other = login(Client(), owner)
    assert truth["mynumber"] in other.get(change).content.decode()
    Reveal.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert truth["mynumber"] not in client.get(change).content.decode()


def test_one_open_writes_one_entry_that_covers_its_images(client, setup) -> None:
    people, document, _ = setup
    owner = people["owner"]
    login(client, owner)
    response = client.get(reverse("admin:ocr_document_change", args=[document.pk]))
    sources = image_sources(response)
    assert len(sources) == document.fields.count() + 1
    for src in sources:
        assert client.get(src).status_code == 200
    [entry] = AuditEntry.objects.filter(actor=owner, action=AuditEntry.Action.ACCESS)
    assert entry.additional_data["access"] == "open"
    assert entry.additional_data["fields"] == document.fields.count()
    assert entry.additional_data["pages"] == [1]
    assert entry.additional_data["sensitive_visible"] is False

    # The same crop fetched outside an open (no token, or another person's) is logged.
    field = document.fields.get(definition__key="mynumber")
    client.get(reverse("admin:ocr_document_crop", args=[document.pk, field.pk]))
    [crop] = access_entries(owner, "crop")
    assert crop.additional_data["sensitive_visible"] is False
    token = re.search(r"view=([^&]+)", sources[0]).group(1)
    colleague = people["no_mynumber"]
    login(client, colleague)
    client.get(reverse("admin:ocr_document_crop", args=[document.pk, field.pk]) + f"?view={token}")
    assert len(access_entries(colleague, "crop")) == 1


def test_an_open_shows_no_more_than_it_logged(client, setup) -> None:
    """A reveal made after the page was opened does not unmask that page's images."""
    people, document, _ = setup
    owner = people["owner"]
    login(client, owner)
    response = client.get(reverse("admin:ocr_document_change", args=[document.pk]))
    [page_src] = [src for src in image_sources(response) if "/page/1" in src]
    reveal(client, document)
    assert mynumber_region(png_array(client.get(page_src).content)).max() == 0
    reopened = client.get(reverse("admin:ocr_document_change", args=[document.pk]))
    [page_src] = [src for src in image_sources(reopened) if "/page/1" in src]
    assert mynumber_region(png_array(client.get(page_src).content)).max() > 0


def test_page_images_are_screen_sized_jpeg_with_full_resolution_on_request(client, setup):
    people, document, _ = setup
    login(client, people["owner"])
    screen = client.get(page_url(document))
    assert screen["Content-Type"] == "image/jpeg"
    assert png_array(screen.content).shape[1] == 1240
    full = client.get(page_url(document) + "?size=full")
    assert png_array(full.content).shape[1] == document.form_type.page_width
    assert len(screen.content) < 400_000


def test_each_access_writes_exactly_one_entry_with_its_actor(client, setup) -> None:
    people, document, _ = setup
    owner = people["owner"]
    login(client, owner)
    client.get(reverse("admin:ocr_document_change", args=[document.pk]))
    assert len(access_entries(owner, "open")) == 1
    client.get(page_url(document))
    assert len(access_entries(owner, "image")) == 1
    reveal(client, document)
    assert len(access_entries(owner, "reveal")) == 1
    client.get(reverse("admin:ocr_batch_change", args=[document.batch_id]))
    assert len(access_entries(owner, "open")) == 2
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).exclude(actor=owner)


def test_images_are_never_cached(client, setup) -> None:
    people, document, _ = setup
    login(client, people["owner"])
    response = client.get(page_url(document))
    assert "no-store" in response["Cache-Control"]


def test_a_crop_never_shows_a_neighbouring_my_number(client, setup) -> None:
    """Crops have a margin; where it reaches into a sensitive region, that part is black.

    The standard forms keep their fields apart; a form drawn by hand may not, so a field is
    moved right beside the My Number here.
    """
    people, document, _truth = setup
    number = document.form_type.fields.get(key="mynumber")
    field = document.fields.select_related("definition").get(definition__key="name")
    d = field.definition
    d.x, d.y = number.x + number.w + 8, number.y
    d.save(update_fields=["x", "y"])
    login(client, people["no_mynumber"])
    crop = png_array(
        client.get(reverse("admin:ocr_document_crop", args=[document.pk, field.pk])).content
    )
    # The part of the crop left of the field is the end of the My Number comb: black.
    overlap = crop[CROP_MARGIN + 4 : CROP_MARGIN + number.h - 4, : CROP_MARGIN - 8 - 2]
    assert overlap.size and overlap.max() < 40
