"""The manager's workload dashboard (``metrics`` right): the figures of ``ocr.metrics`` as a
page with a weekly chart drawn server-side as SVG, and as CSV.

Nothing personal: counts, rates and seconds only, no user, no value, no link into a document.
The CSV download of these aggregates is logged as an export (one audit entry per download,
``report: workload``): an officer reads every export, whatever it holds.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.access import Access, log_access
from forms_catalog.kinds import FieldKind
from ocr import metrics
from ocr.permissions import metrics_documents, metrics_form_types, metrics_sessions
from ocr.review.quality import ErrorRate
from yomitoru.admin_site import YomitoruAdminSite
from yomitoru.lib.csvsafe import spreadsheet_safe

NONE = "–"
# One colour per form type in the chart (Django admin's blue first), distinct in greyscale too.
PALETTE = ("#417690", "#e08a1e", "#4a9a4a", "#8c5aa8", "#c0504d", "#6b6b6b")


def percent(rate: float | None) -> str:
    return NONE if rate is None else f"{rate * 100:.1f}"


def seconds(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}"


def minutes(value: float) -> str:
    return f"{value / 60:.1f}"


def columns() -> list[str]:
    """The headers of the figures table, on the page and in the CSV."""
    return [
        _("month"),
        _("documents processed"),
        _("fields processed"),
        _("straight-through rate of documents (%)"),
        _("correction rate of fields (%)"),
        _("review seconds per document"),
        _("review time (minutes)"),
        _("keying baseline (minutes)"),
        _("workload reduction (%)"),
    ]


def figure_cells(label: str, figures: metrics.Figures) -> list[str]:
    return [
        label,
        str(figures.documents),
        str(figures.fields),
        percent(figures.straight_through_rate),
        percent(figures.correction_rate),
        seconds(figures.review_seconds_per_document),
        minutes(figures.review_seconds),
        minutes(figures.baseline_seconds),
        percent(figures.reduction),
    ]


def month_label(month: datetime.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def year_label(year: int) -> str:
    return _("FY %(year)s") % {"year": year}


@dataclass
class FormTypeTable:
    code: str
    name: str
    rows: list[list[str]]
    total: list[str]
    # (kind, decided by a person, corrected, correction rate)
    kinds: list[tuple[str, int, int, str]]
    errors: list[ErrorRate]


def tables(board: metrics.Dashboard) -> list[FormTypeTable]:
    return [
        FormTypeTable(
            code=form_type.code,
            name=form_type.name,
            rows=[figure_cells(month_label(m), f) for m, f in form_type.months.items()],
            total=figure_cells(_("fiscal year total"), form_type.total),
            kinds=[(k.label, k.decided, k.corrected, percent(k.rate)) for k in form_type.kinds],
            errors=form_type.errors,
        )
        for form_type in board.form_types
    ]


# --------------------------------------------------------------------------- the chart

WIDTH, HEIGHT = 960, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 40


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def chart(board: metrics.Dashboard, names: dict[str, str]) -> dict[str, Any] | None:
    """Stacked bars of the documents received per ISO week, one colour per form type."""
    if not board.weeks:
        return None
    codes = sorted(board.weekly)
    colours = {code: PALETTE[index % len(PALETTE)] for index, code in enumerate(codes)}
    totals = [sum(board.weekly[code].get(week, 0) for code in codes) for week in board.weeks]
    top = _nice_ceiling(max(totals))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / len(board.weeks)
    scale = plot_height / top
    bars = []
    for index, week in enumerate(board.weeks):
        y = float(TOP + plot_height)
        segments = []
        parts = []
        for code in codes:
            count = board.weekly[code].get(week, 0)
            if not count:
                continue
            height = count * scale
            y -= height
            segments.append({"y": f"{y:.1f}", "height": f"{height:.1f}", "colour": colours[code]})
            parts.append(_("%(form)s: %(count)s") % {"form": names.get(code, code), "count": count})
        title = _("Week of %(monday)s") % {"monday": date_format(week, "DATE_FORMAT")}
        bars.append(
            {
                "x": f"{LEFT + index * step + 0.5:.1f}",
                "width": f"{max(step - 1.5, 1):.1f}",
                "segments": segments,
                "title": " / ".join([title, *parts]),
            }
        )
    ticks = [
        {"y": f"{TOP + plot_height - value * scale:.1f}", "label": value}
        for value in (top * n // 4 for n in range(5))
    ]
    months = [
        {"x": f"{LEFT + index * step:.1f}", "label": date_format(week, "F")}
        for index, week in enumerate(board.weeks)
        if week.day <= 7
    ]
    legend = [{"name": names.get(code, code), "colour": colours[code]} for code in codes]
    weekly_rows = [
        [date_format(week, "DATE_FORMAT"), *(board.weekly[code].get(week, 0) for code in codes), t]
        for week, t in zip(board.weeks, totals, strict=True)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "baseline": TOP + plot_height,
        "label_y": TOP + plot_height + 18,
        "bars": bars,
        "ticks": ticks,
        "months": months,
        "legend": legend,
        "weekly_columns": [names.get(code, code) for code in codes],
        "weekly_rows": weekly_rows,
        "peak": max(totals),
    }


# --------------------------------------------------------------------------- the views


def _requested_year(request: HttpRequest, years: list[int]) -> int:
    raw = request.GET.get("year", "")
    if raw.isascii() and raw.isdigit() and int(raw) in years:
        return int(raw)
    return years[0]


def _board(request: HttpRequest) -> tuple[metrics.Dashboard, list[int]]:
    user = cast(User, request.user)
    form_types = metrics_form_types(user)
    if not form_types.exists():
        raise PermissionDenied
    documents = metrics_documents(user)
    years = metrics.fiscal_years(documents.filter(status__in=metrics.PROCESSED))
    year = _requested_year(request, years)
    return metrics.dashboard(documents, metrics_sessions(user), form_types, year), years


def headline(board: metrics.Dashboard) -> list[tuple[str, str, str]]:
    """The year's figures over all form types: (element key, label, value)."""
    labels, cells = columns(), figure_cells("", board.total)
    shown = (("reduction", 8), ("documents", 1), ("straight-through", 3), ("review", 6))
    return [(key, labels[index], cells[index]) for key, index in (*shown, ("baseline", 7))]


def top_corrected(board: metrics.Dashboard, names: dict[str, str]) -> list[tuple]:
    return [
        (names.get(f.code, f.code), f.label, f.kind_label, f.decided, f.corrected, percent(f.rate))
        for f in board.top_corrected
    ]


def _rates() -> list[dict[str, Any]]:
    labels = dict(FieldKind.choices)
    return [
        {"label": labels.get(kind, kind), "per_character": rate[0], "per_field": rate[1]}
        for kind, rate in sorted(metrics.keying_rates().items())
    ]


@require_GET
def dashboard_view(request: HttpRequest, site: YomitoruAdminSite) -> HttpResponse:
    board, years = _board(request)
    names = metrics.form_type_names(metrics_form_types(cast(User, request.user)))
    context = {
        **site.each_context(request),
        "title": _("Workload dashboard"),
        # The sidebar lists models, and a manager has none: it would only say so.
        "is_nav_sidebar_enabled": False,
        "year": board.year,
        "year_label": year_label(board.year),
        "years": [(year, year_label(year)) for year in years],
        "columns": columns(),
        "tables": tables(board),
        "headline": headline(board),
        "correction_column": columns()[4],
        "chart": chart(board, names),
        "top_corrected": top_corrected(board, names),
        "rates": _rates(),
    }
    return TemplateResponse(request, "admin/ocr/metrics/dashboard.html", context)


def csv_rows(board: metrics.Dashboard) -> list[list[str]]:
    """Header and rows: one per form type and month, then each form type's year."""
    rows = [[_("form type"), *columns()]]
    for table in tables(board):
        rows += [[table.name, *row] for row in table.rows]
        rows.append([table.name, *table.total])
    return rows


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@require_GET
def csv_view(request: HttpRequest) -> HttpResponse:
    board, _years = _board(request)
    rows = csv_rows(board)
    user = cast(User, request.user)
    details = {"report": "workload", "fiscal_year": board.year}
    log_access(user, user, Access.EXPORT, count=len(rows) - 1, details=details)
    response = HttpResponse(csv_bytes(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="workload-{board.year}-{stamp}.csv"'
    return response


def urls(site: YomitoruAdminSite) -> list:
    def page(request: HttpRequest) -> HttpResponse:
        return dashboard_view(request, site)

    return [
        path("metrics/", site.admin_view(page), name="ocr_metrics"),
        path("metrics/csv/", site.admin_view(csv_view), name="ocr_metrics_csv"),
    ]
