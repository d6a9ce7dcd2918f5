"""Authentication: TOTP for those who may see My Numbers, lockout, session lifetimes."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry
from tests.personas import department_clerks, login, make_user
from yomitoru.security.sessions import SIGNED_IN_AT_KEY
from yomitoru.security.twofactor import needs_two_factor

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
VERIFY = "/account/two-factor/"
ENROL = "/account/two-factor/enrol/"


def token_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_token(device: TOTPDevice) -> str:
    return f"{(int(token_for(device)) + 1) % 1_000_000:06d}"


@pytest.fixture
def people(catalog) -> dict[str, User]:
    """The shared personas plus a clerk who may only process (upload and verify)."""
    form_type = catalog["furusato-onestop"]
    people = department_clerks(form_type)
    group = Group.objects.create(name="入力担当")
    assign_perm("forms_catalog.process", group, form_type)
    people["process_only"] = make_user("clerk_process", group)
    return people


@pytest.fixture
def device(people) -> TOTPDevice:
    return TOTPDevice.objects.create(user=people["owner"], name="phone", confirmed=True)


def test_who_needs_two_factor(people) -> None:
    assert needs_two_factor(people["owner"])
    assert needs_two_factor(people["no_mynumber"])  # may export
    assert not needs_two_factor(people["process_only"])
    assert not needs_two_factor(people["outsider"])
    assert needs_two_factor(User.objects.create_superuser("root", password=PASSWORD))
    administrator = User.objects.create_user("hr", password=PASSWORD, is_staff=True)
    administrator.user_permissions.add(Permission.objects.get(codename="change_user"))
    assert needs_two_factor(administrator)
    exporter = User.objects.create_user("exporter", password=PASSWORD, is_staff=True)
    exporter.user_permissions.add(Permission.objects.get(codename="export"))
    assert needs_two_factor(exporter)


def test_clerk_with_view_mynumber_is_sent_to_totp_and_clerk_without_is_not(
    client: Client, people
) -> None:
    client.force_login(people["owner"])
    response = client.get("/admin/ocr/batch/")
    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next=/admin/ocr/batch/"
    # No device yet: the verification page sends them to enrol first.
    assert client.get(response.url).url.startswith(ENROL)
    # Logging out needs no second factor.
    assert client.post("/admin/logout/").status_code == 200
    assert "_auth_user_id" not in client.session
    other = Client()
    other.force_login(people["process_only"])
    assert other.get("/admin/").status_code == 200


def test_enrolment_shows_the_key_and_confirms_with_a_first_code(client: Client, people) -> None:
    client.force_login(people["owner"])
    page = client.get(f"{ENROL}?next=/admin/")
    assert page.status_code == 200
    assert "二要素認証" in page.content.decode()
    device = TOTPDevice.objects.get(user=people["owner"])
    assert not device.confirmed
    assert "otpauth://totp/yomitoru%3Aclerk_with_mynumber?secret=" in page.content.decode()
    assert client.get(ENROL).status_code == 200
    assert TOTPDevice.objects.filter(user=people["owner"]).count() == 1  # same pending device

    refused = client.post(ENROL, {"token": wrong_token(device), "next": "/admin/"})
    assert refused.status_code == 200
    assert "コードが正しくありません" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()  # django-otp delays the next try after a wrong code

    accepted = client.post(ENROL, {"token": token_for(device), "next": "/admin/"})
    assert accepted.status_code == 302 and accepted.url == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    # With a confirmed device, enrolment is closed: no second device from a password alone.
    assert client.get(ENROL).status_code == 302


def test_wrong_code_refused_valid_code_accepted_once(people, device) -> None:
    first = Client()
    first.force_login(people["owner"])
    assert first.post(VERIFY, {"token": wrong_token(device)}).status_code == 200
    assert first.get("/admin/").status_code == 302
    # Right after a wrong code django-otp throttles even a right one.
    throttled = first.post(VERIFY, {"token": token_for(device)})
    assert "しばらく待って" in throttled.content.decode()
    device.throttle_reset()

    token = token_for(device)
    response = first.post(VERIFY, {"token": token, "next": "/admin/auth/"})
    assert response.status_code == 302 and response.url == "/admin/auth/"
    assert first.get("/admin/").status_code == 200

    # The same code again, from another session: refused (the device remembers last_t).
    second = Client()
    second.force_login(people["owner"])
    replay = second.post(VERIFY, {"token": token})
    assert replay.status_code == 200
    assert "コードが正しくありません" in replay.content.decode()
    assert second.get("/admin/").status_code == 302
    # The next time step's code is accepted.
    device.throttle_reset()
    assert second.post(VERIFY, {"token": token_for(device, steps_ahead=1)}).status_code == 302
    assert second.get("/admin/").status_code == 200


def test_next_must_stay_on_this_site(people, device) -> None:
    client = Client()
    client.force_login(people["owner"])
    response = client.post(VERIFY, {"token": token_for(device), "next": "https://evil.example/"})
    assert response.url == "/admin/"


def password_login(client: Client, username: str, password: str) -> int:
    response = client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )
    return response.status_code


def lockout_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(additional_data__access="lockout").order_by("pk"))


def test_lockout_is_per_username_and_ip_and_is_audited() -> None:
    victim = User.objects.create_user("clerk_a", password=PASSWORD, is_staff=True)
    User.objects.create_user("clerk_b", password=PASSWORD, is_staff=True)
    attacker = Client(REMOTE_ADDR="10.0.0.7")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        password_login(attacker, "clerk_a", "wrong password")
    entries = lockout_entries()
    assert len(entries) == 1
    assert entries[0].object_pk == str(victim.pk)
    assert entries[0].additional_data == {
        "access": "lockout",
        "username": "clerk_a",
        "ip": "10.0.0.7",
    }
    assert entries[0].actor is None

    # Locked: even the right password from that address is refused.
    assert password_login(attacker, "clerk_a", PASSWORD) == 429
    assert attacker.get("/admin/").status_code == 302
    # The town hall shares one address: a colleague there still signs in.
    colleague = Client(REMOTE_ADDR="10.0.0.7")
    assert password_login(colleague, "clerk_b", PASSWORD) == 302
    assert colleague.get("/admin/").status_code == 200
    # The same account from another address is not locked either.
    assert password_login(Client(REMOTE_ADDR="10.0.0.8"), "clerk_a", PASSWORD) == 302


def test_lockout_of_an_unknown_username_is_audited_without_an_object() -> None:
    client = Client(REMOTE_ADDR="10.0.0.9")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        password_login(client, "123456789018", "guess")  # a My Number typed as a username
    (entry,) = lockout_entries()
    assert entry.content_type == ContentType.objects.get_for_model(User)
    assert entry.object_repr == "lockout" and entry.object_pk == ""
    assert "123456789018" not in str(entry.additional_data)


def test_idle_session_expires_after_session_cookie_age(client: Client, people) -> None:
    client.force_login(people["process_only"])
    start = timezone.now()
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with mock.patch("django.utils.timezone.now", return_value=start + idle - timedelta(minutes=1)):
        assert client.get("/admin/").status_code == 200  # in use: the expiry moves forward
    later = start + 2 * idle - timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get("/admin/").status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=later + idle + timedelta(seconds=1)):
        assert client.get("/admin/").status_code == 302  # idle too long: back to login


def test_absolute_session_limit(client: Client, people) -> None:
    assert password_login(client, "clerk_process", "unused-in-tests") == 302
    assert SIGNED_IN_AT_KEY in client.session  # stamped by the login response itself
    limit = settings.SESSION_ABSOLUTE_HOURS * 3600
    session = client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - limit + 600
    session.save()
    assert client.get("/admin/").status_code == 200
    session = client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - limit - 1
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert "_auth_user_id" not in client.session


def test_an_inactive_user_is_refused_on_the_next_request(client: Client, people) -> None:
    clerk = people["process_only"]
    client.force_login(clerk)
    assert client.get("/admin/").status_code == 200
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert client.get("/admin/").status_code == 302  # ModelBackend.get_user refuses them


def test_disabling_a_user_in_the_admin_deletes_their_sessions(people) -> None:
    clerk = people["process_only"]
    for _browser in range(2):
        Client().force_login(clerk)
    bystander = Client()
    bystander.force_login(people["outsider"])

    def sessions_of(user: User) -> int:
        return sum(
            s.get_decoded().get("_auth_user_id") == str(user.pk) for s in Session.objects.all()
        )

    assert sessions_of(clerk) == 2
    admin_client = Client()
    login(admin_client, User.objects.create_superuser("root", password=PASSWORD))
    form = {
        "username": clerk.username,
        "is_staff": "on",
        "groups": [group.pk for group in clerk.groups.all()],
        "date_joined_0": "2025-04-01",
        "date_joined_1": "09:00:00",
    }  # is_active left out: the checkbox is cleared
    response = admin_client.post(f"/admin/auth/user/{clerk.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert sessions_of(clerk) == 0
    assert sessions_of(people["outsider"]) == 1
