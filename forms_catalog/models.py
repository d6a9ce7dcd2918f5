"""What a form IS: its versions, pages and the fields drawn on it."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from forms_catalog.kinds import COMB_KINDS, FieldKind
from yomitoru.validators import no_number


class FormType(models.Model):
    """One version of a paper form.

    Versions are immutable once a document has been read with them: editing such a form type
    creates version N+1 (``forms_catalog.versioning.new_version``) and the documents keep the
    version they were read with. Exactly one version per code is current; new uploads use it.

    Object permissions (django-guardian), granted to department groups per form type:
    ``process`` (upload and verify), ``view_mynumber`` (see My Numbers, after a reveal),
    ``export`` (download CSV), ``view_statistics`` (counts), ``supervise``, ``metrics`` (the
    manager's workload dashboard: counts, rates and seconds).
    """

    code = models.SlugField(_("code"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200, validators=[no_number])
    department = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        related_name="form_types",
        verbose_name=_("department"),
    )
    dpi = models.PositiveIntegerField(_("reference resolution (dpi)"), default=300)
    page_width = models.PositiveIntegerField(_("page width (px)"))
    page_height = models.PositiveIntegerField(_("page height (px)"))
    page_count = models.PositiveSmallIntegerField(_("pages"), default=1)
    retention_years = models.PositiveSmallIntegerField(_("retention period (years)"), default=5)
    # Review rules (ocr.review): whose second entry settles a My Number that the first blind
    # entry did not match, and whether a batch's auto-accepted documents may be confirmed at
    # once.
    second_entry_by_other_clerk = models.BooleanField(
        _("second keying by another clerk"),
        default=False,
        help_text=_(
            "A My Number keyed in blind that does not match the reading is keyed again "
            "by a different clerk."
        ),
    )
    allow_batch_confirm = models.BooleanField(
        _("batch confirmation of auto-accepted documents"), default=True
    )
    is_current = models.BooleanField(_("current version"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("form type")
        verbose_name_plural = _("form types")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="formtype_code_version"),
            # Serves "the current version of CODE", asked on every upload.
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(is_current=True),
                name="formtype_one_current_per_code",
            ),
        ]
        permissions = [
            ("process", _("Can upload and verify documents of this form type")),
            ("view_mynumber", _("Can view My Numbers on this form type")),
            ("export", _("Can export data of this form type")),
            ("view_statistics", _("Can view aggregate counts of this form type")),
            (
                "supervise",
                _("Can release other clerks' claims and confirm batches of this form type"),
            ),
            ("metrics", _("Can view the workload dashboard of this form type")),
        ]

    def __str__(self) -> str:
        return gettext("%(name)s (%(code)s, version %(version)s)") % {
            "name": self.name,
            "code": self.code,
            "version": self.version,
        }

    def audit_scope(self) -> dict[str, int]:
        """The form type an audit entry about it concerns (the officer filters by it)."""
        return {"form_type": self.pk}


class FormPage(models.Model):
    """A page of a form version with its blank reference image (the alignment target)."""

    form_type = models.ForeignKey(
        FormType, on_delete=models.CASCADE, related_name="pages", verbose_name=_("form type")
    )
    number = models.PositiveSmallIntegerField(_("page number"))
    reference_image = models.FileField(_("reference image"), upload_to="catalog/")

    class Meta:
        verbose_name = _("form page")
        verbose_name_plural = _("form pages")
        ordering = ["form_type", "number"]
        constraints = [
            models.UniqueConstraint(fields=["form_type", "number"], name="formpage_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.form_type} p.{self.number}"


class FieldDefinition(models.Model):
    """A field drawn on a form: where it is, what it holds, how it is validated and exported.

    The region (x, y, w, h) is in pixels at the form type's dpi on page ``page``. For comb
    kinds it is split into ``cells`` equal cells; ``options`` lists the printed words to circle
    (choice) or the eras (wareki_date), each with its own region.
    """

    form_type = models.ForeignKey(
        FormType, on_delete=models.CASCADE, related_name="fields", verbose_name=_("form type")
    )
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=200, validators=[no_number])
    kind = models.CharField(_("kind"), max_length=32, choices=FieldKind.choices)
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    x = models.PositiveIntegerField(_("x"))
    y = models.PositiveIntegerField(_("y"))
    w = models.PositiveIntegerField(_("width"))
    h = models.PositiveIntegerField(_("height"))
    cells = models.PositiveSmallIntegerField(_("comb cells"), default=0)
    required = models.BooleanField(_("required"), default=False)
    sensitive = models.BooleanField(
        _("sensitive (My Number class)"),
        default=False,
        help_text=_("Encrypted, masked and redacted like a My Number."),
    )
    options = models.JSONField(_("options"), default=list, blank=True)
    export_column = models.CharField(
        _("export column"), max_length=100, blank=True, validators=[no_number]
    )
    # An address (text_ja) names the postal-code field of the same form whose areas in Japan
    # Post's dictionary it must begin with (ocr.pipeline.postal); empty: not checked.
    postal_code_field = models.SlugField(
        _("postal code field"),
        max_length=64,
        blank=True,
        help_text=_(
            "Key of the postal code field on this form; the address is checked against "
            "Japan Post's areas for that code."
        ),
    )
    # A date field's window: the latest plausible date is this many days after today (empty:
    # ocr.pipeline.validate.DEFAULT_DAYS_AHEAD, about a year). A date further ahead is a
    # misreading (令和67年) unless the form asks for the future, e.g. an admission date.
    days_ahead = models.PositiveIntegerField(
        _("days ahead allowed"),
        null=True,
        blank=True,
        help_text=_("For a date: how many days after today it may lie. Empty: about one year."),
    )
    # An employment income (給与所得控除後の金額, amount) names the salary field (支払金額) of
    # the same form it follows from by the national table (yomitoru.lib.salary_income).
    salary_field = models.SlugField(
        _("salary field"),
        max_length=64,
        blank=True,
        help_text=_(
            "For 給与所得控除後の金額: key of the 支払金額 field on this form; the two are "
            "checked against the national table."
        ),
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("field definition")
        verbose_name_plural = _("field definitions")
        ordering = ["form_type", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form_type", "key"], name="field_unique_key"),
            # Masking, redaction and the lookup digest all key on ``sensitive``: a My Number
            # saved without it would be shown, logged and exported in clear.
            models.CheckConstraint(
                condition=~models.Q(kind=FieldKind.MYNUMBER) | models.Q(sensitive=True),
                name="field_mynumber_always_sensitive",
                violation_error_message=_("A My Number field must be sensitive."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.key})"

    def clean(self) -> None:
        # The check constraint would refuse the row anyway; this names the checkbox to tick
        # in the admin instead of failing the save with an IntegrityError.
        if self.kind == FieldKind.MYNUMBER and not self.sensitive:
            raise ValidationError(
                {"sensitive": _("A My Number field must be sensitive.")}, code="mynumber_sensitive"
            )

    @property
    def is_comb(self) -> bool:
        return self.kind in COMB_KINDS and self.cells > 0

    def as_export_dict(self) -> dict[str, object]:
        """The field in the JSON shape of ``export_form`` / ``import_form``."""
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "page": self.page,
            "x": self.x,
            "y": self.y,
            "w": self.w,
            "h": self.h,
            "cells": self.cells,
            "sensitive": self.sensitive,
            "required": self.required,
            "options": self.options,
            "export_column": self.export_column,
            "postal_code_field": self.postal_code_field,
            "days_ahead": self.days_ahead,
            "salary_field": self.salary_field,
        }


class KeyingRate(models.Model):
    """How long a person takes to key a field of one kind by hand: the manual baseline.

    The manager's dashboard (``ocr.metrics``) compares the measured review time with what
    keying every processed document by hand would have taken: for each field with a value,
    ``len(value) × seconds_per_character + seconds_per_field``. Administrators set the rates to
    the municipality's own timing; the defaults (``DEFAULT_RATES``, loaded by a migration) are
    figures commonly quoted for practised data-entry staff, not measured here:

    - Japanese text (``text_ja``): 1.2 s a character. Kana-kanji conversion (reading, typing
      the reading, choosing the candidate) runs at about 40–60 characters a minute for
      practised office staff, 1.0–1.5 s a character; the middle is taken.
    - Katakana: 0.8 s a character: typed by reading and converted with one key, no candidate
      to choose.
    - Digits (amounts, dates, postal codes, phone and corporate numbers): 0.4 s a character. A
      ten-key operator keys about 8 000–10 000 strokes an hour (0.36–0.45 s a stroke).
    - My Number: 0.8 s a digit: keyed twice (ベリファイ入力), as manual entry of 特定個人情報
      is verified, and as the review screen has it keyed blind.
    - Checkbox and choice: nothing per character (the value is a mark, not typed), 1.0 s a
      field for looking and ticking.
    - Every typed kind adds 2.0 s a field: finding it on the paper and moving to the input.

    A kind without a row counts nothing: the baseline never claims keying it cannot price.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=FieldKind.choices, unique=True)
    seconds_per_character = models.FloatField(
        _("seconds per character"), validators=[MinValueValidator(0.0)]
    )
    seconds_per_field = models.FloatField(
        _("seconds per field"),
        validators=[MinValueValidator(0.0)],
        help_text=_("Finding the field on paper and moving to the input."),
    )

    class Meta:
        verbose_name = _("keying rate")
        verbose_name_plural = _("keying rates (manual baseline)")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


# Written digit by digit into comb cells, like a My Number, but keyed once.
DIGIT_KINDS = COMB_KINDS - {FieldKind.MYNUMBER}
# kind -> (seconds per character, seconds per field); the reasoning is in KeyingRate's docstring.
DEFAULT_RATES: dict[str, tuple[float, float]] = {
    FieldKind.TEXT_JA: (1.2, 2.0),
    FieldKind.KATAKANA: (0.8, 2.0),
    **{kind: (0.4, 2.0) for kind in DIGIT_KINDS},
    FieldKind.MYNUMBER: (0.8, 2.0),
    FieldKind.CHECKBOX: (0.0, 1.0),
    FieldKind.CHOICE: (0.0, 1.0),
}
