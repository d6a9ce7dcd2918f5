"""Shared fixtures: a private media folder per test, fast hashing, personas built in code."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return media


@pytest.fixture
def catalog(db):
    """The four standard forms loaded as the current versions."""
    from forms_catalog.catalog import load_standard_catalog

    return {form_type.code: form_type for form_type, _ in load_standard_catalog()}
