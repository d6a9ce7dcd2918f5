"""Granting department rights on a form type: only those who may grant, and always audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from guardian.models import GroupObjectPermission
from guardian.shortcuts import get_perms

from audit.models import AuditEntry
from forms_catalog.models import FormType
from tests.personas import login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor() -> User:
    """Staff who may edit form types, but were never made a granter."""
    user = User.objects.create_user("catalog_editor", password="unused", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_formtype", "change_formtype"])
    )
    return user


def test_editing_a_form_type_does_not_let_anyone_grant_themselves_rights(client, catalog, editor):
    furusato = catalog["furusato-onestop"]
    own_group = Group.objects.create(name="編集者の課")
    editor.groups.add(own_group)
    login(client, editor)
    manage = reverse("admin:forms_catalog_formtype_permissions", args=[furusato.pk])
    assert client.get(manage).status_code == 302
    grant = reverse(
        "admin:forms_catalog_formtype_permissions_manage_group", args=[furusato.pk, own_group.pk]
    )
    response = client.post(grant, {"permissions": ["view_mynumber"]})
    assert response.status_code == 302
    assert get_perms(own_group, furusato) == []


def test_an_administrator_grants_a_department_and_the_grant_is_audited(client, catalog):
    furusato = catalog["furusato-onestop"]
    admin_user = User.objects.create_superuser("setup_admin", password="unused")
    group = Group.objects.create(name="税務課 第二係")
    login(client, admin_user)
    grant = reverse(
        "admin:forms_catalog_formtype_permissions_manage_group", args=[furusato.pk, group.pk]
    )
    response = client.post(grant, {"permissions": ["process", "view_mynumber"]})
    assert response.status_code == 302
    assert sorted(get_perms(group, furusato)) == ["process", "view_mynumber"]
    created = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(GroupObjectPermission),
        action=AuditEntry.Action.CREATE,
        actor=admin_user,
    )
    assert created.count() == 2


def test_a_view_only_clerk_cannot_create_a_form_version(client, catalog) -> None:
    """Posted by hand, the action is refused: it declares the add permission."""
    hoiku = catalog["hoiku-nintei"]
    clerk = make_user(
        "viewer", Group.objects.create(name="他課の入力担当"), perms=("view_formtype",)
    )
    login(client, clerk)
    changelist = reverse("admin:forms_catalog_formtype_changelist")
    assert "make_new_version" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "make_new_version", "_selected_action": [hoiku.pk]})
    assert FormType.objects.filter(code=hoiku.code).count() == 1


def test_a_new_version_made_in_the_admin_is_audited_field_by_field(client, catalog) -> None:
    hoiku = catalog["hoiku-nintei"]
    admin = User.objects.create_superuser("root", password="unused-in-tests")
    login(client, admin)
    client.post(
        reverse("admin:forms_catalog_formtype_changelist"),
        {"action": "make_new_version", "_selected_action": [hoiku.pk]},
    )
    new = FormType.objects.get(code=hoiku.code, is_current=True)
    assert new.version == hoiku.version + 1
    fields = ContentType.objects.get_for_model(new.fields.model)
    created = AuditEntry.objects.filter(
        content_type=fields, action=AuditEntry.Action.CREATE, actor=admin
    )
    assert created.count() == new.fields.count() > 0
    hoiku.refresh_from_db()
    assert not hoiku.is_current
    assert AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(FormType),
        object_id=hoiku.pk,
        action=AuditEntry.Action.UPDATE,
    ).exists()


def test_an_administrator_can_grant_the_supervisor_right(client, catalog) -> None:
    """係長: releasing claims and confirming batches is granted like the other rights."""
    furusato = catalog["furusato-onestop"]
    login(client, User.objects.create_superuser("setup_admin", password="unused"))
    group = Group.objects.create(name="税務課 係長")
    grant = reverse(
        "admin:forms_catalog_formtype_permissions_manage_group", args=[furusato.pk, group.pk]
    )
    assert 'value="supervise"' in client.get(grant).content.decode()

    assert client.post(grant, {"permissions": ["supervise"]}).status_code == 302
    assert get_perms(group, furusato) == ["supervise"]


def test_an_administrator_can_grant_the_workload_dashboard(client, catalog) -> None:
    """所属長: the workload dashboard is a right on the form type, granted like the others."""
    furusato = catalog["furusato-onestop"]
    login(client, User.objects.create_superuser("setup_admin", password="unused"))
    group = Group.objects.create(name="所属長")
    grant = reverse(
        "admin:forms_catalog_formtype_permissions_manage_group", args=[furusato.pk, group.pk]
    )
    page = client.get(grant).content.decode()
    assert 'value="metrics"' in page
    assert "この様式の業務量の状況を閲覧できる" in page

    assert client.post(grant, {"permissions": ["metrics"]}).status_code == 302
    assert get_perms(group, furusato) == ["metrics"]
