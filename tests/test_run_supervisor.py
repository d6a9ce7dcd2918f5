"""`make run`'s supervisor (yomitoru.run): Ctrl-C stops the web server and the worker, cleanly.

Real processes in a fresh data folder: the supervisor is started in a process group of its own,
like a shell's foreground job, and gets SIGINT on that whole group, as Ctrl-C in a terminal
would send it. Nothing of its process tree may remain afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
STOP_LIMIT = 20  # seconds; the supervisor's grace is 10 s, a clean stop takes a few

Members = set[tuple[int, str]]
Supervise = tuple[Callable[[int], "subprocess.Popen[bytes]"], Path, Members]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except OSError:
        return False


def processes() -> dict[int, tuple[int, str]]:
    """Every live process: pid -> (parent pid, start time), read from /proc."""
    table: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # The command name (field 2) may hold spaces and parentheses: split after its last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue  # a zombie holds nothing but its table entry
        table[int(entry.name)] = (int(fields[1]), fields[19])
    return table


def tree(root: int) -> Members:
    """The live descendants of root (not root itself), as (pid, start time)."""
    table = processes()
    found: Members = set()
    parents = {root}
    while parents:
        children = {pid for pid, (ppid, _) in table.items() if ppid in parents}
        found |= {(pid, table[pid][1]) for pid in children}
        parents = children
    return found


def still_alive(members: Members) -> Members:
    # Pid and start time together: a recycled pid is not a survivor.
    table = processes()
    return {(pid, start) for pid, start in members if table.get(pid, (0, ""))[1] == start}


def kill_leftovers(members: Members) -> None:
    for pid, _ in still_alive(members):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def instance_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated SQLite instance with the database broker, whatever this test run uses."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}
    }
    env["DATA_DIR"] = str(tmp_path_factory.mktemp("supervised") / "instance")
    env["TASK_WORKERS"] = "1"
    subprocess.run(
        [sys.executable, "-m", "yomitoru.keys", env["DATA_DIR"]],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


@pytest.fixture
def supervise(instance_env: dict[str, str], tmp_path: Path) -> Iterator[Supervise]:
    """Starts a supervisor on a free port; yields it, its output file and a set the test fills
    with the pids of its tree (cleaned up afterwards whatever happened)."""
    log = tmp_path / "run.log"
    members: Members = set()
    started: list[subprocess.Popen[bytes]] = []

    def start(port: int) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "yomitoru.run", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=instance_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own process group, like a terminal's foreground job.
                start_new_session=True,
            )
        started.append(process)
        return process

    yield start, log, members
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    kill_leftovers(members)


def test_ctrl_c_stops_the_web_server_and_the_worker(supervise: Supervise) -> None:
    start, log, members = supervise
    port = free_port()
    supervisor = start(port)
    deadline = time.monotonic() + 120
    while not answers(f"http://127.0.0.1:{port}/admin/login/"):
        assert supervisor.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, "the web server did not answer"
        time.sleep(0.5)
    # The worker spawns its sentinel, pusher, monitor and worker processes after the web
    # server may already answer: wait until the tree has stopped growing.
    members |= tree(supervisor.pid)
    settled = time.monotonic()
    while time.monotonic() - settled < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
        current = tree(supervisor.pid)
        if current - members:
            members |= current
            settled = time.monotonic()
    # Supervisor, qcluster (+ sentinel, pusher, monitor, one worker), runserver.
    assert len(members) >= 6, members

    signalled = time.monotonic()
    os.killpg(supervisor.pid, signal.SIGINT)
    try:
        code = supervisor.wait(timeout=STOP_LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_LIMIT} s after SIGINT:\n{log.read_text()}")
    took = time.monotonic() - signalled

    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "yomitoru: worker stopped" in output
    assert "yomitoru: web server stopped" in output
    assert "killed" not in output
    assert "Traceback" not in output
    assert took < STOP_LIMIT
    # Zombies are skipped; give init a moment to reap orphans it inherited.
    time.sleep(0.5)
    assert still_alive(members) == set(), output


def test_a_child_that_dies_stops_the_other(supervise: Supervise) -> None:
    start, log, members = supervise
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        # The web server cannot bind: it exits at once, so the worker must be stopped too.
        supervisor = start(taken.getsockname()[1])
        deadline = time.monotonic() + 120
        while supervisor.poll() is None:
            assert time.monotonic() < deadline, f"outlived its web server:\n{log.read_text()}"
            members |= tree(supervisor.pid)
            time.sleep(0.1)
    output = log.read_text(errors="replace")
    assert supervisor.returncode != 0, output
    assert "yomitoru: web server ended on its own" in output
    assert "yomitoru: worker stopped" in output
    assert "Traceback" not in output
    time.sleep(0.5)
    assert still_alive(members) == set(), output
