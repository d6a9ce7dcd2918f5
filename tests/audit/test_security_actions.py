"""Administrators' security-relevant acts are in the sealed log; a TOTP secret is never shown.

Resetting another person's password, lifting a login lockout (or deleting login records),
changing or deleting a scheduled task such as the daily disposal, and opening a person's
authenticator: each leaves an entry naming who did it, without the secret involved. The
authenticator's key and its QR code are never shown again after enrolment: an administrator
can only delete a device, and the person enrols anew.
"""

from __future__ import annotations

from base64 import b32encode
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q.models import Schedule

from audit.models import AuditEntry
from tests.personas import login, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Kasumi-gaseki-7-chome!"
TYPED_NUMBER = "123456789018"  # a valid My Number typed as a user name


@pytest.fixture
def administrator() -> User:
    group = Group.objects.create(name="システム管理者")
    codenames = [
        ("auth", "view_user"),
        ("auth", "change_user"),
        ("axes", "view_accessattempt"),
        ("axes", "delete_accessattempt"),
        ("axes", "view_accesslog"),
        ("axes", "delete_accesslog"),
        ("django_q", "view_schedule"),
        ("django_q", "change_schedule"),
        ("django_q", "delete_schedule"),
        ("otp_totp", "view_totpdevice"),
        ("otp_totp", "add_totpdevice"),
        ("otp_totp", "change_totpdevice"),
        ("otp_totp", "delete_totpdevice"),
    ]
    for app_label, codename in codenames:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return make_user("kanri", group)


@pytest.fixture
def browser(administrator) -> Client:
    return login(Client(), administrator)


def entries_about(obj, action: int | None = None) -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_pk=str(obj.pk)
    )
    if action is not None:
        entries = entries.filter(action=action)
    return list(entries.order_by("sequence"))


def test_resetting_another_users_password_is_audited(browser, administrator) -> None:
    clerk = User.objects.create_user("clerk", password="old-password-unused")
    old_hash = clerk.password
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    response = browser.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)

    (entry,) = entries_about(clerk, AuditEntry.Action.UPDATE)
    assert entry.actor == administrator
    assert set(entry.changes) == {"password"}
    text = str(entry.changes) + str(entry.additional_data) + entry.object_repr
    assert old_hash not in text and clerk.password not in text and NEW_PASSWORD not in text


def test_lifting_a_lockout_and_deleting_login_records_is_audited(browser, administrator) -> None:
    attempt = AccessAttempt.objects.create(
        username=TYPED_NUMBER,
        ip_address="10.0.0.7",
        user_agent="test",
        get_data="",
        post_data=f"username={TYPED_NUMBER}",
        http_accept="*/*",
        path_info="/admin/login/",
        failures_since_start=5,
    )
    record = AccessLog.objects.create(
        username="clerk", ip_address="10.0.0.8", user_agent="test", path_info="/admin/login/"
    )
    # Failed and successful sign-ins are axes' own records, not entries of their own.
    assert entries_about(attempt) == [] and entries_about(record) == []

    for obj, name in ((attempt, "accessattempt"), (record, "accesslog")):
        delete = reverse(f"admin:axes_{name}_delete", args=[obj.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == 302
        (entry,) = entries_about(obj, AuditEntry.Action.DELETE)
        assert entry.actor == administrator
    assert not AccessAttempt.objects.exists()
    for entry in AuditEntry.objects.filter(action=AuditEntry.Action.DELETE):
        text = f"{entry.object_repr} {entry.changes} {entry.serialized_data}"
        assert TYPED_NUMBER not in text
        assert "10.0.0." in text  # the address, to know whose lockout it was


def test_changing_or_deleting_a_schedule_is_audited(browser, administrator) -> None:
    schedule = Schedule.objects.get(name="dispose_expired")
    change = reverse("admin:django_q_schedule_change", args=[schedule.pk])
    form = browser.get(change).context["adminform"].form
    data = {
        name: value
        for name, value in ((n, form[n].value()) for n in form.fields)
        if value is not None
    }
    later = timezone.localtime(schedule.next_run + timedelta(days=365))
    data.update(
        repeats=0, next_run_0=later.strftime("%Y-%m-%d"), next_run_1=later.strftime("%H:%M:%S")
    )
    response = browser.post(change, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    (updated,) = entries_about(schedule, AuditEntry.Action.UPDATE)
    assert updated.actor == administrator
    assert {"repeats", "next_run"} <= set(updated.changes)

    delete = reverse("admin:django_q_schedule_delete", args=[schedule.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 302
    (deleted,) = entries_about(schedule, AuditEntry.Action.DELETE)
    assert deleted.actor == administrator
    assert not Schedule.objects.filter(name="dispose_expired").exists()


@pytest.fixture
def device() -> TOTPDevice:
    clerk = User.objects.create_user("clerk", is_staff=True)
    return TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)


def secrets_of(device: TOTPDevice) -> list[str]:
    return [device.key, b32encode(device.bin_key).decode().rstrip("="), "secret="]


def test_a_totp_secret_is_never_shown_after_enrolment(browser, device) -> None:
    change = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    page = browser.get(change)
    assert page.status_code == 200
    body = page.content.decode()
    assert all(secret not in body for secret in secrets_of(device))
    listing = browser.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    assert all(secret not in listing for secret in secrets_of(device))
    for view in ("config", "qrcode"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:otp_totp_totpdevice_{view}", args=[device.pk])
        assert browser.get(f"/admin/otp_totp/totpdevice/{device.pk}/{view}/").status_code in (
            302,
            404,
        )
    # No device made or changed by an administrator: a key they chose, or someone else's device.
    assert browser.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    other = User.objects.create_user("other")
    refused = browser.post(change, {"user": other.pk, "name": "phone", "confirmed": "on"})
    assert refused.status_code == 403
    device.refresh_from_db()
    assert device.user.username == "clerk"


def test_opening_and_deleting_a_device_is_audited(browser, administrator, device) -> None:
    browser.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    (opened,) = entries_about(device, AuditEntry.Action.ACCESS)
    assert opened.actor == administrator
    delete = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 302
    (deleted,) = entries_about(device, AuditEntry.Action.DELETE)
    assert deleted.actor == administrator
    assert device.key not in f"{deleted.changes} {deleted.serialized_data}"
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
