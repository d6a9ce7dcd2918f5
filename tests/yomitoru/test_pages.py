"""Pages every person may meet: error pages in Japanese, the user form's defaults."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from tests.personas import login, make_user

pytestmark = pytest.mark.django_db


def test_a_refused_page_explains_itself_in_japanese(client) -> None:
    login(client, make_user("clerk", Group.objects.create(name="税務課")))
    response = client.post(reverse("admin:ocr_document_search"), {"mynumber": "123456789018"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "権限" in page and "Forbidden" not in page


def test_a_missing_page_says_so_in_japanese(client) -> None:
    login(client, make_user("clerk", Group.objects.create(name="税務課")))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "見つかりません" in response.content.decode()


def test_a_user_created_by_the_administrator_can_sign_in_to_the_admin(client) -> None:
    admin = User.objects.create_superuser("root", password="unused-in-tests")
    login(client, admin)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new_clerk",
            "password1": "a-long-new-password-2026",
            "password2": "a-long-new-password-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="new_clerk").is_staff
