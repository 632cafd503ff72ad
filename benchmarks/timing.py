"""Measuring against a reference in the same run, so a figure means the same on any machine.

A wall-clock time on a shared machine says as much about the neighbours as about the code, so
every benchmark times its subject and a reference that does the same kind of work without
conflictwatch (process start-up, `sqlite3 .import`, `psql \\copy`), alternating them, several
times, and reports the ratio of the medians with the spread of each and the load average.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass


def load_average() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg()) + f" ({os.cpu_count()} cores)"


@dataclass(frozen=True)
class Timings:
    """Wall and CPU seconds of repeated runs of one thing."""

    walls: list[float]
    cpus: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    def spread(self) -> str:
        return f"median {self.median:.2f} s (min {min(self.walls):.2f}, max {max(self.walls):.2f}; CPU median {statistics.median(self.cpus):.2f} s)"


def run_command(command: list[str], **options) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of one run of `command`; raises if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **options)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def alternate(subject: Callable[[], tuple[float, float]], reference: Callable[[], tuple[float, float]],
              repeat: int) -> tuple[Timings, Timings]:
    """Run reference and subject in turn `repeat` times (so both see the same neighbours)."""
    subject_runs, reference_runs = [], []
    for _ in range(repeat):
        reference_runs.append(reference())
        subject_runs.append(subject())
    return (Timings([w for w, _ in subject_runs], [c for _, c in subject_runs]),
            Timings([w for w, _ in reference_runs], [c for _, c in reference_runs]))


def ratio_line(what: str, subject: Timings, reference_name: str, reference: Timings, target: float | None = None) -> str:
    """One line: the ratio of the medians (and the target), both spreads and the load average."""
    ratio = subject.median / reference.median
    verdict = "" if target is None else f" (target <= {target:g}x: {'met' if ratio <= target else 'not met'})"
    return (f"{what}: {ratio:.1f}x {reference_name}{verdict}; {what} {subject.spread()}; "
            f"{reference_name} {reference.spread()}; {load_average()}")
