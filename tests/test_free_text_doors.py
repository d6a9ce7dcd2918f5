"""Every door free text comes in by, fed generated My Numbers; none is in the database after.

The numbers (synthetic My Numbers and corporate numbers) are written in every width, script and
separator the detector knows, inside sentences and longer digit runs, by the generator of
tests/lib/test_sensitive_text.py (fixed seeds). Each is pushed through a door a person can type
into: the reveal reason (refused), the login form's user name (and the URL and headers of that
request, which django-axes keeps), the user admin (user name, names, e-mail), the department
(group) admin, and the file name at intake. Afterwards every text value of every table is read,
JSON unpacked, and every digit a reader could still see is collected: no number may be among
them. Log lines are searched the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from audit.access import Access, log_access
from audit.models import AuditEntry
from ocr.disclosure import RevealRefused, reveal_document
from ocr.intake import create_batch, ingest_files
from ocr.models import Batch, Document, Reveal, SourceFile
from tests.lib.test_sensitive_text import digits_left, variants
from tests.personas import department_clerks, login

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
# Generated cases per door, of which the first few go over HTTP.
CASES = 24
HTTP_CASES = 2


def in_japanese(message: str) -> str:
    with translation.override("ja"):
        return translation.gettext(message)


# The messages a person is shown (in Japanese once the catalogue has them).
NUMBER_IN_TEXT = in_japanese("Do not include a My Number or any other number here.")
NUMBER_IN_REASON = in_japanese("Do not include a My Number or any other number in the reason.")


# --- Reading the whole database ---------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, memoryview | bytes):
        value = bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        yield value
        if value[:1] in '[{"':
            with contextlib.suppress(ValueError):
                yield from _strings(json.loads(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def stored_texts() -> list[tuple[str, str]]:
    """(table, text) for every text value of every column of every table, JSON unpacked."""
    found: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found.extend((table, text) for value in row for text in _strings(value))
    return found


def numbers_found(numbers: list[str], texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(table, number) for every number still readable, in any width or script, in a text."""
    hits: list[tuple[str, str]] = []
    for table, text in texts:
        digits = digits_left(text)
        if len(digits) < 12:
            continue
        hits.extend((table, number) for number in numbers if number in digits)
    return hits


def assert_nowhere(numbers: list[str], caplog: pytest.LogCaptureFixture) -> None:
    texts = stored_texts()
    # The search sees what it must: the doors' own rows are there.
    assert any(table == "axes_accessattempt" for table, _ in texts)
    assert not numbers_found(numbers, texts), "a number was stored"
    lines = [("log", record.getMessage()) for record in caplog.records]
    assert not numbers_found(numbers, lines), "a number was logged"


def email_with(number: str, rng: random.Random) -> str:
    """A valid e-mail address holding the number (ASCII digits, the separators allowed there)."""
    separator = rng.choice([".", "_", "-", "+", ""])
    groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    return f"{rng.choice(['', 'taro.', 'x'])}{separator.join(groups)}@example.jp"


# --- The doors ----------------------------------------------------------------------------------
# Each door is walked through over HTTP for a few cases (the whole path, down to the database),
# and through the same code directly (the admin's own form, reveal_document) for the rest.


@pytest.fixture
def administrator(client: Client) -> User:
    """A user administrator (not a superuser): manages users and departments."""
    person = User.objects.create_user("user_admin", password=PASSWORD, is_staff=True)
    person.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth",
            codename__in=[
                f"{action}_{model}"
                for action in ("add", "change", "view")
                for model in ("user", "group")
            ],
        )
    )
    login(client, person)
    return person


def a_document(form_type: Any) -> Document:
    """A document to reveal: its rows only (the reveal door does not look at pages)."""
    batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
    source = SourceFile.objects.create(
        batch=batch, form_type=form_type, original_name="scan.png", sha256="0" * 64, size=1
    )
    return Document.objects.create(batch=batch, source_file=source, form_type=form_type)


def reveal_door(client: Client, form_type: Any, cases: list[tuple[str, str]]) -> None:
    owner = department_clerks(form_type)["owner"]
    document = a_document(form_type)
    login(client, owner)
    url = reverse("admin:ocr_document_reveal", args=[document.pk])
    for _, text in cases[:HTTP_CASES]:
        response = client.post(url, {"reason": text})
        assert response.status_code == 302
        # (The redirect is not followed: the messages of every case pile up.)
        assert {str(m) for m in get_messages(response.wsgi_request)} == {NUMBER_IN_REASON}
    for _, text in cases[HTTP_CASES:]:
        with pytest.raises(RevealRefused):
            reveal_document(document, reason=text, acting_user=owner)
    assert not Reveal.objects.exists()
    # The door still opens for a reason without a number.
    client.post(url, {"reason": "住民からの問い合わせ対応"})
    assert Reveal.objects.count() == 1
    client.logout()


def login_door(cases: list[tuple[str, str]]) -> None:
    User.objects.create_user("clerk_login", password=PASSWORD, is_staff=True)
    for index, (_, text) in enumerate(cases):
        # Some cases are typed until the lockout and once more, each from its own address; the
        # number is in the URL, the form and the user agent too (axes keeps all three).
        attempts = settings.AXES_FAILURE_LIMIT + 1 if index % 6 == 0 else 1
        browser = Client(REMOTE_ADDR=f"10.1.0.{index + 1}", HTTP_USER_AGENT=text)
        for _attempt in range(attempts):
            browser.post(
                f"/admin/login/?next=/admin/%3Fq%3D{quote(text)}",
                {"username": text, "password": "wrong", "next": f"/admin/?q={text}"},
            )
    # A successful sign-in is kept too (axes' access log), with its user agent.
    browser = Client(REMOTE_ADDR="10.2.0.1", HTTP_USER_AGENT=cases[0][1])
    response = browser.post("/admin/login/", {"username": "clerk_login", "password": PASSWORD})
    assert response.status_code == 302


def _admin_form(model: type, administrator: User, obj: Any = None) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = administrator
    return admin.site._registry[model].get_form(request, obj, change=obj is not None)


def user_admin_door(
    client: Client, administrator: User, cases: list[tuple[str, str]], rng: random.Random
) -> None:
    add_url = reverse("admin:auth_user_add")
    person = User.objects.create_user("clerk_named", is_staff=True)
    change_url = reverse("admin:auth_user_change", args=[person.pk])
    new_user = {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD}
    change_data = {
        "username": person.username,
        "first_name": "太郎",
        "last_name": "山田",
        "email": "taro@example.jp",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2024-04-01",
        "date_joined_1": "09:00:00",
    }
    add_form = _admin_form(User, administrator)
    change_form = _admin_form(User, administrator, person)
    for index, (number, text) in enumerate(cases):
        typed = [
            ("username", text),
            ("first_name", text),
            ("last_name", text),
            ("email", email_with(number, rng)),
        ]
        for field, value in typed:
            if index < HTTP_CASES:
                url, data = (
                    (add_url, new_user) if field == "username" else (change_url, change_data)
                )
                response = client.post(url, {**data, field: value})
                assert response.status_code == 200, f"a {field} holding a number was accepted"
            elif field == "username":
                assert not add_form({**new_user, field: value}).is_valid()
            else:
                assert not change_form({**change_data, field: value}, instance=person).is_valid()
    # The doors still open for text without a number.
    assert client.post(change_url, change_data).status_code == 302
    assert client.post(add_url, {**new_user, "username": "hanako"}).status_code == 302


def group_admin_door(client: Client, administrator: User, cases: list[tuple[str, str]]) -> None:
    url = reverse("admin:auth_group_add")
    group_form = _admin_form(Group, administrator)
    for _, text in cases[:HTTP_CASES]:
        response = client.post(url, {"name": text})
        assert response.status_code == 200, "a department name holding a number was accepted"
    for _, text in cases[HTTP_CASES:]:
        assert not group_form({"name": text}).is_valid()
    assert client.post(url, {"name": "市民税課"}).status_code == 302


def test_no_number_through_any_door_reaches_the_database(
    client: Client, administrator: User, catalog: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    numbers: list[str] = []

    cases = variants(CASES, seed=1)
    numbers += [n for n, _ in cases]
    user_admin_door(client, administrator, cases, random.Random(1))
    cases = variants(CASES, seed=2)
    numbers += [n for n, _ in cases]
    group_admin_door(client, administrator, cases)
    client.logout()

    cases = variants(CASES // 2, seed=3)
    numbers += [n for n, _ in cases]
    login_door(cases)

    cases = variants(CASES, seed=4)
    numbers += [n for n, _ in cases]
    reveal_door(client, catalog["furusato-onestop"], cases)

    assert_nowhere(numbers, caplog)


def test_user_admin_says_why_it_refuses(client: Client, administrator: User) -> None:
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "taro.0069.6736.2709",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.context["adminform"].form.errors["username"] == [NUMBER_IN_TEXT]
    response = client.post(
        reverse("admin:auth_group_add"), {"name": "税務課 ００６９６７３６２７０９"}
    )
    assert response.context["adminform"].form.errors["name"] == [NUMBER_IN_TEXT]
    assert not Group.objects.exists()


def test_a_number_typed_as_user_name_is_not_kept_by_axes_or_the_lockout_entry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser = Client(REMOTE_ADDR="10.3.0.1")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        browser.post("/admin/login/", {"username": "0069－6736－2709", "password": "x"})
    assert_nowhere(["006967362709"], caplog)
    # Still one lockout key for the same typed name: the next attempt is refused.
    response = browser.post("/admin/login/", {"username": "0069－6736－2709", "password": "x"})
    assert response.status_code == 429


def test_file_names_at_intake_keep_no_number(
    catalog: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Against the intake contract: a redacted display name, the original kept encrypted."""
    form_type = catalog["furusato-onestop"]
    batch = create_batch(form_type, department=form_type.department, source=Batch.Source.CLI)
    cases = variants(CASES, seed=5)
    rng = random.Random(5)
    files = [
        (text + rng.choice([".png", ".pdf", ".tif", ""]), rng.randbytes(64)) for _, text in cases
    ]
    ingest_files(batch, files)
    assert batch.files.count() == len(files)
    # The login door too, so that axes' table is there for assert_nowhere's own check.
    Client(REMOTE_ADDR="10.4.0.1").post("/admin/login/", {"username": "nobody", "password": "x"})
    assert_nowhere([n for n, _ in cases], caplog)


def test_a_reveal_reason_holding_a_number_is_refused_with_a_message(
    client: Client, catalog: Any
) -> None:
    form_type = catalog["furusato-onestop"]
    owner = department_clerks(form_type)["owner"]
    document = a_document(form_type)
    login(client, owner)
    response = client.post(
        reverse("admin:ocr_document_reveal", args=[document.pk]),
        {"reason": "確認 0069－6736－2709"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [NUMBER_IN_REASON]
    assert not Reveal.objects.exists()
    assert not AuditEntry.objects.filter(additional_data__access="reveal").exists()


def test_log_access_redacts_every_free_text_it_stores(catalog: Any) -> None:
    form_type = catalog["furusato-onestop"]
    owner = department_clerks(form_type)["owner"]
    document = a_document(form_type)
    entry = log_access(
        owner,
        document,
        Access.OPEN,
        reason="確認 0069.6736.2709",
        details={"note": ["０００６９６７３６２７０９"], "0069_6736_2709": True},
    )
    entry.refresh_from_db()
    assert "［番号削除］" in entry.additional_data["reason"]
    assert not numbers_found(["006967362709"], [("entry", json.dumps(entry.additional_data))])
