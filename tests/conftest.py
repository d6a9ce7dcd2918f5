"""Shared fixtures: a private media folder per test, fast hashing, personas built in code."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The machine's network is closed: keep Chromium from phoning home at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    # Each test's audit entries append their chain heads to a file of its own.
    settings.AUDIT_HEAD_LOG = tmp_path / "audit" / "chain-head.log"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return media


@pytest.fixture
def catalog(db):
    """The four standard forms loaded as the current versions."""
    from forms_catalog.catalog import load_standard_catalog

    return {form_type.code: form_type for form_type, _ in load_standard_catalog()}


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (no downloaded browser)."""
    if not shutil.which("chromium"):
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(chromium: Any) -> Any:
    """A page of its own browser context (its own cookies), Japanese, at a laptop's width."""
    context = chromium.new_context(locale="ja-JP", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def browser_context(chromium: Any) -> Any:
    """A second person's browser, beside ``page``."""
    context = chromium.new_context(locale="ja-JP", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    return context
