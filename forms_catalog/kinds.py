"""Field kinds: what a field holds decides how it is read and validated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldKind(models.TextChoices):
    MYNUMBER = "mynumber", _("My Number")
    CORPORATE_NUMBER = "corporate_number", _("Corporate number")
    DIGITS = "digits", _("Digits")
    AMOUNT = "amount", _("Amount")
    POSTAL_CODE = "postal_code", _("Postal code")
    PHONE = "phone", _("Phone number")
    DATE = "date", _("Date (Western calendar)")
    WAREKI_DATE = "wareki_date", _("Date (Japanese era)")
    KATAKANA = "katakana", _("Katakana")
    TEXT_JA = "text_ja", _("Japanese text")
    CHECKBOX = "checkbox", _("Checkbox")
    CHOICE = "choice", _("Choice (circled)")


# Kinds written digit by digit into comb cells and read by the digit recogniser.
COMB_KINDS = frozenset(
    {
        FieldKind.MYNUMBER,
        FieldKind.CORPORATE_NUMBER,
        FieldKind.DIGITS,
        FieldKind.AMOUNT,
        FieldKind.POSTAL_CODE,
        FieldKind.PHONE,
        FieldKind.DATE,
        FieldKind.WAREKI_DATE,
    }
)

# Kinds that hold a My Number class value (特定個人情報) by default.
SENSITIVE_KINDS = frozenset({FieldKind.MYNUMBER})
