"""Progress on stderr: a bar redrawn in place on a terminal, one plain line a step elsewhere."""

from __future__ import annotations

import io

from jobs.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_with_a_newline():
    stream = _Terminal()
    progress = Progress("detect", stream, width=10)
    progress.step(1, 4, "2025-01: 13 alerts")
    progress.step(4, 4, "2025-04: 0 alerts")
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    first, last = text.strip("\n").split("\r")[1:]
    assert first.startswith("detect [##--------] 1/4 2025-01: 13 alerts")
    assert last.startswith("detect [##########] 4/4 2025-04: 0 alerts")
    assert len(last) >= len(first)  # the shorter line is padded over the longer one


def test_off_a_terminal_each_step_is_one_plain_line():
    stream = io.StringIO()
    progress = Progress("report", stream)
    progress.step(1, 2, "2024-12: 9 pages")
    progress.step(2, 2, "2025-01-21: 11 pages")
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == ["report 1/2: 2024-12: 9 pages", "report 2/2: 2025-01-21: 11 pages"]
    assert "\r" not in stream.getvalue()
