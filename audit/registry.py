"""Every model whose changes are audited, registered with django-auditlog in one place.

Values that may carry personal data are excluded from the recorded changes entirely: an
audit entry says that a field's value changed and who changed it, never what it was.
Secrets (a password hash) are masked: the entry says that it changed, never what it was.

Besides the application's own models, the security-relevant records of the packages it runs
on: users and groups, department grants, second factors, login lockouts (django-axes: lifting
one is an act of an administrator), and scheduled tasks (django-q2: the daily disposal).
"""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.apps import apps
from django.contrib.auth.models import Group

from audit.models import AuditEntry
from yomitoru.lib.sensitive_text import redact

# (app_label.ModelName, fields never to record in changes)
AUDITED_MODELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("forms_catalog.FormType", ()),
    ("forms_catalog.FormPage", ()),
    ("forms_catalog.FieldDefinition", ()),
    # The manual baseline: a changed rate changes the workload reduction managers read.
    ("forms_catalog.KeyingRate", ()),
    ("ocr.Batch", ()),
    ("ocr.SourceFile", ("file", "received_name")),
    ("ocr.Document", ()),
    ("ocr.Page", ("image", "aligned_image")),
    (
        "ocr.ExtractedField",
        (
            "ocr_value",
            "final_value",
            "value_digest",
            "cell_confidences",
            "ocr_cells",
            "pending_entry",
        ),
    ),
    ("ocr.CellCheck", ()),
    ("ocr.OcrRun", ()),
    ("ocr.ExportColumn", ()),
    # Progress and the cells a file could not hold change while it is built: not entries.
    ("ocr.ExportJob", ("file", "rows_done", "problems", "document_ids", "written_ids")),
)


# django-axes' records of sign-ins: lockouts (AccessAttempt), sign-ins and failures. What the
# person typed as a user name is kept through the detector; the form data, the browser's
# headers and the session hash are not kept at all.
AXES_MODELS = ("axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog")
AXES_EXCLUDED = ("get_data", "post_data", "http_accept", "user_agent", "session_hash")


def mask_value(value: str) -> str:
    """auditlog's default mask keeps the last digits; ours keeps nothing."""
    return "********"


def redact_value(value: str) -> str:
    """For typed text (axes' user names): kept, but never a My Number or corporate number."""
    return redact(value)


def only_deletions_of_axes_records(sender: Any, instance: Any, action: int, **kwargs: Any) -> bool:
    """pre_log receiver: of axes' records, only deletions are entries.

    axes writes its records on every sign-in and every failure; each is in its own tables
    already, and a lockout has its own entry (audit.lockout). Deleting them is
    what lifts a lockout or removes the trace of sign-ins: that is an administrator's act.
    """
    if sender._meta.app_label != "axes":
        return True
    return action == AuditEntry.Action.DELETE


def register_models() -> None:
    for label, excluded in AUDITED_MODELS:
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=list(excluded))
    user_model = apps.get_model("auth.User")
    if not auditlog.contains(user_model):
        # A password set or reset (by the person or by an administrator) is an entry: the
        # hash is masked whole.
        auditlog.register(
            user_model,
            exclude_fields=["last_login"],
            mask_fields=["password"],
            m2m_fields={"groups", "user_permissions"},
        )
    if not auditlog.contains(Group):
        auditlog.register(Group, m2m_fields={"permissions"})
    # Grants of department rights on form types, and second factors (never their secrets).
    for label, excluded in (
        ("guardian.GroupObjectPermission", ()),
        ("guardian.UserObjectPermission", ()),
        (
            "otp_totp.TOTPDevice",
            (
                "key",
                "last_t",
                "drift",
                "throttling_failure_timestamp",
                "throttling_failure_count",
                "last_used_at",
            ),
        ),
    ):
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=list(excluded))
    # Scheduled tasks: changing or deleting one (the daily disposal) stops work the
    # guideline requires. The scheduler's own update after each run is an entry too, by
    # the system: one a day.
    schedule = apps.get_model("django_q.Schedule")
    if not auditlog.contains(schedule):
        auditlog.register(schedule)
    for label in AXES_MODELS:
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(
                model,
                exclude_fields=list(AXES_EXCLUDED),
                mask_fields=["username"],
                mask_callable="audit.registry.redact_value",
            )
    pre_log.connect(only_deletions_of_axes_records, dispatch_uid="audit.axes_deletions_only")
