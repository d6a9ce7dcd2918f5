"""Each test keeps the audit chain's head log in its own folder, never in the data folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _head_log(settings, tmp_path: Path) -> Path:
    settings.AUDIT_HEAD_LOG = tmp_path / "audit" / "chain-head.log"
    return settings.AUDIT_HEAD_LOG
