import datetime
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from forms_catalog.models import FormType
from ocr.models import Batch

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_user_per_role_with_passwords_shown_once() -> None:
    out = io.StringIO()
    call_command("seed_demo", samples=2, stdout=out)
    shown = dict(re.findall(r"^  (\S+)  (\S+)$", out.getvalue(), flags=re.MULTILINE))
    assert set(shown) == {"admin", "clerk_mynumber", "supervisor", "clerk", "officer", "manager"}
    assert User.objects.get(username="admin").is_superuser
    for username, password in shown.items():
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert password not in user.password, "only the hash is stored"

    again = io.StringIO()
    call_command("seed_demo", samples=2, stdout=again)
    assert "passwords unchanged" in again.getvalue()
    assert not any(password in again.getvalue() for password in shown.values())
    assert Batch.objects.count() == 1


def test_seed_demo_grants_my_number_rights_to_one_clerk_only() -> None:
    call_command("seed_demo", samples=1, stdout=io.StringIO())
    furusato = FormType.objects.get(code="furusato-onestop", is_current=True)
    with_rights = User.objects.get(username="clerk_mynumber")
    without = User.objects.get(username="clerk")
    officer = User.objects.get(username="officer")
    assert with_rights.has_perm("forms_catalog.view_mynumber", furusato)
    assert with_rights.has_perm("forms_catalog.process", furusato)
    assert without.has_perm("forms_catalog.process", furusato)
    assert not without.has_perm("forms_catalog.view_mynumber", furusato)
    assert not without.has_perm("forms_catalog.view_mynumber")
    assert not officer.has_perm("forms_catalog.process", furusato)


def test_seed_demo_names_a_supervisor_who_may_release_claims_but_sees_no_number() -> None:
    call_command("seed_demo", samples=1, stdout=io.StringIO())
    furusato = FormType.objects.get(code="furusato-onestop", is_current=True)
    supervisor = User.objects.get(username="supervisor")
    assert supervisor.has_perm("forms_catalog.supervise", furusato)
    assert supervisor.has_perm("forms_catalog.process", furusato)
    assert not supervisor.has_perm("forms_catalog.view_mynumber", furusato)
    assert not User.objects.get(username="clerk").has_perm("forms_catalog.supervise", furusato)


def test_seed_demo_gives_the_officer_the_log_and_the_manager_counts_only() -> None:
    call_command("seed_demo", samples=1, stdout=io.StringIO())
    furusato = FormType.objects.get(code="furusato-onestop", is_current=True)
    officer = User.objects.get(username="officer")
    manager = User.objects.get(username="manager")
    # The permission the audit screens check, not one of an app that is not installed.
    assert officer.has_perm("audit.view_auditentry")
    assert manager.has_perm("forms_catalog.view_statistics", furusato)
    assert manager.has_perm("forms_catalog.metrics", furusato)
    for perm in ("process", "view_mynumber", "export"):
        assert not manager.has_perm(f"forms_catalog.{perm}", furusato)
    assert not manager.has_perm("ocr.view_document")
    assert not manager.has_perm("ocr.view_batch")


def test_seed_demo_batch_holds_generated_documents() -> None:
    call_command("seed_demo", samples=2, stdout=io.StringIO())
    batch = Batch.objects.get()
    assert batch.form_type.code == "furusato-onestop"
    assert batch.documents.count() == 2
    assert all(f.status == "accepted" for f in batch.files.all())


def test_seed_demo_season_writes_synthetic_processed_documents_once() -> None:
    from lab.season import FILE_PREFIX
    from ocr.models import Document, ExtractedField, ReviewSession, SourceFile
    from yomitoru.lib import mynumber

    out = io.StringIO()
    call_command(
        "seed_demo", samples=1, season=True, season_year=2025, season_scale=0.2, stdout=out
    )
    assert "Demo season October 2025 to March 2026" in out.getvalue()
    season = Document.objects.filter(source_file__original_name__startswith=FILE_PREFIX)
    assert season.count() > 50
    tokyo = [timezone.localtime(d).date() for d in season.values_list("created_at", flat=True)]
    assert min(tokyo) >= datetime.date(2025, 10, 1) and max(tokyo) <= datetime.date(2026, 3, 31)
    december = sum(1 for day in tokyo if day.month == 12)
    october = sum(1 for day in tokyo if day.month == 10)
    assert december > 2 * october, "the December peak of the one-stop applications"
    # Values are encrypted: an empty one is only told apart once read.
    readings = ExtractedField.objects.filter(document__in=season, definition__kind="mynumber")
    numbers = [field.final_value for field in readings[:500] if field.final_value]
    assert numbers and all(mynumber.is_synthetic(number) for number in numbers)
    reviewed = season.filter(status=Document.Status.VERIFIED)
    sessions = ReviewSession.objects.filter(document__in=reviewed)
    assert sessions.count() == reviewed.count() and all(s.active_seconds > 0 for s in sessions)
    # The demo batch read by the pipeline is there as well, and a second run adds nothing.
    assert Batch.objects.exclude(files__original_name__startswith=FILE_PREFIX).count() == 1
    files = SourceFile.objects.count()
    call_command("seed_demo", samples=1, season=True, stdout=io.StringIO())
    assert SourceFile.objects.count() == files
