"""The audit log itself: django-auditlog's entry, sealed into a hash chain.

Every entry (create, update, delete, access) gets the next ``sequence`` number and a ``seal``:
HMAC-SHA256, under AUDIT_SEAL_KEY, of the previous entry's seal and a canonical form of this
entry. Editing, deleting or reordering rows breaks the chain at the first affected entry;
truncation is caught against the head log (``audit.chain``: every committed head is appended
to a file the database cannot rewrite) or a head exported by the officer.
``verify_audit_chain`` checks it.

Who acted is kept in the entry itself (``actor_user_pk``, ``actor_username``, ``actor_name``,
sealed): renaming the account does not rename its entries, and the actor's foreign key, which
the database may set to NULL, is not part of the seal. Entries sealed before that (seal
version 1) cover ``actor_id`` instead and still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import partial
from typing import Any

from auditlog.models import AbstractLogEntry
from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _

from forms_catalog.models import FormType
from yomitoru.lib.sensitive_text import redact

GENESIS_SEAL = "0" * 64

# The version new entries are sealed with (see SEALED_FIELDS_BY_VERSION).
SEAL_VERSION = 2

# The fields a seal covers: the actor as stored in the entry, not its foreign key.
SEALED_FIELDS = (
    "sequence",
    "seal_version",
    "timestamp",
    "action",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "serialized_data",
    "changes",
    "changes_text",
    "actor_user_pk",
    "actor_username",
    "actor_name",
    "actor_email",
    "remote_addr",
    "remote_port",
    "cid",
    "additional_data",
)

# Entries written before the actor was stored: their seal covers ``actor_id``. Kept as it
# was, so that those entries verify for ever.
SEALED_FIELDS_V1 = (
    "sequence",
    "timestamp",
    "action",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "serialized_data",
    "changes",
    "changes_text",
    "actor_id",
    "actor_email",
    "remote_addr",
    "remote_port",
    "cid",
    "additional_data",
)

SEALED_FIELDS_BY_VERSION = {1: SEALED_FIELDS_V1, 2: SEALED_FIELDS}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def canonical(entry: AuditEntry) -> bytes:
    # An unknown version seals nothing of the entry: it can never match, so it is reported.
    fields = SEALED_FIELDS_BY_VERSION.get(entry.seal_version, ("seal_version",))
    record = {name: _plain(getattr(entry, name)) for name in fields}
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()


def compute_seal(previous_seal: str, entry: AuditEntry) -> str:
    message = previous_seal.encode() + b"\n" + canonical(entry)
    return hmac.new(settings.AUDIT_SEAL_KEY.encode(), message, hashlib.sha256).hexdigest()


class ChainHead(models.Model):
    """The last sealed entry: a single row, locked while an entry is appended."""

    sequence = models.PositiveBigIntegerField(default=0)
    seal = models.CharField(max_length=64, default=GENESIS_SEAL)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.sequence}"


class AuditEntry(AbstractLogEntry):
    """One audit log entry. Never edited or deleted after it is written."""

    # auditlog's base class is untyped, so the fields are annotated here.
    sequence: models.PositiveBigIntegerField[int | None, int | None] = (
        models.PositiveBigIntegerField(_("sequence"), unique=True, null=True, editable=False)
    )
    seal: models.CharField[str, str] = models.CharField(
        _("seal"), max_length=64, blank=True, editable=False
    )
    # Rows written before the version existed are version 1; save() writes SEAL_VERSION.
    seal_version: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        _("seal version"), default=1, editable=False
    )
    # The actor as they were when the entry was written. The foreign key is kept for joins
    # and filters; these say who it was, whatever later happens to the account.
    actor_user_pk: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
        _("actor's user id"), null=True, blank=True, editable=False
    )
    actor_username: models.CharField[str, str] = models.CharField(
        _("actor's user name"), max_length=150, blank=True, default="", editable=False
    )
    actor_name: models.CharField[str, str] = models.CharField(
        _("actor's name"), max_length=300, blank=True, default="", editable=False
    )
    object_pk: str
    object_repr: str

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            # Serves the officer's filters: one actor's entries over time.
            models.Index(fields=["actor", "timestamp"], name="auditentry_actor_time"),
            # Serves "who accessed this object": entries of one object by action.
            models.Index(fields=["content_type", "object_id", "action"], name="auditentry_object"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("audit entries are append-only")
        # django-auditlog's request middleware fills actor, remote address and port in a
        # pre_save receiver; let it run now so the seal covers what is stored. (It runs again
        # inside super().save() and sets the same values.)
        pre_save.send(
            sender=type(self),
            instance=self,
            raw=False,
            using=kwargs.get("using") or "default",
            update_fields=None,
        )
        # Seal what the database will give back: object_pk is stored as text.
        if self.object_pk is not None:
            self.object_pk = str(self.object_pk)
        # The object's name is free text (a file name, a typed user name in axes' records):
        # the detector runs here too, behind the doors that refuse such input.
        self.object_repr = redact(self.object_repr or "")
        self.seal_version = SEAL_VERSION
        if SEAL_VERSION >= 2:
            self._store_actor()
        with transaction.atomic():
            head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
            self.sequence = head.sequence + 1
            self.seal = compute_seal(head.seal, self)
            super().save(*args, **kwargs)
            ChainHead.objects.filter(pk=1).update(sequence=self.sequence, seal=self.seal)
            # The head goes to the file only once the entry is committed: a rolled-back
            # entry never leaves a line ahead of the database. (audit.chain imports this
            # module, hence the import here.)
            from audit.chain import append_head

            transaction.on_commit(
                partial(append_head, self.sequence, self.seal),
                using=kwargs.get("using"),
                robust=True,
            )

    def _store_actor(self) -> None:
        actor = self.actor
        if actor is None:
            self.actor_user_pk, self.actor_username, self.actor_name = None, "", ""
            return
        self.actor_user_pk = actor.pk
        # The same detector as any free text that reaches the log.
        self.actor_username = redact(actor.get_username())[:150]
        self.actor_name = redact(actor.get_full_name())[:300]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("audit entries are append-only")


class DisposalRecord(models.Model):
    """What one disposal run deleted for one form type version: counts, rule and actor only.

    Kept forever as the record of deletion the guideline asks for. It never names a person:
    no values, no file names, no list of documents (an id range and counts only). A run by
    the scheduler has no user; ``actor_label`` then says "system".
    """

    SYSTEM_ACTOR = "system"

    form_type = models.ForeignKey(
        "forms_catalog.FormType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("form type"),
    )
    # Copied so the record reads on its own, whatever happens to the catalog later.
    form_code = models.SlugField(_("form code"), max_length=64)
    form_version = models.PositiveIntegerField(_("form version"))
    disposed_at = models.DateTimeField(_("disposed at"), auto_now_add=True)
    run_date = models.DateField(_("run date"))
    rule = models.CharField(_("rule"), max_length=200)
    retention_years = models.PositiveSmallIntegerField(_("retention period (years)"))
    cutoff_date = models.DateField(
        _("cut-off date"), help_text=_("Documents received before this date were disposed.")
    )
    documents = models.PositiveIntegerField(_("documents"))
    pages = models.PositiveIntegerField(_("pages"))
    files = models.PositiveIntegerField(_("files deleted"))
    field_values = models.PositiveIntegerField(_("field values erased"))
    # Scans refused at intake (rejected or duplicate): they have no document, and are
    # disposed by the same rule from the day they were received.
    rejected_files = models.PositiveIntegerField(_("rejected scans disposed"), default=0)
    # Empty when the record covers rejected scans only.
    first_document_id = models.PositiveBigIntegerField(
        _("lowest document id"), null=True, blank=True
    )
    last_document_id = models.PositiveBigIntegerField(
        _("highest document id"), null=True, blank=True
    )
    received_from = models.DateField(_("oldest received date"))
    received_until = models.DateField(_("newest received date"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disposed by"),
    )
    actor_label = models.CharField(_("actor"), max_length=150)

    class Meta:
        verbose_name = _("disposal record")
        verbose_name_plural = _("disposal records")
        ordering = ["-disposed_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.form_code} v{self.form_version}"


# Imported here, not at the top: the proxy below is the only use, appended with the report.


class RetentionReport(FormType):
    """The admin's retention report: one row per form type version, what falls due next.

    A proxy so the report has its own view permission (``audit.view_retentionreport``) and a
    changelist in the admin, without a table of its own.
    """

    class Meta:
        proxy = True
        verbose_name = _("retention report")
        verbose_name_plural = _("retention report")
