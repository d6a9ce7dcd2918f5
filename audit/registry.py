"""Every model whose changes are audited, registered with django-auditlog in one place.

Values that may carry personal data are excluded from the recorded changes entirely: an
audit entry says that a field's value changed and who changed it, never what it was.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth.models import Group

# (app_label.ModelName, fields never to record in changes)
AUDITED_MODELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("forms_catalog.FormType", ()),
    ("forms_catalog.FormPage", ()),
    ("forms_catalog.FieldDefinition", ()),
    ("ocr.Batch", ()),
    ("ocr.SourceFile", ("file",)),
    ("ocr.Document", ()),
    ("ocr.Page", ("image", "aligned_image")),
    ("ocr.ExtractedField", ("ocr_value", "final_value", "value_digest", "cell_confidences")),
    ("ocr.OcrRun", ()),
)


def mask_value(value: str) -> str:
    """auditlog's default mask keeps the last digits; ours keeps nothing."""
    return "********"


def register_models() -> None:
    for label, excluded in AUDITED_MODELS:
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=list(excluded))
    user_model = apps.get_model("auth.User")
    if not auditlog.contains(user_model):
        auditlog.register(
            user_model,
            exclude_fields=["password", "last_login"],
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
