"""Each role's day, by clicks and keys in Debian's Chromium against a live server.

The instance is the demo as ``seed_demo`` builds it (one furusato batch read by the real
pipeline). Past the login page no URL is typed: every step clicks a link or a button, or
types into a field, as a person would. Screenshots go to ``$YOMITORU_SCREENSHOTS`` when set
(``docs/screenshots`` was made that way).
"""

from __future__ import annotations

import csv
import io
import os
import re
from base64 import b32decode
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import totp

from forms_catalog.models import FormType
from ocr.models import Document, Reveal
from yomitoru.lib.mynumber import MASK

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-password-2026"
# Latin-script words a Japanese page may show: the product's name, abbreviations staff use,
# and identifiers that are data (user names, form codes, file names), added per test.
ALLOWED_LATIN = {
    "yomitoru",
    "AI",
    "OCR",
    "TOTP",
    "CSV",
    "PDF",
    "URI",
    "ID",
    "QR",
    "otpauth",
    "totp",
    "secret",
    "algorithm",
    "SHA1",
    "digits",
    "period",
    "issuer",
    "sample",
    "png",
    "jpg",
    # Names of the encodings a core system asks for.
    "UTF",
    "BOM",
    "Shift",
    "JIS",
    "CP932",
    # Key names, as printed on the keyboard (the review screen's help line).
    "Ctrl",
    "Enter",
    "Esc",
    "Tab",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")


@pytest.fixture
def demo(db, live_server):
    call_command("load_thresholds", verbosity=0)
    call_command("seed_demo", samples=1, sync=True, stdout=io.StringIO())
    for user in User.objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return live_server.url


def shoot(page, name: str) -> None:
    folder = os.environ.get("YOMITORU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def enrol_totp(page) -> bytes:
    """On the enrolment page: read the secret the page shows, type the current code."""
    assert page.locator("#totp-qr svg").count() == 1, "the QR code is drawn on the page"
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = b32decode(secret)
    page.fill("#id_token", f"{totp(key):06d}")
    page.click("#two-factor-form input[type=submit]")
    return key


def visible_text(page) -> str:
    return page.locator("body").inner_text()


def assert_japanese_only(page, data_words: tuple[str, ...] = ()) -> None:
    """No English word on the page: every Latin word is allowed, or data (names, codes, and
    ``data_words``: identifiers a configuration page shows, such as field keys)."""
    data = set()
    for text in data_words:
        data.update(LATIN_WORD.findall(text))
    for username in User.objects.values_list("username", flat=True):
        data.update(LATIN_WORD.findall(username))
    for code in FormType.objects.values_list("code", flat=True):
        data.update(LATIN_WORD.findall(code))
    words = set(LATIN_WORD.findall(visible_text(page)))
    english = sorted(word for word in words - ALLOWED_LATIN - data if not word.isdigit())
    assert not english, f"English on a Japanese page: {english}"


def region_is_black(page, selector: str, field: dict[str, int], form_width: int) -> bool:
    """Whether a field's region of a page image, as the browser decoded it, is all black."""
    # The page images load lazily: bring it into view and wait until it is decoded.
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_function(
        "(sel) => { const img = document.querySelector(sel);"
        " return img && img.complete && img.naturalWidth > 0; }",
        arg=selector,
    )
    return page.eval_on_selector(
        selector,
        """(img, [x, y, w, h, formWidth]) => {
            const f = img.naturalWidth / formWidth;
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(img, 0, 0);
            const data = ctx.getImageData(
                Math.round((x + 4) * f), Math.round((y + 4) * f),
                Math.round((w - 8) * f), Math.round((h - 8) * f)).data;
            let max = 0;
            for (let i = 0; i < data.length; i += 4) {
                max = Math.max(max, data[i], data[i + 1], data[i + 2]);
            }
            return max < 40;
        }""",
        [field["x"], field["y"], field["w"], field["h"], form_width],
    )


def mynumber_field(form_type: FormType) -> dict[str, int]:
    definition = form_type.fields.get(key="mynumber")
    return {"x": definition.x, "y": definition.y, "w": definition.w, "h": definition.h}


def open_demo_document(page) -> None:
    """From the home page: the batch list, the batch, its documents, the first document."""
    page.click("#home-work-batches")
    page.click("#result_list tbody tr:first-child th a")
    page.click("#batch-documents")
    page.click("#result_list tbody tr:first-child th a")
    page.wait_for_selector("#document-readings")
    page.wait_for_load_state("networkidle")


def test_clerk_with_the_right_enrols_reveals_and_sees_the_number_masked_again(demo, page):
    document = Document.objects.get()
    field = document.fields.get(definition__key="mynumber")
    number = field.final_value or field.ocr_value
    assert number, "the demo document has a My Number reading"

    sign_in(page, demo, "clerk_mynumber")
    page.wait_for_selector("#totp-secret")
    shoot(page, "totp-enrol")
    enrol_totp(page)
    page.wait_for_selector("#home-work")
    assert "確認待ち" in visible_text(page)
    shoot(page, "home-clerk-mynumber")
    assert_japanese_only(page)

    open_demo_document(page)
    value_cell = page.locator("tr.sensitive td.value").first
    assert value_cell.inner_text() == MASK
    form_width = document.form_type.page_width
    page_image = "#document-pages img"
    assert region_is_black(page, page_image, mynumber_field(document.form_type), form_width)

    shoot(page, "document-before-reveal")
    page.fill("#reveal-reason", "住民からの問い合わせ対応")
    page.click("#reveal-form input[type=submit]")
    page.wait_for_selector("#reveal-state")
    # The page's lazy images load after the reveal: it must hold through them and a reload.
    page.wait_for_load_state("networkidle")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("tr.sensitive td.value").first.inner_text() == number
    assert not region_is_black(page, page_image, mynumber_field(document.form_type), form_width)
    shoot(page, "document-revealed")
    assert_japanese_only(page)

    # The reveal ends (its row says until when); the page shows the mask again.
    Reveal.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("tr.sensitive td.value").first.inner_text() == MASK
    assert page.locator("#reveal-form").count() == 1
    assert region_is_black(page, page_image, mynumber_field(document.form_type), form_width)


def test_clerk_without_the_right_sees_masks_and_black_regions_only(demo, page):
    document = Document.objects.get()
    sign_in(page, demo, "clerk")
    page.wait_for_selector("#home-work")
    shoot(page, "home-clerk")
    assert_japanese_only(page)
    page.click("#home-work-documents")
    assert page.locator("#mynumber-search").count() == 0, "no My Number search offered"
    page.click("#result_list tbody tr:first-child th a")
    page.wait_for_selector("#document-readings")
    page.wait_for_load_state("networkidle")
    assert page.locator("#reveal-form").count() == 0, "no reveal offered"
    assert page.locator("tr.sensitive td.value").first.inner_text() == MASK
    form_width = document.form_type.page_width
    field = mynumber_field(document.form_type)
    assert region_is_black(page, "#document-pages img", field, form_width)
    shoot(page, "document-masked")
    assert_japanese_only(page)


def test_officer_finds_who_saw_a_number_and_exports_the_log(demo, page, browser_context):
    document = Document.objects.get()
    field = document.fields.get(definition__key="mynumber")
    number = field.final_value or field.ocr_value
    # Someone opened the document today.
    clerk = browser_context.new_page()
    sign_in(clerk, demo, "clerk")
    clerk.wait_for_selector("#home-work")
    open_demo_document(clerk)
    clerk.close()

    sign_in(page, demo, "officer")
    page.wait_for_selector("#home-audit")
    shoot(page, "home-officer")
    assert_japanese_only(page)
    page.click("#home-audit-today")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() > 0
    assert "入力担当" in page.locator("#result_list").inner_text()

    page.fill("#audit-mynumber-input", number)
    page.click("#audit-mynumber input[type=submit]")
    page.wait_for_selector("#accesses")
    accesses = page.locator("#accesses").inner_text()
    assert "入力担当" in accesses and "開いた" in accesses
    assert number not in page.content()
    shoot(page, "officer-mynumber-lookup")

    page.go_back()
    page.wait_for_selector("#audit-export")
    with page.expect_download() as download:
        page.click("#audit-export input[type=submit]")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert rows[0][:4] == ["連番", "日時", "利用者", "操作"]
    assert len(rows) > 1
    assert set(LATIN_WORD.findall(" ".join(rows[0]))) <= ALLOWED_LATIN


def test_manager_sees_counts_of_their_departments_and_nothing_personal(demo, page):
    document = Document.objects.get()
    sign_in(page, demo, "manager")
    page.wait_for_selector("#home-statistics")
    shoot(page, "home-manager")
    text = visible_text(page)
    assert document.form_type.name in text
    assert "税務課" in text
    assert page.locator("#home-statistics a").count() == 0, "counts only, no way into documents"
    assert page.locator("a[href*='/ocr/']").count() == 0
    assert page.locator("a:text('アップロード')").count() == 0
    for field in document.fields.exclude(final_value=""):
        value = field.final_value
        if len(value) >= 3 and not value.isdigit():
            assert value not in text
    assert_japanese_only(page)


def test_administrator_creates_a_user_in_a_department_and_grants_a_right(demo, page):
    sign_in(page, demo, "admin")
    page.wait_for_selector("#totp-secret")
    enrol_totp(page)
    page.wait_for_selector("#home-setup")
    shoot(page, "home-administrator")

    page.click("#home-setup-users")
    page.click(".object-tools a.addlink")
    page.fill("#id_username", "new_clerk")
    page.fill("#id_password1", "a-long-new-password-2026")
    page.fill("#id_password2", "a-long-new-password-2026")
    page.click("input[name=_continue]")
    page.wait_for_selector("#id_groups_from, #id_groups")
    page.check("#id_is_staff")
    if page.locator("#id_groups_from").count():
        page.select_option("#id_groups_from", label="税務課")
        page.click("#id_groups_add")
    else:
        page.select_option("#id_groups", label="税務課")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    new = User.objects.get(username="new_clerk")
    assert new.is_staff
    assert list(new.groups.values_list("name", flat=True)) == ["税務課"]

    group, _ = Group.objects.get_or_create(name="保育課")
    hoiku = FormType.objects.get(code="hoiku-nintei", is_current=True)
    page.click("#site-name a")
    page.click("#home-setup-form-types")
    page.click(f"#result_list a:text-is('{hoiku.name}')")
    page.click(".object-tools a.permissionslink")
    page.select_option("#id_group", label=group.name)
    page.click("input[name=submit_manage_group]")
    page.select_option("#id_permissions_from", label="この様式の帳票をアップロード・確認できる")
    page.click("#id_permissions_add")
    page.click("#department-rights-form input[type=submit]")
    page.wait_for_selector(".messagelist")
    shoot(page, "administrator-grant")
    assert_japanese_only(page)
    from guardian.shortcuts import get_group_perms

    assert set(get_group_perms(group, hoiku)) == {"process"}
