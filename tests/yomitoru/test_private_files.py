"""The data folder and the SQLite database are private to the instance's user."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_instance_writes_private_files_and_checks_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    python = sys.executable
    subprocess.run([python, "-m", "yomitoru.keys", str(data)], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    modes = {
        path.name: stat.S_IMODE(path.stat().st_mode) for path in [data, *data.glob("db.sqlite3*")]
    }
    assert "db.sqlite3" in modes
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes

    # An installation whose database was left open (before this rule) is closed at start.
    (data / "db.sqlite3").chmod(0o644)
    subprocess.run([python, "manage.py", "check"], cwd=ROOT, env=env, check=True, timeout=300)
    assert stat.S_IMODE((data / "db.sqlite3").stat().st_mode) == 0o600


def test_the_check_refuses_a_database_others_can_read(settings, tmp_path: Path) -> None:
    from yomitoru.checks import check_private_data

    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    settings.DATA_DIR = tmp_path
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database}}
    tmp_path.chmod(0o700)
    assert [error.id for error in check_private_data(None)] == ["yomitoru.E004"]
