"""The manager's workload dashboard in Debian's Chromium, on a season of demo documents.

The instance is ``seed_demo --season``: the demo users and a season (October to March) of
synthetic processed documents with review sessions. The manager signs in, clicks through from
the home page, picks the season's fiscal year, reads the chart and the tables, and downloads
the CSV, whose figures are the page's. ``docs/screenshots/dashboard.png`` is made here
(``YOMITORU_SCREENSHOTS=docs/screenshots``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from lab.season import season_start
from tests.test_journeys import PASSWORD, assert_japanese_only, shoot, sign_in, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def season(db, live_server):
    call_command("load_thresholds", verbosity=0)
    call_command("seed_demo", samples=1, sync=True, season=True, stdout=io.StringIO())
    for user in User.objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return live_server.url


def figures_table(page, code: str) -> list[list[str]]:
    rows = page.locator(f"#figures-{code} tr")
    return [
        [cell.strip() for cell in rows.nth(n).locator("th, td").all_inner_texts()]
        for n in range(rows.count())
    ]


def test_the_manager_reads_the_season_and_downloads_its_figures(season, page):
    from django.utils import timezone

    year = season_start(timezone.localdate())
    sign_in(page, season, "manager")
    page.click("#home-metrics-dashboard")
    page.wait_for_selector("#metrics-year-select")
    page.select_option("#metrics-year-select", str(year))
    page.click("#metrics-year input[type=submit]")
    page.wait_for_selector("#metrics-chart svg")

    bars = page.locator("#metrics-chart g.bar")
    assert bars.count() >= 20, "a bar for each week of the season"
    text = visible_text(page)
    for name in ("寄附金税額控除に係る申告特例申請書", "給与支払報告書（個人別明細書）"):
        assert name in text
    furusato = figures_table(page, "furusato-onestop")
    kyuyo = figures_table(page, "kyuyo-shiharai")
    months = {row[0]: int(row[1]) for row in furusato[1:-1]}
    salary = {row[0]: int(row[1]) for row in kyuyo[1:-1]}
    # The seasons show: December is the busiest month of the one-stop form, January of the
    # salary report.
    assert max(months, key=months.__getitem__) == f"{year}年12月"
    assert max(salary, key=salary.__getitem__) == f"{year + 1}年1月"
    reduction = page.locator("#metrics-total-reduction").inner_text()
    assert 0 < float(reduction) < 100
    assert page.locator("#content a[href*='/ocr/']").count() == 0, "no way into documents"
    assert_japanese_only(page)
    page.locator("#metrics-chart").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "dashboard")

    with page.expect_download() as fetched:
        page.click("#metrics-csv")
    body = Path(fetched.value.path()).read_bytes()
    assert body.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[0] == "様式" and header[1:] == furusato[0]
    names = {"furusato-onestop": "寄附金税額控除に係る申告特例申請書"}
    names["kyuyo-shiharai"] = "給与支払報告書（個人別明細書）"
    expected = [[names["furusato-onestop"], *row] for row in furusato[1:]]
    expected += [[names["kyuyo-shiharai"], *row] for row in kyuyo[1:]]
    assert rows == expected
