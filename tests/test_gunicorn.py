"""The production web server (gunicorn) serves the app and its static files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read().decode("utf-8", "replace")


def test_gunicorn_serves_the_japanese_login_page(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "instance"), "DEBUG": "0"}
    subprocess.run(
        [sys.executable, "-m", "yomitoru.keys", env["DATA_DIR"]], env=env, check=True, cwd=ROOT
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "yomitoru.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/admin/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.5)
        assert status == 200
        assert "ログイン" in body
        css_status, _ = fetch(f"http://127.0.0.1:{port}/static/admin/css/base.css")
        assert css_status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
