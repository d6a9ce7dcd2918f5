"""Every URL the project defines, with every HTTP method, as every persona.

Each response is either refused (400, 403, 404, 405, or a redirect that shows nothing) or it
leaves exactly the audit entries its URL should: the table ``LOGS`` below says which, per URL
name. A URL missing from the table fails the test, so a new page must be classified here.

The URLs are read from the resolver (the admin's per-model URLs included) and filled with
ids of real rows: a read document of the ふるさと納税 form with its page and fields, its
batch and file, an audit entry, users, groups, and a row of every other model with an admin.
The owner has revealed the document first: a page that carries the number must be logged.

POSTs are sent without a CSRF token through a client that does not enforce it, so each view's
own checks are exercised; their bodies are empty (a form that does nothing), except the few
of ``post_data`` below, whose entries are part of the table. Each persona gets fresh rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin import FieldListFilter, SimpleListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q.models import OrmQ, Schedule, Task
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry, DisposalRecord
from forms_catalog.models import KeyingRate
from ocr.admin.exports import download_token
from ocr.exports.services import request_export
from ocr.models import KindThreshold, OcrRun
from tests.ocr.documents import read_document
from tests.personas import department_clerks, login, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
# What a page may need; anything else is refused before a view runs.
VIEW_METHODS = ("GET", "HEAD", "POST")
PERSONAS = ("anonymous", "owner", "no_mynumber", "outsider", "officer", "manager", "superuser")
# Refused: bad request, forbidden, not found, method not allowed.
REFUSED = (400, 403, 404, 405)
# Answered (what it shows or where it sends the person is then checked against the table).
ANSWERED = (200, 301, 302)
REASON = "住民からの問い合わせ対応"

Expect = Callable[[str, str, int], list[str]]


def nothing(persona: str, method: str, status: int) -> list[str]:
    return []


def on_200(*kinds: str) -> Expect:
    """A page or file that carries data: each 200 leaves these access entries."""

    def expect(persona: str, method: str, status: int) -> list[str]:
        return list(kinds) if status == 200 else []

    return expect


def on_redirect(*kinds: str, personas: tuple[str, ...] = PERSONAS) -> Expect:
    """An act that answers with a redirect: it leaves these entries when it was done."""

    def expect(persona: str, method: str, status: int) -> list[str]:
        return list(kinds) if status == 302 and persona in personas else []

    return expect


# The per-model admin pages (list, add, history, delete, change, and the bare object URL that
# redirects to change) of models whose pages show configuration, counts or records of work:
# none of them logs an access (unless named again below). Their data changes are logged by
# django-auditlog when made.
QUIET_MODELS = (
    "auth_group",
    "auth_user",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
    "otp_totp_totpdevice",
    "django_q_schedule",
    "django_q_success",
    "django_q_failure",
    "django_q_ormq",
    "forms_catalog_formtype",
    "forms_catalog_keyingrate",
    "ocr_batch",
    "ocr_sourcefile",
    "ocr_ocrrun",
    "ocr_kindthreshold",
    "ocr_document",
    "ocr_reviewitem",
    # An export's page shows who asked, who approved and counts; a mapping, its columns.
    "ocr_exportjob",
    "ocr_exportmapping",
    "audit_disposalrecord",
    "audit_retentionreport",
    "audit_auditentry",
)
MODEL_VIEWS = ("changelist", "add", "history", "delete", "change", "object")

LOGS: dict[str, Expect] = {
    **{f"{model}_{view}": nothing for model in QUIET_MODELS for view in MODEL_VIEWS},
    # Pages outside the admin and the admin's own.
    "favicon.ico": nothing,
    "": nothing,
    "two_factor_verify": nothing,
    "two_factor_enrol": nothing,
    "index": nothing,  # the home panels show counts and links, never a row
    "login": nothing,
    "logout": nothing,
    "password_change": nothing,
    "password_change_done": nothing,
    "autocomplete": nothing,
    "jsi18n": nothing,
    "view_on_site": nothing,
    "app_list": nothing,
    "catch_all": nothing,
    # Users, grants, reference images: administration, not personal data.
    "auth_user_password_change": nothing,
    "forms_catalog_formtype_overlay": nothing,
    "forms_catalog_formtype_permissions": nothing,
    "forms_catalog_formtype_permissions_manage_user": nothing,
    "forms_catalog_formtype_permissions_manage_group": nothing,
    "ocr_batch_upload": nothing,  # an empty upload form is refused by the form
    # The manager's dashboard shows aggregates only; its CSV is an export all the same.
    "ocr_metrics": nothing,
    "ocr_metrics_csv": on_200("export"),
    # The queue's acts on a document nobody may claim (the world's is verified): refused.
    "ocr_reviewitem_next": nothing,
    "ocr_reviewitem_review": nothing,
    "ocr_reviewitem_release": nothing,
    "ocr_reviewitem_reject": nothing,
    "ocr_reviewitem_heartbeat": nothing,
    # Character verification: the world has no uncertain cell, so the grid shows none (with
    # cells it writes one open entry: tests/ocr/test_character_verification.py), and a cell
    # image outside a grid's token is refused.
    "ocr_reviewitem_cells": nothing,
    "ocr_reviewitem_cell_image": nothing,
    # Export: the world's request holds My Numbers and waits; the approval is a change of the
    # request (another person with export approves; its requester is refused), and no file
    # is ready to download.
    "ocr_exportjob_approve": on_redirect("update", personas=("no_mynumber",)),
    "ocr_exportjob_download": nothing,
    # A document and what it shows.
    "ocr_document_change": on_200("open"),
    "ocr_document_page": on_200("image"),  # fetched without the page's view token
    "ocr_document_crop": on_200("crop"),
    "ocr_document_reveal": on_redirect("reveal", personas=("owner",)),
    "ocr_document_search": on_redirect("search_mynumber", personas=("owner",)),
    "ocr_batch_change": on_200("open"),
    # Whose second factor it is (never its key): opening it is logged.
    "otp_totp_totpdevice_change": on_200("open"),
    # The audit log: every look at it is itself logged.
    "audit_auditentry_changelist": on_200("audit_view"),
    "audit_auditentry_change": on_200("audit_view"),
    "audit_auditentry_unusual": on_200("audit_view"),
    "audit_auditentry_export": on_200("audit_export"),
    "audit_auditentry_mynumber": on_200("search_mynumber"),
}


def post_data(world: Any) -> dict[str, dict[str, str]]:
    return {
        "ocr_document_reveal": {"reason": REASON},
        "ocr_document_search": {"mynumber": world["number"]},
        "audit_auditentry_mynumber": {"mynumber": world["number"]},
    }


# ---------------------------------------------------------------------------------------------
# The URLs, read from the resolver.

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
MODEL_PREFIX = re.compile(r"^admin/(\w+)/(\w+)/")
MODEL_KEY = re.compile(r"^(auth|axes|otp_totp|django_q|forms_catalog|ocr|audit)_\w+$")


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern), pattern


def url_name(route: str, pattern: URLPattern) -> str:
    if pattern.name:
        return pattern.name
    if route.endswith("<path:object_id>/"):
        match = MODEL_PREFIX.match(route)
        assert match, route
        return f"{match[1]}_{match[2]}_object"
    if route == "admin/(?P<url>.*)$":
        return "catch_all"
    return route


def paths(route: str, name: str, ids: dict[str, Any]) -> list[str]:
    """The concrete paths of one route: each parameter filled with a real row's id."""
    if name == "app_list":
        labels = re.search(r"\(\?P<app_label>([^)]+)\)", route)
        assert labels, route
        return [f"/admin/{label}/" for label in labels[1].split("|")]
    if name == "catch_all":
        return ["/admin/no-such-page/", f"/admin/ocr/document/{ids['ocr_document']}"]
    model = MODEL_PREFIX.match(route)
    model_key = f"{model[1]}_{model[2]}" if model else ""

    def value(match: re.Match[str]) -> str:
        parameter = match[1]
        if name == "view_on_site":
            return str(ids["view_on_site"][parameter])
        if parameter in ("object_id", "pk", "object_pk"):
            return str(ids[model_key])
        return str(ids[parameter])

    return ["/" + PARAMETER.sub(value, route)]


def all_urls(ids: dict[str, Any]) -> list[tuple[str, str]]:
    urls = []
    for route, pattern in walk(get_resolver().url_patterns):
        name = url_name(route, pattern)
        urls += [(name, path) for path in paths(route, name, ids)]
    return urls


# ---------------------------------------------------------------------------------------------
# The world: personas and a row of everything.


def build_world(catalog: dict[str, Any]) -> dict[str, Any]:
    furusato = catalog["furusato-onestop"]
    people = department_clerks(furusato)
    officers = Group.objects.create(name="監査")
    officers.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="audit",
            codename__in=("view_auditentry", "view_disposalrecord"),
        )
    )
    managers = Group.objects.create(name="所属長")
    assign_perm("forms_catalog.view_statistics", managers, furusato)
    assign_perm("forms_catalog.metrics", managers, furusato)
    people["officer"] = make_user("officer", officers)
    people["manager"] = make_user("manager", managers)
    people["superuser"] = User.objects.create_superuser("root", password="unused-in-tests")

    document, truth = read_document(furusato)
    owner = login(Client(), people["owner"])
    assert (
        owner.post(
            reverse("admin:ocr_document_reveal", args=[document.pk]), {"reason": REASON}
        ).status_code
        == 302
    )

    # Rows the pages act on that belong to no persona: a POST to them changes nobody's rights.
    spare_group = Group.objects.create(name="予備")
    spare_user = make_user("spare", spare_group)
    spare_device = TOTPDevice.objects.create(user=spare_user, name="spare", confirmed=True)
    now = timezone.now()
    attempt = dict(user_agent="test", ip_address="127.0.0.1", username="spare", http_accept="*")
    task = dict(name="t", func="math.floor", started=now, stopped=now)
    field = document.fields.get(definition__key="mynumber")
    ids = {
        "auth_group": spare_group.pk,
        "auth_user": spare_user.pk,
        "otp_totp_totpdevice": spare_device.pk,
        "axes_accessattempt": AccessAttempt.objects.create(
            **attempt, path_info="/admin/login/", get_data="", post_data="", failures_since_start=1
        ).pk,
        "axes_accesslog": AccessLog.objects.create(**attempt, path_info="/admin/login/").pk,
        "axes_accessfailurelog": AccessFailureLog.objects.create(
            **attempt, path_info="/admin/login/"
        ).pk,
        "django_q_schedule": Schedule.objects.create(name="s", func="math.floor").pk,
        "django_q_success": Task.objects.create(id="s1", success=True, **task).pk,
        "django_q_failure": Task.objects.create(id="f1", success=False, **task).pk,
        "django_q_ormq": OrmQ.objects.create(key="default", payload="x", lock=now).pk,
        "forms_catalog_formtype": furusato.pk,
        "forms_catalog_keyingrate": KeyingRate.objects.get_or_create(
            kind="text_ja", defaults={"seconds_per_character": 1.2, "seconds_per_field": 2.0}
        )[0].pk,
        "audit_retentionreport": furusato.pk,
        "ocr_batch": document.batch_id,
        "ocr_sourcefile": document.source_file_id,
        "ocr_document": document.pk,
        "ocr_reviewitem": document.pk,
        "ocr_ocrrun": OcrRun.objects.create(
            document=document, attempt=1, outcome=OcrRun.Outcome.values[0]
        ).pk,
        "ocr_kindthreshold": KindThreshold.objects.create(
            kind="digits",
            threshold=0.9,
            target_error=0.01,
            residual_error=0.01,
            straight_through=0.5,
            sample_fields=10,
            measured_with="test",
            measured_at=now,
        ).pk,
        "audit_disposalrecord": DisposalRecord.objects.create(
            form_type=furusato,
            form_code=furusato.code,
            form_version=furusato.version,
            run_date=date.today(),
            rule="test",
            retention_years=5,
            cutoff_date=date.today() - timedelta(days=1),
            documents=0,
            pages=0,
            files=0,
            field_values=0,
            received_from=date.today(),
            received_until=date.today(),
            actor_label="system",
        ).pk,
        "audit_auditentry": AuditEntry.objects.filter(additional_data__access="reveal").get().pk,
        "number": 1,
        "page": 1,
        "field_id": field.pk,
        "user_id": spare_user.pk,
        "group_id": spare_group.pk,
        "id": spare_user.pk,
        "view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(document).pk,
            "object_id": document.pk,
        },
    }
    export = request_export(furusato, acting_user=people["owner"], batch=document.batch)
    ids.update(
        ocr_exportjob=export.pk,
        ocr_exportmapping=furusato.pk,
        token=download_token(export, people["owner"]),
    )
    return {"people": people, "ids": ids, "number": truth["mynumber"], "document": document}


@pytest.fixture(autouse=True)
def _quiet_request_log(caplog: pytest.LogCaptureFixture) -> None:
    """Django warns of every 4xx: thousands of lines here, and a third of the test's time."""
    caplog.set_level(logging.ERROR, logger="django.request")


def client_of(world: dict[str, Any], persona: str) -> Client:
    client = Client(enforce_csrf_checks=False)
    if persona != "anonymous":
        login(client, world["people"][persona])
    return client


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def check(
    world: dict[str, Any], persona: str, client: Client, name: str, path: str, method: str
) -> list[str]:
    """Send one request; return what is wrong with its answer (nothing when all is right)."""
    where = f"{persona} {method} {path} ({name})"
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    data = post_data(world).get(name, {}) if method == "POST" else None
    try:
        response = client.generic(method, path, **_encoded(data))
        content = body(response)
    except Exception as error:  # a 500: the test client re-raises the view's exception
        return [f"{where}: raised {error.__class__.__name__}: {error}"]
    status = response.status_code
    new = list(AuditEntry.objects.filter(pk__gt=last).order_by("pk"))
    kinds = [_kind(entry) for entry in new]
    problems = []
    if method not in VIEW_METHODS and status != 405:
        problems.append(f"{where}: {status}, not refused before the view")
    if status not in REFUSED + ANSWERED:
        problems.append(f"{where}: unexpected status {status}")
    expected = LOGS[name](persona, method, status) if status in ANSWERED else []
    if kinds != expected:
        problems.append(f"{where}: {status} left {kinds}, expected {expected}")
    actor = world["people"].get(persona)
    if any(entry.actor_id != (actor.pk if actor else None) for entry in new):
        problems.append(f"{where}: an entry names someone else")
    if world["number"].encode() in content and not kinds:
        problems.append(f"{where}: {status} shows the My Number and is not logged")
    problems += [f"{where}: {wrong}" for entry in new for wrong in wrong_scope(world, name, entry)]
    return problems


def wrong_scope(world: dict[str, Any], name: str, entry: AuditEntry) -> list[str]:
    """An access entry names what was seen: the document of a document's URL, the object of
    a change page, or else the person (a list, a report, an export or a search is their act)."""
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    ids = world["ids"]
    if entry.action != AuditEntry.Action.ACCESS:
        return []
    if name.startswith("ocr_document_") and name != "ocr_document_search":
        right = data.get("document") == ids["ocr_document"]
    elif name.endswith("_change"):
        right = entry.object_pk == str(ids[name.removesuffix("_change")])
    else:
        right = entry.object_pk == str(entry.actor_id)
    return [] if right else [f"entry #{entry.pk} is about object {entry.object_pk}: {data}"]


def _encoded(data: dict[str, str] | None) -> dict[str, Any]:
    if data is None:
        return {}
    return {"data": urlencode(data), "content_type": "application/x-www-form-urlencoded"}


def _kind(entry: AuditEntry) -> str:
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    if entry.action == AuditEntry.Action.ACCESS:
        return str(data.get("access"))
    return {
        AuditEntry.Action.CREATE: "create",
        AuditEntry.Action.UPDATE: "update",
        AuditEntry.Action.DELETE: "delete",
    }[entry.action]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_with_every_method_is_refused_or_logged(catalog, persona: str) -> None:
    world = build_world(catalog)
    urls = all_urls(world["ids"])
    unknown = sorted({name for name, _path in urls} - set(LOGS))
    assert not unknown, f"classify these URLs in LOGS: {unknown}"
    client = client_of(world, persona)
    problems: list[str] = []
    for name, path in urls:
        for method in METHODS:
            problems += check(world, persona, client, name, path, method)
            if name == "logout" and method == "POST":
                client = client_of(world, persona)
    # Unlogged reads and errors first: they matter more than a method that was not refused.
    problems.sort(key=lambda problem: "not refused" in problem)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def test_the_table_has_no_url_the_project_does_not_define(catalog) -> None:
    world = build_world(catalog)
    defined = {name for name, _path in all_urls(world["ids"])}
    # django-q2 shows its database queue in the admin only with the database broker; with
    # Redis (REDIS_URL) those pages do not exist.
    broker_pages = {name for name in LOGS if name.startswith("django_q_ormq_")}
    assert set(LOGS) - defined - broker_pages == set()


# ---------------------------------------------------------------------------------------------
# Bad values in every list's filters and in every object URL: refused (400, 404), or ignored
# (the admin sends the person to the unfiltered list, ``?e=1``), never an error.

# Not a number, too large for any database integer, a digit to str.isdigit() but not to int().
GARBAGE = ("abc", "99999999999999999999999", "²", "\x00")
# Outside this test's reach, reported: Django's date hierarchy turns ``?<field>__year=<huge>``
# into ``datetime(int(...))`` and catches ValueError only, not the OverflowError (every admin
# with a date_hierarchy, axes' included); DocumentAdmin.change_view filters ``pk=object_id``
# itself, and guardian's rights pages look the form type up by ``pk=object_pk``, both without
# the admin's own tolerance of a malformed id.
KNOWN_ELSEWHERE: tuple[re.Pattern[str], ...] = ()


def listers(path: str) -> tuple[str, ...]:
    """Who opens a list: the people whose rows it shows first, then the superuser."""
    if path.startswith("/admin/ocr/"):
        return ("owner", "superuser")
    if path.startswith(("/admin/audit/auditentry/", "/admin/audit/disposalrecord/")):
        return ("officer", "superuser")
    return ("superuser",)


def list_parameters(response: Any) -> list[str]:
    """Every parameter of a list's filters, shown or not (a filter with no choices yet too)."""
    changelist = response.context["cl"]
    request = response.wsgi_request
    names: list[str] = []
    for item in changelist.list_filter:
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            names.append(str(item.parameter_name))
            continue
        field_path, make = item if isinstance(item, tuple) else (item, FieldListFilter.create)
        field = get_fields_from_path(changelist.model, field_path)[-1]
        spec = make(field, request, {}, changelist.model, changelist.model_admin, field_path)
        names += [str(name) for name in spec.expected_parameters()]
    if changelist.date_hierarchy:
        field = changelist.date_hierarchy
        names += [f"{field}__year", f"{field}__month", f"{field}__day"]
    return [*names, "p"]


def garbage_problems(client: Client, who: str, path: str, query: dict[str, str]) -> list[str]:
    where = f"{who} {path}?" + "&".join(f"{k}={v!r}" for k, v in query.items())
    try:
        # In a savepoint: a database error (PostgreSQL refuses NUL) must not end the test's
        # transaction, so that the rest is still checked.
        with transaction.atomic():
            response = client.get(path, query)
    except Exception as error:
        return [f"{where}: raised {error.__class__.__name__}: {error}"]
    status = response.status_code
    if status == 302 and query and response["Location"] != f"{path}?e=1":
        return [f"{where}: sent to {response['Location']}"]
    if status not in (200, 301, 302, *REFUSED):
        return [f"{where}: {status}"]
    return []


def assert_none_but_known(problems: list[str]) -> None:
    known = [p for p in problems if any(pattern.search(p) for pattern in KNOWN_ELSEWHERE)]
    others = [p for p in problems if p not in known]
    assert not others, f"{len(others)} problems:\n" + "\n".join(others[:60])
    if known:
        pytest.xfail(f"{len(known)} known outside this change, e.g. {known[0]}")


def test_bad_filter_values_are_refused_or_ignored(catalog) -> None:
    world = build_world(catalog)
    clients = {persona: client_of(world, persona) for persona in ("superuser", "owner", "officer")}
    lists = [path for name, path in all_urls(world["ids"]) if name.endswith("_changelist")]
    problems = []
    for path in lists:
        pages = {who: clients[who].get(path) for who in listers(path)}
        who = next(who for who, page in pages.items() if page.status_code == 200)
        page = pages[who]
        for parameter in list_parameters(page):
            for value in GARBAGE:
                problems += garbage_problems(clients[who], who, path, {parameter: value})
    assert_none_but_known(problems)


def test_bad_object_ids_are_refused(catalog) -> None:
    world = build_world(catalog)
    clients = {persona: client_of(world, persona) for persona in ("superuser", "owner", "officer")}
    models = {key for key, value in world["ids"].items() if MODEL_KEY.match(key)}
    bad_ids = {**world["ids"], **{key: "abc" for key in models}}
    problems = []
    for _name, path in all_urls(bad_ids):
        if "/abc/" not in path:
            continue
        for who in listers(path):
            for value in ("abc", "99999999999999999999999", "%C2%B2", "%00"):
                garbled = path.replace("/abc/", f"/{value}/")
                problems += garbage_problems(clients[who], who, garbled, {})
    assert_none_but_known(problems)
