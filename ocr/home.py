"""Home panels of the reading app: the clerk's waiting work, the manager's counts and
workload dashboard, setup.

Registered with the admin site in ``OcrConfig.ready``. Each panel shows only what the person
may use: a clerk sees counts of the form types they process, with links into the lists; a
manager sees counts per form type and status of their departments (``view_statistics``),
never a document; an administrator sees the setup screens.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from ocr.models import Document, ExportJob
from ocr.permissions import (
    can_view_metrics,
    form_types_with,
    processable_form_types,
    visible_documents,
)
from ocr.review.quality import error_rates
from yomitoru.admin_site import HomePanel
from yomitoru.security.twofactor import ADMINISTRATOR_PERMS

# The columns of the clerk's panel: what waits for a person, and what the machine still reads.
WAITING = (
    (Document.Status.NEEDS_REVIEW,),
    (Document.Status.IN_REVIEW,),
    (Document.Status.QUEUED, Document.Status.PROCESSING),
    (Document.Status.FAILED,),
)


def _documents_url(**filters: Any) -> str:
    return reverse("admin:ocr_document_changelist") + "?" + urlencode(filters)


def _counts_by_form_type(documents: Any, groups: tuple[tuple[str, ...], ...]) -> list[dict]:
    """One row per form type code: the form type's name and a count per status group.

    One query; documents of every version of a form type count under its code.
    """
    annotations = {
        f"n{index}": Count("pk", filter=Q(status__in=statuses))
        for index, statuses in enumerate(groups)
    }
    return list(
        documents.values("form_type__code", "form_type__department__name")
        .annotate(**annotations)
        .order_by("form_type__code")
    )


def _names(form_types: Any) -> dict[str, str]:
    """Form type code -> the name of its newest version."""
    return {code: name for code, (name, _ids) in _versions(form_types).items()}


def _versions(form_types: Any) -> dict[str, tuple[str, list[int]]]:
    """Form type code -> the name of its newest version and the ids of all its versions."""
    versions: dict[str, tuple[str, list[int]]] = {}
    rows = form_types.order_by("code", "version").values_list("code", "name", "pk")
    for code, name, pk in rows:
        versions[code] = (name, [*versions.get(code, ("", []))[1], pk])
    return versions


def clerk_work(request: HttpRequest) -> HomePanel | None:
    user = cast(User, request.user)
    allowed = form_types_with(user, "process")
    if not allowed.exists():
        return None
    versions = _versions(allowed)
    rows = []
    for counts in _counts_by_form_type(visible_documents(user), WAITING):
        code = counts["form_type__code"]
        name, pks = versions.get(code, (code, []))
        ids = ",".join(str(pk) for pk in pks)
        cells: list[Any] = [name]
        for index, statuses in enumerate(WAITING):
            number = counts[f"n{index}"]
            # One status as the list's own filter (its sidebar then shows it), several as __in.
            status = (
                {"status__exact": statuses[0]}
                if len(statuses) == 1
                else {"status__in": ",".join(statuses)}
            )
            url = _documents_url(**status, form_type__id__in=ids)
            cells.append({"text": number, "url": url} if number else 0)
        rows.append(cells)
    links = [
        ("queue", _("Verification queue"), reverse("admin:ocr_reviewitem_changelist")),
        ("documents", _("Documents"), reverse("admin:ocr_document_changelist")),
        ("batches", _("Batches"), reverse("admin:ocr_batch_changelist")),
    ]
    if processable_form_types(user).exists():
        links.insert(0, ("upload", _("Upload scans"), reverse("admin:ocr_batch_upload")))
    if form_types_with(user, "export").exists():
        links.append(_exports_link(user))
    return HomePanel(
        key="work",
        title=_("Waiting for you"),
        columns=[_("form type"), _("Needs review"), _("In review"), _("Being read"), _("Failed")],
        rows=rows,
        links=links,
        empty=_("No documents of your form types yet."),
        order=10,
    )


def _exports_link(user: User) -> tuple[str, str, str]:
    """The exports, with those waiting for this person's approval (others' requests) first."""
    exports = reverse("admin:ocr_exportjob_changelist")
    waiting = ExportJob.objects.filter(
        form_type__in=form_types_with(user, "export"),
        status=ExportJob.Status.AWAITING_APPROVAL,
    ).exclude(requested_by=user)
    count = waiting.count()
    if not count:
        return ("exports", _("Export requests"), exports)
    label = _("Export requests (%(count)s to approve)") % {"count": count}
    return ("exports", label, exports + "?" + urlencode({"status__exact": "awaiting_approval"}))


def manager_statistics(request: HttpRequest) -> HomePanel | None:
    user = cast(User, request.user)
    allowed = form_types_with(user, "view_statistics")
    if not allowed.exists():
        return None
    names = _names(allowed)
    groups = tuple((status,) for status in Document.Status.values)
    rows = [
        [
            counts["form_type__department__name"],
            names.get(counts["form_type__code"], counts["form_type__code"]),
            *(counts[f"n{index}"] for index in range(len(groups))),
            sum(counts[f"n{index}"] for index in range(len(groups))),
        ]
        for counts in _counts_by_form_type(Document.objects.filter(form_type__in=allowed), groups)
    ]
    return HomePanel(
        key="statistics",
        title=_("Documents of your departments by status"),
        columns=[
            _("department"),
            _("form type"),
            *(str(label) for label in Document.Status.labels),
            _("total"),
        ],
        rows=rows,
        empty=_("No documents of your departments yet."),
        order=20,
    )


def workload_dashboard(request: HttpRequest) -> HomePanel | None:
    """The way to the manager's workload dashboard (``metrics``): a link, no figure (the
    dashboard's figures cost a pass over a year's fields, too much for every home page)."""
    if not can_view_metrics(cast(User, request.user)):
        return None
    return HomePanel(
        key="metrics",
        title=_("Workload reduction"),
        links=[("dashboard", _("Workload dashboard"), reverse("admin:ocr_metrics"))],
        order=15,
    )


def quality_of_auto_accepted(request: HttpRequest) -> HomePanel | None:
    """The measured error rate of what the machine accepts, from the hidden quality samples:
    for the manager (``view_statistics``) and for staff (``process``). Counts only."""
    user = cast(User, request.user)
    allowed = form_types_with(user, "view_statistics") | form_types_with(user, "process")
    if not allowed.exists():
        return None
    rows: list[list[Any]] = [
        [
            rate.label,
            rate.samples,
            rate.wrong,
            f"{rate.percent:.2f}%",
            f"{rate.low_percent:.2f}% – {rate.high_percent:.2f}%",
        ]
        for rate in error_rates(allowed.distinct())
    ]
    return HomePanel(
        key="quality",
        title=_("Measured error rate of auto-accepted fields (quality samples)"),
        columns=[_("kind"), _("samples"), _("wrong"), _("error rate"), _("confidence interval")],
        rows=rows,
        empty=_("No quality sample has been checked yet."),
        order=25,
    )


def administrator_setup(request: HttpRequest) -> HomePanel | None:
    user = cast(User, request.user)
    if not (user.is_superuser or any(user.has_perm(perm) for perm in ADMINISTRATOR_PERMS)):
        return None
    return HomePanel(
        key="setup",
        title=_("Setup"),
        links=[
            ("users", _("Users"), reverse("admin:auth_user_changelist")),
            ("groups", _("Departments (groups)"), reverse("admin:auth_group_changelist")),
            (
                "form-types",
                _("Form types and their rights"),
                reverse("admin:forms_catalog_formtype_changelist"),
            ),
            (
                "export-mappings",
                _("Export mappings (CSV columns)"),
                reverse("admin:ocr_exportmapping_changelist"),
            ),
        ],
        order=40,
    )
