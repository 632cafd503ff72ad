"""Stopping a command cleanly on SIGTERM or SIGINT (Ctrl-C).

The CLI installs `stop_on_signals` before any command runs. A signal then raises `Interrupted`
in the main thread, wherever it is, so every `with` block and `finally` unwinds as for an error:
a load rolls back its one transaction (nothing of it is stored), a pull keeps the pages it
committed and releases its claim on the source, and `run_pipeline` closes its run as
interrupted. A rerun can start at once instead of waiting for `schedule.run_timeout_minutes`.
The CLI then prints one line and exits with 128 + the signal's number (130 for SIGINT, 143 for
SIGTERM), as shells do.

`schedule` installs handlers of its own (jobs.service): it lets the running step finish first.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

_shielded = False


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, like KeyboardInterrupt: the `except Exception`
    that records a failed step must not take it for an error and carry on with the next step."""

    def __init__(self, signal_number: int):
        self.signal_number = signal_number
        self.signal_name = signal.Signals(signal_number).name
        super().__init__(f"interrupted by {self.signal_name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signal_number


def stop_on_signals() -> None:
    """Raise `Interrupted` in the main thread on SIGTERM and SIGINT (see the module docstring)."""
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGINT, _raise_interrupted)


@contextmanager
def shielded() -> Iterator[None]:
    """Closing the books after an interruption (a few short writes) is not interrupted again by a
    second signal: systemd and impatient users send more than one."""
    global _shielded
    before, _shielded = _shielded, True
    try:
        yield
    finally:
        _shielded = before


def _raise_interrupted(number: int, _frame) -> None:
    if _shielded:
        return
    raise Interrupted(number)
