"""`make run`'s supervisor: the development web server and one worker, stopped together.

``python -m yomitoru.run --host H --port P`` starts ``manage.py qcluster`` and
``manage.py runserver H:P --noreload`` and stops both on Ctrl-C (SIGINT), SIGTERM or SIGHUP.

Each child runs in a session (and process group) of its own, so the terminal's Ctrl-C reaches
only this process: django-q2's handler re-enters ``Cluster.stop()`` on every further signal (a
shell trap that signals its own group loops until it crashes), and its sentinel and worker
processes die at once on a group-wide SIGTERM instead of finishing their shutdown. Here each
child's main process gets exactly one SIGTERM; whatever is left of its process group after
``--grace`` seconds is killed. A second Ctrl-C kills at once. If either child ends on its own,
the other is stopped and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_SECONDS = 0.1
PR_SET_PDEATHSIG = 1


def say(message: str) -> None:
    print(f"yomitoru: {message}", flush=True)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    @property
    def pgid(self) -> int:
        # start_new_session makes the child the leader of a group numbered by its pid.
        return self.process.pid

    def group_alive(self) -> bool:
        """Whether any process of the child's group remains (reaping the child itself)."""
        self.process.poll()
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            # Linux keeps a live group's id from being reused, so the group is still ours.
            return True
        return True

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signum)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the supervisor itself is killed (SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        # Not Linux, or no prctl: the child then outlives a killed supervisor, as it would
        # under a plain shell.
        return


def start(name: str, *args: str) -> Child:
    supervisor = os.getpid()

    def before_exec() -> None:
        _die_with_parent()
        if os.getppid() != supervisor:
            # The supervisor died between fork and prctl: nobody would stop this child.
            os._exit(1)

    process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        start_new_session=True,
        # preexec_fn is unsafe only with threads, and the supervisor runs none.
        preexec_fn=before_exec,
    )
    return Child(name, process)


@dataclass
class Supervisor:
    children: list[Child]
    grace: float
    signals: list[int] = field(default_factory=list)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only recorded here; the loops below act on it, so nothing re-enters a handler.
        self.signals.append(signum)

    def wait_for_trouble(self) -> Child | None:
        """Block until a stop signal (None) or the first child that ended on its own."""
        while not self.signals:
            for child in self.children:
                if child.process.poll() is not None:
                    return child
            time.sleep(POLL_SECONDS)
        return None

    def stop_all(self) -> None:
        """One SIGTERM to each child; SIGKILL to what remains after grace or a second signal."""
        pending = [child for child in self.children if child.group_alive()]
        for child in pending:
            # Only the child's main process: it shuts its own helpers down in order. Popen
            # skips a child it has already reaped, so no recycled pid is ever signalled.
            child.process.send_signal(signal.SIGTERM)
        interrupts = len(self.signals)
        deadline = time.monotonic() + self.grace
        while pending:
            for child in list(pending):
                if not child.group_alive():
                    pending.remove(child)
                    say(f"{child.name} stopped")
            if not pending:
                break
            hurried = len(self.signals) > interrupts
            if hurried or time.monotonic() >= deadline:
                for child in pending:
                    child.signal_group(signal.SIGKILL)
                why = "second stop signal" if hurried else f"not stopped after {self.grace:g} s"
                for child in pending:
                    self._wait_gone(child, 5)
                    say(f"{child.name} killed ({why})")
                return
            time.sleep(POLL_SECONDS)

    @staticmethod
    def _wait_gone(child: Child, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while child.group_alive() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)

    def run(self) -> int:
        ended = self.wait_for_trouble()
        if ended is None:
            say("stopping the web server and the worker")
            self.stop_all()
            return 0
        say(f"{ended.name} ended on its own (exit status {ended.process.returncode}); stopping")
        # Its own leftovers (a worker's sentinel, say) go too.
        self.children.remove(ended)
        if ended.group_alive():
            ended.signal_group(signal.SIGKILL)
            self._wait_gone(ended, 5)
        self.stop_all()
        code = ended.process.returncode
        return code if code > 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m yomitoru.run", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--grace",
        type=float,
        default=10.0,
        help="seconds each child has to stop after SIGTERM before it is killed",
    )
    options = parser.parse_args(argv)
    host = f"[{options.host}]" if ":" in options.host else options.host
    supervisor = Supervisor([], options.grace)
    # Signals that arrive while the children start are recorded and honoured right after.
    for signum in STOP_SIGNALS:
        signal.signal(signum, supervisor.on_signal)
    supervisor.children = [
        start("worker", "qcluster"),
        start("web server", "runserver", f"{host}:{options.port}", "--noreload"),
    ]
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
