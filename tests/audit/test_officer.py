"""The security officer's view: filters, My Number lookup, unusual access, CSV, self-logging.

Personas: an officer (group 監査 with ``audit.view_auditentry`` and no right on any form type),
the owning department's clerk with ``view_mynumber`` who opens, reveals and exports through the
real views, and a clerk of another department. Nothing the officer sees may hold a value.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import remove_perm

from audit.access import Access, log_access
from audit.chain import verify_chain
from audit.models import AuditEntry
from audit.reports import parse_office_hours
from tests.ocr.documents import read_document
from tests.ocr.exports import export_through_screens
from tests.personas import department_clerks, login, security_officer

pytestmark = pytest.mark.django_db

TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")
SEAL = re.compile(r"\b[0-9a-f]{64}\b")
CHANGELIST = "admin:audit_auditentry_changelist"
LOOKUP = "admin:audit_auditentry_mynumber"
UNUSUAL = "admin:audit_auditentry_unusual"
EXPORT = "admin:audit_auditentry_export"


@pytest.fixture
def world(catalog):
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    officer = security_officer()
    document, truth = read_document(furusato, seed=1)
    return SimpleNamespace(
        form_type=furusato,
        clerk=people["owner"],
        approver=people["no_mynumber"],
        outsider=people["outsider"],
        officer=officer,
        document=document,
        other=None,
        number=truth["mynumber"],
    )


@pytest.fixture
def world_of_two(world):
    """Another document of the same form type, with another My Number."""
    world.other, _ = read_document(world.form_type, seed=2)
    return world


def shows_no_number(text: str) -> bool:
    """No run of 12 digits (a hex seal may hold one by chance: seals are left out)."""
    return not TWELVE_DIGITS.search(SEAL.sub("", text))


def as_user(user: User) -> Client:
    return login(Client(), user)


def clerk_works(world, reveals: int = 1) -> Client:
    """The clerk opens and reveals the document, exports it, and opens the other one if any."""
    clerk = as_user(world.clerk)
    change = reverse("admin:ocr_document_change", args=[world.document.pk])
    assert clerk.get(change).status_code == 200
    for _ in range(reveals):
        reveal = reverse("admin:ocr_document_reveal", args=[world.document.pk])
        assert clerk.post(reveal, {"reason": "住民からの問い合わせ対応"}).status_code == 302
    exported = export_through_screens(clerk, as_user(world.approver), world.document)
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    if world.other is not None:
        other = reverse("admin:ocr_document_change", args=[world.other.pk])
        assert clerk.get(other).status_code == 200
    outsider = as_user(world.outsider)
    outsider.get(change)  # not theirs: nothing opened, nothing logged
    return clerk


def accesses(user: User, kind: Access) -> list[AuditEntry]:
    """The user's access entries of this kind, oldest first."""
    return list(
        AuditEntry.objects.filter(
            actor=user, action=AuditEntry.Action.ACCESS, additional_data__access=kind.value
        ).order_by("sequence")
    )


def listed(officer: Client, **params: object) -> list[AuditEntry]:
    response = officer.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return list(response.context["cl"].queryset)


def test_the_officer_filters_by_user_kind_form_type_batch_and_document(world_of_two) -> None:
    world = world_of_two
    clerk_works(world)
    officer = as_user(world.officer)
    clerk_id = world.clerk.pk

    by_clerk = listed(officer, actor__id__exact=clerk_id)
    assert by_clerk and {e.actor_id for e in by_clerk} == {clerk_id}

    reveals = listed(officer, access=Access.REVEAL.value)
    assert [(e.actor_id, e.object_pk) for e in reveals] == [(clerk_id, str(world.document.pk))]

    opened = listed(officer, actor__id__exact=clerk_id, access="open", document=world.document.pk)
    assert len(opened) == 1
    assert len(listed(officer, access="open", batch=world.other.batch_id)) == 1

    in_form_type = listed(officer, form_type=world.form_type.pk, access="export")
    assert len(in_form_type) == 1 and in_form_type[0].additional_data["count"] == 1
    assert listed(officer, form_type=world.form_type.pk + 1000) == []

    today = datetime.now(ZoneInfo("Asia/Tokyo"))
    dated = listed(officer, timestamp__year=today.year, access="open")
    assert len(dated) == 2

    page = officer.get(reverse(CHANGELIST), {"document": world.document.pk}).content.decode()
    assert "アクセスの種類" in page and "不審なアクセスの報告" in page
    assert world.number not in page and shows_no_number(page)
    assert officer.get(reverse(CHANGELIST), {"document": "abc"}).status_code == 302


def test_the_my_number_lookup_finds_exactly_the_accesses_to_that_document(world_of_two) -> None:
    world = world_of_two
    clerk_works(world)
    officer = as_user(world.officer)
    spaced = f"{world.number[:4]} {world.number[4:8]} {world.number[8:]}"

    response = officer.post(reverse(LOOKUP), {"mynumber": spaced})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response.context["documents"] == [world.document.pk]
    rows = [item["row"] for item in response.context["accesses"]]
    assert {(r.username, r.access, r.document_id) for r in rows} == {
        ("clerk_with_mynumber", "open", world.document.pk),
        ("clerk_with_mynumber", "reveal", world.document.pk),
    }
    assert [r.reason for r in rows if r.access == "reveal"] == ["住民からの問い合わせ対応"]
    exports = [item["row"] for item in response.context["exports"]]
    assert [(r.username, r.count) for r in exports] == [("clerk_with_mynumber", 1)]
    body = response.content.decode()
    assert world.number not in body and shows_no_number(body)

    searches = accesses(world.officer, Access.SEARCH_MYNUMBER)
    assert len(searches) == 1 and searches[0].additional_data["count"] == 1
    assert world.number not in str(searches[0].additional_data)
    assert accesses(world.officer, Access.AUDIT_VIEW) == []

    # POST only: a GET (which would carry the number in its URL) is refused.
    assert officer.get(reverse(LOOKUP), {"mynumber": world.number}).status_code == 405
    refused = officer.post(reverse(LOOKUP), {"mynumber": "123456789012"})
    assert refused.status_code == 200 and refused.context["error"]
    assert "123456789012" not in refused.content.decode()
    assert len(accesses(world.officer, Access.SEARCH_MYNUMBER)) == 1


def unusual(world, settings, **overrides: object):
    for name, value in overrides.items():
        setattr(settings, name, value)
    response = as_user(world.officer).get(reverse(UNUSUAL))
    assert response.status_code == 200
    assert shows_no_number(response.content.decode())
    return response.context


def test_the_report_flags_bursts_off_hours_access_and_access_without_a_grant(
    world, settings
) -> None:
    clerk_works(world, reveals=3)
    # Three reveals in at most two clock hours: at least two share an hour.
    context = unusual(world, settings, AUDIT_REVEALS_PER_HOUR=1, OFFICE_HOURS="00:00-24:00")
    flagged = [item["row"] for item in context["bursts"]]
    assert flagged and all(r.username == "clerk_with_mynumber" for r in flagged)
    assert all(r.access == "reveal" and r.count > 1 for r in flagged)
    assert context["ungranted"] == []
    assert unusual(world, settings, AUDIT_REVEALS_PER_HOUR=10)["bursts"] == []

    now = datetime.now(ZoneInfo("Asia/Tokyo"))
    if now.weekday() < 5:
        assert unusual(world, settings, OFFICE_HOURS="00:00-24:00")["off_hours"] == []
    closed = "13:00-23:00" if now.hour < 12 else "00:00-11:00"
    off_hours = unusual(world, settings, OFFICE_HOURS=closed)["off_hours"]
    assert "clerk_with_mynumber" in {item["row"].username for item in off_hours}
    assert unusual(world, settings, OFFICE_HOURS="late")["office_hours_error"]

    remove_perm("forms_catalog.process", world.form_type.department, world.form_type)
    rows = unusual(world, settings, OFFICE_HOURS="00:00-24:00")["ungranted"]
    assert [(r.username, r.form_type_id) for r in rows] == [
        ("clerk_with_mynumber", world.form_type.pk)
    ]
    assert rows[0].accesses >= 4  # an open and three reveals


def test_office_hours_are_parsed_strictly() -> None:
    assert parse_office_hours("08:00-19:00") == (480, 1140)
    assert parse_office_hours("0:00-24:00") == (0, 1440)
    for bad in ("19:00-08:00", "8-19", "08:60-19:00", "08:00-25:00"):
        with pytest.raises(ValueError):
            parse_office_hours(bad)


def test_the_filtered_log_exports_as_csv_and_is_logged(world) -> None:
    clerk_works(world)
    officer = as_user(world.officer)
    url = reverse(EXPORT) + f"?actor__id__exact={world.clerk.pk}&access=reveal"

    assert officer.get(url).status_code == 405
    response = officer.post(url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1
    row = rows[0]
    assert row["利用者"] == "clerk_with_mynumber" and row["アクセスの種類"] == "個人番号を表示"
    assert row["操作"] == "アクセス" and row["対象の種類"] == "帳票"
    assert row["帳票ID"] == str(world.document.pk) and row["理由"] == "住民からの問い合わせ対応"
    assert row["様式ID"] == str(world.form_type.pk) and len(row["封印"]) == 64
    assert datetime.fromisoformat(row["日時"]).utcoffset() is not None
    assert shows_no_number(body)

    everything = officer.post(reverse(EXPORT))
    all_rows = list(csv.DictReader(io.StringIO(b"".join(everything.streaming_content).decode())))
    exports = accesses(world.officer, Access.AUDIT_EXPORT)
    assert [e.additional_data["count"] for e in exports] == [1, len(all_rows)]
    assert accesses(world.officer, Access.AUDIT_VIEW) == []


def test_logged_text_that_looks_like_a_formula_stays_text_in_the_csv(world) -> None:
    reason = '=HYPERLINK("http://example.invalid/","詳細")'
    log_access(world.clerk, world.document, Access.REVEAL, reason=reason)
    url = reverse(EXPORT) + f"?actor__id__exact={world.clerk.pk}&access=reveal"

    response = as_user(world.officer).post(url)

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row["理由"] for row in csv.DictReader(io.StringIO(body))] == ["'" + reason]


def test_a_clerk_without_audit_rights_is_refused_everywhere(world) -> None:
    clerk_works(world)
    entry = AuditEntry.objects.order_by("sequence").first()
    assert entry is not None
    for user in (world.clerk, world.outsider):
        client = as_user(user)
        assert client.get(reverse(CHANGELIST)).status_code == 403
        assert (
            client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).status_code == 403
        )
        assert client.get(reverse(UNUSUAL)).status_code == 403
        assert client.get(reverse(LOOKUP)).status_code == 403
        assert client.post(reverse(LOOKUP), {"mynumber": world.number}).status_code == 403
        assert client.post(reverse(EXPORT)).status_code == 403
        assert accesses(user, Access.AUDIT_VIEW) == accesses(user, Access.AUDIT_EXPORT) == []
        assert accesses(user, Access.SEARCH_MYNUMBER) == []


def test_each_officer_view_writes_exactly_one_audit_view_entry(world) -> None:
    clerk_works(world)
    officer = as_user(world.officer)
    reveal = AuditEntry.objects.get(additional_data__access="reveal")

    for url, target in (
        (reverse(CHANGELIST), world.officer),
        (reverse("admin:audit_auditentry_change", args=[reveal.pk]), reveal),
        (reverse(UNUSUAL), world.officer),
    ):
        before = len(accesses(world.officer, Access.AUDIT_VIEW))
        response = officer.get(url)
        assert response.status_code == 200
        assert shows_no_number(response.content.decode())
        views = accesses(world.officer, Access.AUDIT_VIEW)
        assert len(views) == before + 1
        assert views[-1].object_pk == str(target.pk)
    detail = officer.get(reverse("admin:audit_auditentry_change", args=[reveal.pk]))
    assert "住民からの問い合わせ対応" in detail.content.decode()


def test_entries_cannot_be_changed_or_deleted_and_the_chain_still_verifies(
    world, admin_user
) -> None:
    clerk_works(world)
    officer = as_user(world.officer)
    assert officer.get(reverse(CHANGELIST)).status_code == 200
    assert officer.get(reverse(UNUSUAL)).status_code == 200
    assert officer.post(reverse(LOOKUP), {"mynumber": world.number}).status_code == 200
    b"".join(officer.post(reverse(EXPORT)).streaming_content)

    entry = AuditEntry.objects.get(additional_data__access="reveal")
    before = (entry.object_repr, entry.seal)
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    for client in (officer, as_user(admin_user)):
        assert client.post(change, {"object_repr": "改ざん"}).status_code == 403
        assert client.get(delete).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
        bulk = client.post(
            reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [entry.pk]}
        )
        assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert (entry.object_repr, entry.seal) == before

    # Entries written inside requests (actor and address from the middleware) verify too.
    assert AuditEntry.objects.exclude(remote_addr=None).exists()
    report = verify_chain()
    assert report.ok, report.problem


def test_an_export_names_its_documents_and_the_lookup_finds_only_those(world) -> None:
    """The export entry lists the exported documents: a later document of the same form type,
    not in the export, is not reported as exported (it used to be, by form type and date)."""
    clerk_works(world)  # exports world.document only
    later, truth = read_document(world.form_type, seed=2)
    (export,) = accesses(world.clerk, Access.EXPORT)
    assert export.additional_data["documents"] == [world.document.pk]
    assert export.additional_data["count"] == 1
    officer = as_user(world.officer)

    mine = officer.post(reverse(LOOKUP), {"mynumber": world.number})
    assert [item["row"].sequence for item in mine.context["exports"]] == [export.sequence]
    theirs = officer.post(reverse(LOOKUP), {"mynumber": truth["mynumber"]})
    assert theirs.context["documents"] == [later.pk]
    assert theirs.context["exports"] == []

    # An export logged before documents were named still counts, by form type and date.
    old = log_access(world.clerk, world.form_type, Access.EXPORT, count=3)
    theirs = officer.post(reverse(LOOKUP), {"mynumber": truth["mynumber"]})
    assert [item["row"].sequence for item in theirs.context["exports"]] == [old.sequence]


def test_the_officer_reads_what_an_export_took_and_who_approved_it(world) -> None:
    world.approver.first_name = "承認する係長"
    world.approver.save(update_fields=["first_name"])
    clerk_works(world)
    (export,) = accesses(world.clerk, Access.EXPORT)

    page = as_user(world.officer).get(reverse("admin:audit_auditentry_change", args=[export.pk]))

    text = page.content.decode()
    assert "1 件の帳票" in text and "個人番号を含む" in text
    assert "承認者: 承認する係長" in text
    assert "出力列: 帳票番号、バッチ番号" in text
    assert shows_no_number(text)
