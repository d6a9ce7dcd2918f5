"""The worker really processes queued tasks through the configured broker.

Runs the same steps as `make run` in a fresh data folder, in subprocesses: keys, migrate,
seed_demo (which queues the demo batch), then one real `qcluster` until the documents are read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def instance_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh instance on the database server of this test run (SQLite or PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env["DATA_DIR"] = str(tmp_path / "instance")
    # A queue of its own, so a shared Redis holds nothing from other runs for this worker.
    env["TASK_QUEUE_NAME"] = f"yomitoru-test-{uuid.uuid4().hex[:8]}"
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        yield env
        return
    import psycopg

    name = f"yomitoru_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = database_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield env
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


STATUS_SCRIPT = """
import json
from django_q.models import Success, Failure, OrmQ
from ocr.models import Document
print(json.dumps({
    "documents": sorted(Document.objects.values_list("status", flat=True)),
    "success": [(s.func, list(s.args or ())) for s in Success.objects.all()],
    "failures": Failure.objects.count(),
}))
"""


def test_qcluster_reads_the_queued_demo_batch(instance_env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "yomitoru.keys", instance_env["DATA_DIR"]],
        env=instance_env,
        check=True,
        capture_output=True,
    )
    _run(instance_env, "migrate", "--noinput")
    _run(instance_env, "seed_demo", "--samples", "2")
    before = json.loads(_run(instance_env, "shell", "--no-imports", "-c", STATUS_SCRIPT))
    assert before["documents"] == ["queued", "queued"]

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=instance_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        state = before
        while time.monotonic() < deadline:
            state = json.loads(_run(instance_env, "shell", "--no-imports", "-c", STATUS_SCRIPT))
            if len(state["success"]) + state["failures"] >= 2:
                break
            time.sleep(2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)

    assert state["failures"] == 0
    assert len(state["success"]) == 2
    for func, args in state["success"]:
        # Task payloads are IDs only: one integer, nothing else.
        assert func == "ocr.tasks.process_document"
        assert len(args) == 1 and isinstance(args[0], int)
    assert all(status in {"needs_review", "auto_accepted"} for status in state["documents"])
