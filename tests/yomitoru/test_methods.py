"""HTTP methods: only GET, HEAD and POST reach a view, and every page that renders data is logged.

The outside test found that OPTIONS or TRACE on a document's page answered 200 with a revealed
My Number and wrote no entry: the admin renders any method that is not POST, the logging fired
on GET only. Both halves are closed and tested on their own: the middleware refuses the other
methods before any view runs, and the logging does not depend on the method.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from audit.models import AuditEntry
from tests.ocr.documents import read_document
from tests.personas import department_clerks, login, security_officer
from yomitoru.security.methods import ALLOWED_METHODS, RequestGateMiddleware

pytestmark = pytest.mark.django_db

REFUSED = ("OPTIONS", "TRACE", "PUT", "PATCH", "DELETE", "CONNECT", "PROPFIND", "FOO")
MIDDLEWARE = "yomitoru.security.methods.RequestGateMiddleware"


@pytest.fixture
def world(catalog):
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    document, truth = read_document(furusato)
    owner = login(Client(), people["owner"])
    officer = security_officer()
    reveal = reverse("admin:ocr_document_reveal", args=[document.pk])
    assert owner.post(reveal, {"reason": "住民からの問い合わせ対応"}).status_code == 302
    return SimpleNamespace(
        owner=owner,
        clerk=people["owner"],
        officer_user=officer,
        officer=login(Client(), officer),
        document=document,
        number=truth["mynumber"],
        change=reverse("admin:ocr_document_change", args=[document.pk]),
    )


def entries() -> int:
    return AuditEntry.objects.count()


def opens(user) -> int:
    return AuditEntry.objects.filter(actor=user, additional_data__access="open").count()


def call(client: Client, method: str, path: str):
    return client.generic(method, path)


def test_the_middleware_is_installed_before_anything_that_reads_the_request(settings) -> None:
    middleware = list(settings.MIDDLEWARE)
    assert MIDDLEWARE in middleware
    position = middleware.index(MIDDLEWARE)
    # Only the transport-level headers come before it; no session, user or view work.
    assert position <= middleware.index("django.contrib.sessions.middleware.SessionMiddleware")


@pytest.mark.parametrize("method", REFUSED)
def test_a_revealed_document_is_not_served_to_other_methods(world, method: str) -> None:
    before = entries()
    response = call(world.owner, method, world.change)
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == set(ALLOWED_METHODS)
    assert world.number not in response.content.decode()
    assert entries() == before, "no view ran, nothing happened"


@pytest.mark.parametrize("method", ("OPTIONS", "TRACE"))
def test_the_audit_pages_are_not_served_to_other_methods(world, method: str) -> None:
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None
    for path in (
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:audit_auditentry_change", args=[entry.pk]),
    ):
        before = entries()
        assert call(world.officer, method, path).status_code == 405
        assert entries() == before


def test_refused_for_anonymous_users_and_unknown_paths_too() -> None:
    client = Client()
    for path in ("/", "/admin/", "/admin/login/", "/no/such/page/", "/static/x.css"):
        assert call(client, "OPTIONS", path).status_code == 405, path
        assert call(client, "DELETE", path).status_code == 405, path


def test_get_head_and_post_pass() -> None:
    seen: list[str] = []

    def view(request):
        seen.append(request.method)
        return HttpResponse("ok")

    middleware = RequestGateMiddleware(view)
    factory = RequestFactory()
    for method in ("GET", "HEAD", "POST"):
        assert middleware(factory.generic(method, "/x/")).status_code == 200
    assert middleware(factory.generic("OPTIONS", "/x/")).status_code == 405
    assert seen == ["GET", "HEAD", "POST"]


def test_a_nul_in_the_path_or_query_is_refused() -> None:
    middleware = RequestGateMiddleware(lambda request: HttpResponse("ok"))
    factory = RequestFactory()
    assert middleware(factory.get("/admin/ocr/document/", {"status": "\x00"})).status_code == 400
    assert middleware(factory.get("/admin/ocr/document/", {"a\x00": "1"})).status_code == 400
    assert middleware(factory.get("/admin/ocr/batch/%00/change/")).status_code == 400
    assert middleware(factory.post("/admin/login/", {"username": "x"})).status_code == 200
    assert (
        middleware(factory.get("/admin/ocr/document/", {"status": "verified"})).status_code == 200
    )


def test_a_nul_in_a_list_filter_is_a_bad_request(world) -> None:
    """PostgreSQL refuses NUL in any text: on every admin list it was a server error."""
    response = world.owner.get(reverse("admin:ocr_document_changelist"), {"status": "\x00"})
    assert response.status_code == 400


def test_head_of_a_document_page_is_logged_like_get(world) -> None:
    """HEAD runs the view as GET does (the server drops the body): it is logged the same way."""
    before = opens(world.clerk)
    response = world.owner.head(world.change)
    assert response.status_code == 200
    assert response.content == b""
    assert opens(world.clerk) == before + 1


# Without the middleware (a settings file that drops it), the logging itself still covers
# every method the admin renders a page for. Clients made after the change load the new chain.
def _without_middleware(settings) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]


def new_entries(client: Client, method: str, path: str) -> list[str]:
    last = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    response = call(client, method, path)
    assert response.status_code == 200, (method, path, response.status_code)
    new = AuditEntry.objects.filter(sequence__gt=last or 0).order_by("sequence")
    return [entry.additional_data.get("access") for entry in new]


@pytest.mark.parametrize("method", ("OPTIONS", "TRACE", "PUT", "HEAD"))
def test_pages_rendered_for_any_method_are_logged(world, settings, method: str) -> None:
    _without_middleware(settings)
    owner = login(Client(), world.clerk)
    officer = login(Client(), world.officer_user)
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None
    batch = reverse("admin:ocr_batch_change", args=[world.document.batch_id])
    assert new_entries(owner, method, world.change) == ["open"]
    assert new_entries(owner, method, batch) == ["open"]
    audit_list = reverse("admin:audit_auditentry_changelist")
    assert new_entries(officer, method, audit_list) == ["audit_view"]
    audit_entry = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert new_entries(officer, method, audit_entry) == ["audit_view"]


def test_a_post_that_renders_the_audit_list_is_logged(world) -> None:
    """POST reaches the audit list (the admin's action form): the list it renders is logged."""
    officer = login(Client(enforce_csrf_checks=False), world.officer_user)
    audit_list = reverse("admin:audit_auditentry_changelist")
    assert new_entries(officer, "POST", audit_list) == ["audit_view"]


def test_a_refused_bad_filter_is_not_a_look_at_the_log(world) -> None:
    """A bad filter sends the officer to the unfiltered list; the page saying so shows no row."""
    audit_list = reverse("admin:audit_auditentry_changelist")
    before = entries()
    response = world.officer.get(audit_list, {"resource_type": "abc"})
    assert response.status_code == 302 and response["Location"] == f"{audit_list}?e=1"
    assert entries() == before
    assert new_entries(world.officer, "GET", f"{audit_list}?e=1&resource_type=abc") == []


def test_the_audit_export_refuses_a_bad_filter(world) -> None:
    officer = login(Client(enforce_csrf_checks=False), world.officer_user)
    export = reverse("admin:audit_auditentry_export")
    before = entries()
    for value in ("abc", "99999999999999999999999", "²"):
        response = officer.post(f"{export}?resource_type={value}")
        assert response.status_code == 400, value
    assert entries() == before
