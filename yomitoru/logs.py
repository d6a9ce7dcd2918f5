"""Redaction of every run of 12 or more digits from every log record.

The runs are found by the one detector of numbers in free text (yomitoru.lib.sensitive_text),
without checking check digits: in a log, a mistyped My Number must not slip through either, in
any width or with any separator.

Two layers: a log-record factory rewrites each record's message as it is created, so every
handler (files, console, test capture, anything a library adds) sees the redacted text; the
formatter redacts the message, the traceback and the stack it prints again. It does not redact
the line's own timestamp, which the detector would read as a run of 17 digits.
"""

from __future__ import annotations

import logging
from typing import Any

from yomitoru.lib import sensitive_text

REDACTED = "[redacted-number]"


def redact(text: str) -> str:
    return sensitive_text.redact(text, check_digits=False, marker=REDACTED)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if record.exc_text:
            # Cached by another formatter: it may not have redacted it.
            record.exc_text = redact(record.exc_text)
        return super().format(record)

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = redact(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


def install_redacting_record_factory() -> None:
    """Make every new LogRecord carry an already-redacted message (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_numbers", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record  # a malformed call: leave it to logging's own error report
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return record

    factory.redacts_numbers = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
