"""Redaction of runs of 12 or 13 digits (My Number, corporate number) from every log record.

Two layers: a log-record factory rewrites each record's message as it is created, so every
handler (files, console, test capture, anything a library adds) sees the redacted text; the
formatter redacts the fully formatted output again, which covers tracebacks.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# A run of 12–13 digits, possibly written with spaces or hyphens between the digits.
_NUMBER_RUN = re.compile(r"(?<!\d)\d(?:[ \-\u3000]?\d){11,12}(?!\d)")
REDACTED = "[redacted-number]"


def redact(text: str) -> str:
    return _NUMBER_RUN.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


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
