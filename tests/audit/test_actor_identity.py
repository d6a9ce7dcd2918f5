"""Who did it is kept in the entry itself, sealed, whatever later happens to the account.

Renaming a user does not rename their old entries; an account that appears in the log can be
deactivated but not deleted; and the chain does not depend on the actor's foreign key (which
the database sets to NULL if the account row goes), yet notices when it is pointed elsewhere.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from audit import models as audit_models
from audit import reports
from audit.access import Access, log_access
from audit.chain import verify_chain
from audit.models import AuditEntry
from audit.officer_views import CsvLabels, csv_row
from tests.personas import login, make_user

pytestmark = pytest.mark.django_db


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def clerk() -> User:
    user = User.objects.create_user(
        "tanaka", password="unused", first_name="花子", last_name="田中"
    )
    return user


def acted(user: User) -> AuditEntry:
    return log_access(user, user, Access.AUDIT_VIEW)


def person_shown(entry: AuditEntry) -> str:
    return str(site._registry[AuditEntry].person(entry))


def test_the_entry_keeps_the_name_the_actor_had_when_it_was_written(clerk) -> None:
    entry = acted(clerk)
    assert (entry.actor_username, entry.actor_name) == ("tanaka", "花子 田中")
    clerk.username, clerk.first_name, clerk.last_name = "suzuki", "花子", "鈴木"
    clerk.save()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert person_shown(entry) == "花子 田中 (tanaka)"
    row = reports.access_row(entry)
    assert (row.username, row.person) == ("tanaka", "花子 田中 (tanaka)")
    csv = csv_row(entry, CsvLabels(access={}, action={}, visibility={}))
    assert csv[2] == "tanaka" and csv[5] == "花子 田中"
    assert person_shown(acted(clerk)) == "花子 鈴木 (suzuki)"


def test_an_entry_without_an_actor_is_the_system(clerk) -> None:
    entry = log_access(None, clerk, Access.AUDIT_VIEW)
    assert entry.actor_username == "" and person_shown(entry) == "システム"


def test_a_user_in_the_log_cannot_be_deleted_but_can_be_deactivated(clerk) -> None:
    acted(clerk)
    with pytest.raises(ProtectedError), transaction.atomic():
        clerk.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        User.objects.filter(pk=clerk.pk).delete()
    assert User.objects.filter(pk=clerk.pk).exists()
    clerk.is_active = False
    clerk.save()
    assert verify_chain().ok


def test_a_user_never_in_the_log_as_actor_can_be_deleted() -> None:
    mistake = User.objects.create_user("typo")
    mistake.delete()
    assert not User.objects.filter(username="typo").exists()


def test_the_user_admin_offers_no_delete_for_a_user_in_the_log(clerk) -> None:
    administrators = Group.objects.create(name="管理者")
    administrators.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth", codename__in=["view_user", "change_user", "delete_user"]
        )
    )
    admin = login(Client(), make_user("admin", administrators))
    acted(clerk)
    delete = reverse("admin:auth_user_delete", args=[clerk.pk])
    assert admin.get(delete).status_code == 403
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    bulk = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [clerk.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    assert User.objects.filter(pk=clerk.pk).exists()

    newcomer = User.objects.create_user("newcomer")
    delete = reverse("admin:auth_user_delete", args=[newcomer.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=newcomer.pk).exists()


def test_an_actor_set_to_null_by_the_database_keeps_the_chain_and_the_name(clerk) -> None:
    entry = acted(clerk)
    Group.objects.create(name="係")
    raw("UPDATE audit_auditentry SET actor_id = NULL WHERE id = %s", [entry.pk])
    report = verify_chain()
    assert report.ok, report.problem
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert person_shown(entry) == "花子 田中 (tanaka)"
    assert reports.access_row(entry).username == "tanaka"


def test_an_actor_pointed_at_another_user_breaks_the_chain(clerk) -> None:
    entry = acted(clerk)
    other = User.objects.create_user("other")
    raw("UPDATE audit_auditentry SET actor_id = %s WHERE id = %s", [other.pk, entry.pk])
    report = verify_chain()
    assert not report.ok
    assert report.broken_sequence == entry.sequence
    assert "actor" in report.problem


def test_the_stored_identity_is_sealed(clerk) -> None:
    entry = acted(clerk)
    raw("UPDATE audit_auditentry SET actor_username = %s WHERE id = %s", ["suzuki", entry.pk])
    report = verify_chain()
    assert not report.ok and report.broken_sequence == entry.sequence


def test_entries_sealed_before_the_identity_was_stored_still_verify(clerk, monkeypatch) -> None:
    """Entries written by the earlier version (seal over actor_id, no stored name)."""
    monkeypatch.setattr(audit_models, "SEAL_VERSION", 1)
    old = acted(clerk)
    Group.objects.create(name="古い係")
    monkeypatch.undo()
    assert (old.seal_version, old.actor_username) == (1, "")
    new = acted(clerk)
    assert new.seal_version == 2
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "audit chain intact" in out.getvalue()
    # An old entry shows the account's current name: that is all it has.
    assert person_shown(AuditEntry.objects.get(pk=old.pk)) == "花子 田中 (tanaka)"
    # Its actor is still covered by its seal.
    other = User.objects.create_user("other")
    raw("UPDATE audit_auditentry SET actor_id = %s WHERE id = %s", [other.pk, old.pk])
    assert verify_chain().broken_sequence == old.sequence


def test_the_user_list_offers_no_bulk_delete(client) -> None:
    admin = User.objects.create_superuser("root", password="unused-in-tests")
    login(client, admin)
    page = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert 'value="delete_selected"' not in page
