"""Which documents hold a My Number: what the officer's lookup asks of the app keeping them.

The lookup ("who saw the documents holding this number", ``officer_views.mynumber_lookup``) is
this app's page; the documents, their fields and the keyed digest that finds a number belong to
the reading app above. It registers its finder when it loads (``register_finder``, from
``OcrConfig.ready``), so this app imports none of its code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Holding:
    """The documents holding one number, whoever owns them (no rights applied)."""

    document_ids: list[int]  # sorted
    form_type_ids: list[int]  # their form type versions, sorted
    first_received: datetime | None  # when the first of them arrived (None: no document)


# A valid, normalised 12-digit My Number -> the documents holding it.
Finder = Callable[[str], Holding]
_finder: Finder | None = None


def register_finder(finder: Finder) -> Finder:
    global _finder
    _finder = finder
    return finder


def documents_holding(number: str) -> Holding:
    if _finder is None:
        raise ImproperlyConfigured("no app registered the finder of documents holding a number")
    return _finder(number)
