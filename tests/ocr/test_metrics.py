"""The manager's workload dashboard: its figures from known rows, its scope, its CSV.

The documents here are written as rows (no scan): values, statuses and review sessions with
known active seconds, so every figure can be worked out by hand below.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from audit.models import AuditEntry
from forms_catalog.models import DEFAULT_RATES, FieldDefinition, FormType, KeyingRate
from lab.season import dated_as_given
from ocr.models import Batch, Document, ExtractedField, ReviewSession, SourceFile
from tests.personas import department_clerks, login, make_user
from yomitoru.lib import mynumber

pytestmark = pytest.mark.django_db

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
DECEMBER = datetime.datetime(2025, 12, 10, 10, 0, tzinfo=TOKYO)
S = ExtractedField.Status
D = Document.Status


class Tables(HTMLParser):
    """The text of each row of each table with an id, by that id."""

    def __init__(self) -> None:
        super().__init__()
        self.table: str | None = None
        self.rows: dict[str, list[list[str]]] = {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.table = dict(attrs).get("id")
        if tag == "tr" and self.table:
            self.row = []
        if tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        if tag == "tr" and self.row is not None and self.table:
            self.rows.setdefault(self.table, []).append(self.row)
            self.row = None
        if tag == "table":
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.rows


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The baselines are cached per month: each test counts from its own rows."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def furusato(catalog) -> FormType:
    return catalog["furusato-onestop"]


@pytest.fixture
def people(furusato):
    clerks = department_clerks(furusato)
    managers = Group.objects.create(name="所属長")
    assign_perm("forms_catalog.metrics", managers, furusato)
    clerks["manager"] = make_user("manager", managers)
    counts_only = Group.objects.create(name="所属長（件数のみ）")
    assign_perm("forms_catalog.view_statistics", counts_only, furusato)
    clerks["counts_only"] = make_user("counts_only", counts_only)
    return clerks


@pytest.fixture
def rates():
    """Keying rates set for the test: three kinds priced, every other kind counts nothing."""
    KeyingRate.objects.all().delete()
    KeyingRate.objects.create(kind="text_ja", seconds_per_character=1.5, seconds_per_field=2.0)
    KeyingRate.objects.create(kind="amount", seconds_per_character=0.5, seconds_per_field=1.0)
    KeyingRate.objects.create(kind="mynumber", seconds_per_character=1.0, seconds_per_field=3.0)


def definition(form_type: FormType, kind: str, nth: int = 0) -> FieldDefinition:
    return FieldDefinition.objects.filter(form_type=form_type, kind=kind).order_by("order")[nth]


def make_document(
    form_type: FormType,
    department: Group,
    status: str,
    fields: list[tuple[FieldDefinition, str, str]],
    *,
    received: datetime.datetime = DECEMBER,
) -> Document:
    """A document received at ``received`` with readings (definition, value, status)."""
    batch = Batch.objects.create(form_type=form_type, department=department, source="cli")
    source = SourceFile.objects.create(
        batch=batch, form_type=form_type, original_name="test.pdf", sha256="0" * 64, size=1
    )
    # The admin and services never say when a document arrived; a test of months must.
    with dated_as_given(Document._meta.get_field("created_at")):  # type: ignore[arg-type]
        document = Document.objects.create(
            batch=batch, source_file=source, form_type=form_type, status=status, created_at=received
        )
    for field_definition, value, field_status in fields:
        ExtractedField.objects.create(
            document=document,
            definition=field_definition,
            ocr_value=value,
            final_value=value,
            status=field_status,
        )
    return document


def session(document: Document, user: User, seconds: float, outcome: str = "submitted") -> None:
    ReviewSession.objects.create(
        kind=ReviewSession.Kind.DOCUMENT,
        user=user,
        document=document,
        form_type=document.form_type,
        outcome=outcome,
        started_at=DECEMBER + datetime.timedelta(hours=1),
        active_seconds=seconds,
    )


@pytest.fixture
def december(furusato, people, rates):
    """Three processed documents and a rejected one of 税務課, December 2025."""
    tax = furusato.department
    clerk = people["owner"]
    name, address = definition(furusato, "text_ja", 1), definition(furusato, "text_ja", 2)
    amount, number = definition(furusato, "amount"), definition(furusato, "mynumber")
    synthetic = mynumber.synthetic(random.Random(5))
    auto = make_document(
        furusato,
        tax,
        D.AUTO_ACCEPTED,
        [(name, "見本　花子", S.AUTO_ACCEPTED), (amount, "30000", S.AUTO_ACCEPTED)],
    )
    corrected = make_document(
        furusato,
        tax,
        D.VERIFIED,
        [
            (name, "試験　太郎", S.CORRECTED),
            (amount, "120000", S.CONFIRMED),
            (number, synthetic, S.AUTO_ACCEPTED),
            (address, "", S.AUTO_ACCEPTED),
        ],
    )
    session(corrected, clerk, 20.0)
    exported = make_document(
        furusato, tax, D.EXPORTED, [(address, "見本県見本市一丁目", S.CORRECTED)]
    )
    session(exported, clerk, 4.5, outcome="released")
    session(exported, clerk, 11.0)
    rejected = make_document(furusato, tax, D.REJECTED, [(name, "判読不能", S.CORRECTED)])
    session(rejected, clerk, 7.0, outcome="rejected")
    return {"auto": auto, "corrected": corrected, "exported": exported, "number": synthetic}


def dashboard(client, user: User, year: int = 2025):
    login(client, user)
    return client.get(reverse("admin:ocr_metrics"), {"year": year})


def furusato_rows(html: str) -> list[list[str]]:
    return tables(html)["figures-furusato-onestop"]


def test_the_workload_reduction_is_worked_out_from_the_stored_timings(client, people, december):
    response = dashboard(client, people["manager"])
    assert response.status_code == 200
    _header, december_row, total = furusato_rows(response.content.decode())[:3]
    assert december_row[0] == "2025年12月"
    # Manual keying baseline, len(value) × seconds per character + seconds per field:
    #   auto:      見本　花子 5 × 1.5 + 2.0 = 9.5;  30000 5 × 0.5 + 1.0 = 3.5        -> 13.0
    #   corrected: 試験　太郎 5 × 1.5 + 2.0 = 9.5;  120000 6 × 0.5 + 1.0 = 4.0;
    #              the My Number 12 × 1.0 + 3.0 = 15.0;  the empty address 0       -> 28.5
    #   exported:  見本県見本市一丁目 9 × 1.5 + 2.0 = 15.5                           -> 15.5
    #   the rejected document is not processed: no baseline.
    baseline = 13.0 + 28.5 + 15.5
    # Measured: every session's active seconds, the rejected document's too.
    measured = 20.0 + 4.5 + 11.0 + 7.0
    reduction = 1 - measured / baseline  # 1 - 42.5 / 57.0 = 0.2543…
    assert december_row[8] == f"{reduction * 100:.1f}" == "25.4"
    assert december_row[7] == f"{baseline / 60:.1f}"
    assert december_row[6] == f"{measured / 60:.1f}"
    assert december_row[1] == "3"  # documents processed
    assert december_row[2] == "7"  # fields processed: 2 + 4 + 1
    assert december_row[3] == "33.3"  # straight-through: only the auto-accepted one, 1 of 3
    assert december_row[4] == "66.7"  # corrected 2 of the 3 fields a person decided
    assert december_row[5] == f"{measured / 3:.1f}"  # review seconds per processed document
    assert total[0] == "年度計" and total[1:] == december_row[1:]
    assert 'id="metrics-total-reduction">25.4<' in response.content.decode()


def test_a_changed_keying_rate_changes_the_baseline(client, people, december):
    assert furusato_rows(dashboard(client, people["manager"]).content.decode())[1][8] == "25.4"
    rate = KeyingRate.objects.get(kind="mynumber")
    rate.seconds_per_character = 2.0
    rate.save()
    row = furusato_rows(dashboard(client, people["manager"]).content.decode())[1]
    baseline = 13.0 + (9.5 + 4.0 + 12 * 2.0 + 3.0) + 15.5
    assert row[8] == f"{(1 - 42.5 / baseline) * 100:.1f}"


def test_the_default_keying_rates_are_loaded_for_every_kind():
    stored = {
        rate.kind: (rate.seconds_per_character, rate.seconds_per_field)
        for rate in KeyingRate.objects.all()
    }
    assert stored == {str(kind): rate for kind, rate in DEFAULT_RATES.items()}


def test_a_manager_without_the_right_is_refused(client, people, december):
    for name in ("counts_only", "outsider", "owner"):
        login(client, people[name])
        assert client.get(reverse("admin:ocr_metrics")).status_code == 403, name
        assert client.get(reverse("admin:ocr_metrics_csv")).status_code == 403, name
        home = client.get(reverse("admin:index")).content.decode()
        assert 'id="home-metrics-dashboard"' not in home


def test_the_home_page_leads_the_manager_to_the_dashboard(client, people):
    login(client, people["manager"])
    home = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("admin:ocr_metrics")}" id="home-metrics-dashboard"' in home


def test_another_departments_documents_do_not_count(client, furusato, people, december):
    other = Group.objects.get(name="他課")
    assign_perm("forms_catalog.process", other, furusato)
    theirs = make_document(
        furusato, other, D.VERIFIED, [(definition(furusato, "text_ja"), "他課の値", S.CORRECTED)]
    )
    session(theirs, people["outsider"], 300.0)
    row = furusato_rows(dashboard(client, people["manager"]).content.decode())[1]
    assert row[1] == "3" and row[8] == "25.4"


def test_a_grant_to_another_department_counts_its_batches_and_the_owners(
    client, furusato, december
):
    other = Group.objects.get(name="他課")
    assign_perm("forms_catalog.metrics", other, furusato)
    theirs = make_document(
        furusato, other, D.AUTO_ACCEPTED, [(definition(furusato, "amount"), "500", S.AUTO_ACCEPTED)]
    )
    assert theirs.batch.department == other
    manager = make_user("other_manager", other)
    row = furusato_rows(dashboard(client, manager).content.decode())[1]
    # Their own batch, and the batches of the form type's own department (税務課).
    assert row[1] == "4"


def test_the_page_holds_no_personal_data(client, people, december):
    page = dashboard(client, people["manager"]).content.decode()
    for value in ("見本　花子", "試験　太郎", "見本県見本市一丁目", "120000", december["number"]):
        assert value not in page
    for user in User.objects.exclude(username="manager"):
        assert user.username not in page
    assert "/admin/ocr/" not in page, "no link into documents, batches or the queue"
    assert str(december["auto"].pk) not in {cell for row in furusato_rows(page) for cell in row}


def test_the_csv_holds_the_figures_of_the_page(client, people, december):
    page = dashboard(client, people["manager"]).content.decode()
    response = client.get(reverse("admin:ocr_metrics_csv"), {"year": 2025})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, *figures = rows
    assert header[:3] == ["様式", "月", "処理帳票数"]
    page_rows = furusato_rows(page)
    assert header[1:] == page_rows[0]
    name = FormType.objects.get(code="furusato-onestop", is_current=True).name
    assert figures == [[name, *row] for row in page_rows[1:]]
    entry = AuditEntry.objects.get(additional_data__access="export")
    assert entry.actor == people["manager"]
    assert entry.additional_data["report"] == "workload"
    assert entry.additional_data["fiscal_year"] == 2025


def test_csv_cells_cannot_run_as_formulas(client, furusato, people, rates):
    """A negative reduction (review slower than keying) starts with a minus sign."""
    slow = make_document(
        furusato,
        furusato.department,
        D.VERIFIED,
        [(definition(furusato, "amount"), "1", S.CONFIRMED)],
    )
    session(slow, people["owner"], 60.0)
    login(client, people["manager"])
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("admin:ocr_metrics_csv"), {"year": 2025}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[1][9] == f"'{(1 - 60.0 / 1.5) * 100:.1f}"


def test_months_and_fiscal_years_follow_tokyo_time(client, furusato, people, rates):
    # 31 March 2026 23:30 in Tokyo is in fiscal year 2025; 1 April 00:30 in 2026.
    amount = definition(furusato, "amount")
    march = datetime.datetime(2026, 3, 31, 23, 30, tzinfo=TOKYO)
    april = datetime.datetime(2026, 4, 1, 0, 30, tzinfo=TOKYO)
    for moment in (march, april):
        make_document(
            furusato,
            furusato.department,
            D.AUTO_ACCEPTED,
            [(amount, "1000", S.AUTO_ACCEPTED)],
            received=moment,
        )
    rows_2025 = furusato_rows(dashboard(client, people["manager"], 2025).content.decode())
    rows_2026 = furusato_rows(dashboard(client, people["manager"], 2026).content.decode())
    assert [row[0] for row in rows_2025[1:]] == ["2026年3月", "年度計"]
    assert [row[0] for row in rows_2026[1:]] == ["2026年4月", "年度計"]


def test_the_chart_shows_weekly_volume(client, furusato, people, rates):
    amount = definition(furusato, "amount")
    for day, count in ((1, 1), (8, 3), (9, 2)):
        for _ in range(count):
            make_document(
                furusato,
                furusato.department,
                D.AUTO_ACCEPTED,
                [(amount, "1000", S.AUTO_ACCEPTED)],
                received=datetime.datetime(2025, 12, day, 10, tzinfo=TOKYO),
            )
    page = dashboard(client, people["manager"]).content.decode()
    assert '<svg role="img"' in page
    weekly = tables(page)["weekly-table"]
    # ISO weeks from Monday 1 December and Monday 8 December.
    assert [row[-1] for row in weekly[1:]] == ["1", "5"]
    assert page.count('<g class="bar">') == 2


def test_the_number_of_queries_does_not_grow_with_the_documents(client, furusato, people, rates):
    amount, name = definition(furusato, "amount"), definition(furusato, "text_ja")

    def add(count: int) -> None:
        for n in range(count):
            document = make_document(
                furusato,
                furusato.department,
                D.VERIFIED,
                [(amount, "1000", S.AUTO_ACCEPTED), (name, "見本", S.CORRECTED)],
                received=DECEMBER + datetime.timedelta(minutes=n),
            )
            session(document, people["owner"], 10.0)

    login(client, people["manager"])
    counts = []
    for count in (2, 20):
        add(count)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:ocr_metrics"), {"year": 2025}).status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_a_months_baseline_is_counted_again_only_when_its_documents_change(
    client, furusato, people, december
):
    login(client, people["manager"])
    url, year = reverse("admin:ocr_metrics"), {"year": 2025}
    with CaptureQueriesContext(connection) as cold:
        first = client.get(url, year).content.decode()
    with CaptureQueriesContext(connection) as warm:
        again = client.get(url, year).content.decode()
    assert len(warm.captured_queries) == len(cold.captured_queries) - 1, "no pass over values"
    assert furusato_rows(again) == furusato_rows(first)
    # One more auto-accepted document of December: its 4 characters of text add 4 × 1.5 + 2.
    make_document(
        furusato,
        furusato.department,
        D.AUTO_ACCEPTED,
        [(definition(furusato, "text_ja", 1), "見本一郎", S.AUTO_ACCEPTED)],
    )
    row = furusato_rows(client.get(url, year).content.decode())[1]
    assert row[1] == "4"
    assert row[8] == f"{(1 - 42.5 / (57.0 + 4 * 1.5 + 2.0)) * 100:.1f}"


def test_fiscal_years_offered_are_those_with_documents(client, furusato, people, rates):
    make_document(furusato, furusato.department, D.AUTO_ACCEPTED, [], received=DECEMBER)
    login(client, people["manager"])
    response = client.get(reverse("admin:ocr_metrics"))
    page = response.content.decode()
    assert '<option value="2025" selected>2025年度</option>' in page
    # A year that is not offered falls back to the newest one, never an error.
    assert client.get(reverse("admin:ocr_metrics"), {"year": "1999"}).status_code == 200
    assert client.get(reverse("admin:ocr_metrics"), {"year": "２０２５"}).status_code == 200


def test_an_empty_year_says_so(client, people, rates):
    login(client, people["manager"])
    page = client.get(reverse("admin:ocr_metrics")).content.decode()
    assert 'id="metrics-empty"' in page
