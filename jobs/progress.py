"""Progress of a long command on stderr: a bar on a terminal, one plain line per step elsewhere
(a log file or a CI job would otherwise fill with carriage returns). stdout stays for results."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`step(done, total, label)` after each unit of work; `close()` at the end."""

    def __init__(self, what: str, stream: TextIO | None = None, *, width: int = 30):
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.on_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.began = time.perf_counter()
        self._drawn = 0  # length of the line on screen, so a shorter one overwrites all of it

    def step(self, done: int, total: int, label: str) -> None:
        elapsed = time.perf_counter() - self.began
        if not self.on_terminal:
            self.stream.write(f"{self.what} {done}/{total}: {label} ({elapsed:.1f} s)\n")
            self.stream.flush()
            return
        filled = round(self.width * done / total) if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{self.what} [{bar}] {done}/{total} {label} ({elapsed:.0f} s)"
        self.stream.write("\r" + line.ljust(self._drawn))
        self._drawn = len(line)
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
