"""Validators of text that people type and that lists and the audit log show."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yomitoru.lib.sensitive_text import contains_number


def no_number(value: object) -> None:
    """Refuse text holding a My Number or a corporate number, in any writing of it."""
    if isinstance(value, str) and contains_number(value):
        raise ValidationError(
            _("Do not include a My Number or any other number here."), code="number_in_text"
        )
