"""Log formatting that redacts runs of 12 or 13 digits (My Number, corporate number).

Redaction is done on the fully formatted record, traceback included, so nothing a caller
passes in arguments or an exception message can slip past it.
"""

from __future__ import annotations

import logging
import re

# A run of 12–13 digits, possibly written with spaces or hyphens between the digits.
_NUMBER_RUN = re.compile(r"(?<!\d)\d(?:[ \-]?\d){11,12}(?!\d)")
REDACTED = "[redacted-number]"


def redact(text: str) -> str:
    return _NUMBER_RUN.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
