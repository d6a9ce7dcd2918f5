"""What may reach a view at all: GET, HEAD or POST, and a path and query without NUL.

Methods. The admin renders a page for every method that is not POST, and CSRF treats OPTIONS
and TRACE as safe: an OPTIONS request to a document's page used to answer with the page
itself, the revealed My Number included, without the access entry a GET writes. Nothing in
this project needs another method (no API, no WebDAV, no CORS preflight: every request comes
from our own pages), so the rest are answered 405 for every path, before sessions, users or
views are touched. HEAD is kept (monitoring and some browsers use it) and runs a view as GET
does, the server dropping the body; views log it as they log GET.

NUL. No person types one, and PostgreSQL refuses it in any text: a ``%00`` in a list's filter
(``?status=%00``) or in an object's id was a server error on every admin list. It is refused
here with 400, once for every filter, rather than in each of them.

Dates. The admin's date hierarchy turns ``?created_at__year=…`` into a date and catches a
ValueError, but not the OverflowError of a year with twenty digits: a year, month or day
of more than four digits is refused here with 400, for every list at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed

ALLOWED_METHODS = ("GET", "HEAD", "POST")
_DATE_PART = re.compile(r"__(year|month|day)$")
_SHORT_NUMBER = re.compile(r"[0-9]{1,4}")


def has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


def has_impossible_date(request: HttpRequest) -> bool:
    return any(
        _DATE_PART.search(key) and not all(_SHORT_NUMBER.fullmatch(v) for v in values)
        for key, values in request.GET.lists()
    )


class RequestGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return HttpResponseNotAllowed(ALLOWED_METHODS)
        if has_nul(request) or has_impossible_date(request):
            return HttpResponseBadRequest()
        return self.get_response(request)
