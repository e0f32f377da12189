"""Crash injection for tests: stop a payday at a named point.

Pass `crash=callable(point)` to `run_payday`, or set
TIPBOT_PAYDAY_CRASH="point[=raise|exit|kill|pause]" for a whole process (`tipbot
payday` in a subprocess). Points are the stage names (`snapshotted`, `funded`,
`round 1`, ..., `planned`, `settled`, `split`, `paid_out`, `done`), hit right after the
stage commits, the same names with ":before-commit", hit inside the stage's
transaction just before it commits, and whatever a processor names with
`run.crash_point`. `pause` prints "PAUSED point" on stderr and waits to be killed.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

CrashHook = Callable[[str], None]
CRASH_ENV = "TIPBOT_PAYDAY_CRASH"


class PaydayCrash(Exception):
    """Raised by the crash-injection hook (tests only)."""


def crash_hook_from_env() -> CrashHook | None:
    """TIPBOT_PAYDAY_CRASH="point[=action]": raise (default), exit, kill (SIGKILL) or pause."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return None
    point, _, action = spec.partition("=")
    action = action or "raise"

    def hook(reached: str) -> None:
        if reached != point:
            return
        if action == "exit":
            os._exit(70)
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action == "pause":  # a test kills us from outside while we wait here
            print(f"PAUSED {reached}", flush=True, file=sys.stderr)
            while True:
                time.sleep(60)
        raise PaydayCrash(reached)

    return hook
