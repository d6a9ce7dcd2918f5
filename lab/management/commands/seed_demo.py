"""Demo departments, one user per role, and one batch of generated samples.

``--season`` adds a season of synthetic processed documents with review sessions (October to
March, ``lab.season``) for the manager's workload dashboard.

Passwords are generated, printed once and never stored anywhere but as Django hashes.
"""

from __future__ import annotations

import secrets
import string
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from forms_catalog.catalog import load_standard_catalog
from forms_catalog.layouts import STANDARD_LAYOUTS
from forms_catalog.models import FormType
from lab.season import FILE_PREFIX as SEASON_FILES
from lab.season import Clerks, season_exists, season_start, write_season
from lab.synthetic.generator import write_samples
from ocr.intake import ingest_paths
from ocr.models import Batch

DEMO_FORM = "furusato-onestop"
AUDIT_GROUP = "監査"
MANAGER_GROUP = "所属長"

TAX = "税務課"
# Within a department only the staff named as My Number handlers (個人番号取扱担当者) may see
# the numbers: they are a group of their own, granted on the department's form types.
TAX_MYNUMBER = "税務課 個人番号取扱担当"
# The section chief who watches over the queue: frees claims left open, confirms batches
# the machine accepted whole.
TAX_SUPERVISOR = "税務課 係長"
# group -> object permissions on the form types of the department it belongs to
GROUP_GRANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    TAX: (TAX, ("process",)),
    TAX_MYNUMBER: (TAX, ("view_mynumber", "export")),
    TAX_SUPERVISOR: (TAX, ("supervise", "export")),
    # The manager of the tax department sees counts of its form types and the workload
    # dashboard, never a document.
    MANAGER_GROUP: (TAX, ("view_statistics", "metrics")),
}
# Model-level rights per group. They open the admin's pages; which rows a page shows is
# decided by the object rights above (clerks) or needs none (the officer reads the log).
GROUP_MODEL_PERMS: dict[str, tuple[tuple[str, str], ...]] = {
    TAX: (
        ("ocr", "view_batch"),
        ("ocr", "view_sourcefile"),
        ("ocr", "view_document"),
        ("ocr", "view_ocrrun"),
        ("ocr", "view_kindthreshold"),
        ("forms_catalog", "view_formtype"),
    ),
    AUDIT_GROUP: (("audit", "view_auditentry"), ("audit", "view_disposalrecord")),
    MANAGER_GROUP: (),
}
ADMINISTRATOR = ("admin", "システム管理者")
# (username, display name, groups)
ROLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("clerk_mynumber", "入力担当（個人番号取扱）", (TAX, TAX_MYNUMBER)),
    ("supervisor", "係長", (TAX, TAX_SUPERVISOR)),
    ("clerk", "入力担当", (TAX,)),
    ("officer", "監査担当", (AUDIT_GROUP,)),
    ("manager", "所属長", (MANAGER_GROUP,)),
)


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


class Command(BaseCommand):
    help = "Create demo departments, users (passwords printed once) and one demo batch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=int, default=5)
        parser.add_argument("--sync", action="store_true", help="read the batch before returning")
        parser.add_argument(
            "--season",
            action="store_true",
            help="add a season (October to March) of synthetic processed documents",
        )
        parser.add_argument(
            "--season-year", type=int, help="the October the season starts in (default: last)"
        )
        parser.add_argument("--season-scale", type=float, default=1.0, help="volume factor")

    def handle(self, *args: Any, samples: int, sync: bool, season: bool, **options: Any) -> None:
        load_standard_catalog()
        created = self._users()
        if created:
            self.stdout.write("Demo users (shown once; write them down):")
            for username, password in created:
                self.stdout.write(f"  {username}  {password}")
        else:
            self.stdout.write("Demo users already exist; passwords unchanged.")
        self._demo_batch(samples, sync)
        if season:
            self._season(options["season_year"], options["season_scale"])

    def _demo_batch(self, samples: int, sync: bool) -> None:
        batches = Batch.objects.filter(form_type__code=DEMO_FORM)
        if batches.exclude(files__original_name__startswith=SEASON_FILES).exists():
            self.stdout.write("Demo batch already exists.")
            return
        form_type = FormType.objects.get(code=DEMO_FORM, is_current=True)
        with tempfile.TemporaryDirectory() as folder:
            paths = write_samples(STANDARD_LAYOUTS[DEMO_FORM], samples, Path(folder), seed=2026)
            result = ingest_paths(
                form_type,
                [p for p in paths if p.name != "truth.json"],
                department=form_type.department,
                source=Batch.Source.CLI,
                sync=sync,
            )
        self.stdout.write(f"Demo batch #{result.batch.pk}: {len(result.documents)} documents")

    def _season(self, year: int | None, scale: float) -> None:
        if season_exists():
            self.stdout.write("Demo season already exists.")
            return
        year = year or season_start(timezone.localdate())
        clerks = Clerks(
            clerk=User.objects.get(username="clerk"),
            handler=User.objects.get(username="clerk_mynumber"),
            supervisor=User.objects.get(username="supervisor"),
        )
        written = write_season(year, clerks, scale=scale)
        counts = ", ".join(f"{code} {count}" for code, count in written.items())
        self.stdout.write(f"Demo season October {year} to March {year + 1}: {counts} documents")

    @transaction.atomic
    def _users(self) -> list[tuple[str, str]]:
        for name, (department, perms) in GROUP_GRANTS.items():
            group, _ = Group.objects.get_or_create(name=name)
            for form_type in FormType.objects.filter(department__name=department):
                for perm in perms:
                    assign_perm(f"forms_catalog.{perm}", group, form_type)
        created = []
        admin_name, admin_display = ADMINISTRATOR
        if not User.objects.filter(username=admin_name).exists():
            password = _password()
            User.objects.create_superuser(
                admin_name, email="", password=password, first_name=admin_display
            )
            created.append((admin_name, password))
        for username, display, groups in ROLES:
            if User.objects.filter(username=username).exists():
                continue
            password = _password()
            user = User.objects.create_user(
                username, password=password, first_name=display, is_staff=True
            )
            user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in groups))
            created.append((username, password))
        self._global_permissions()
        return created

    def _global_permissions(self) -> None:
        for name, perms in GROUP_MODEL_PERMS.items():
            group = Group.objects.get(name=name)
            for app_label, codename in perms:
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
