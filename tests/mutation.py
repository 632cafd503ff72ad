"""Mutation testing of the core modules with mutmut 3: `make mutate` (all) or `make mutate MODULES="outbox pulls"`.

Each module is mutated on its own, against only its own fast tests (mutmut then runs, for each
mutant, just those of them that call the mutated function), in a scratch copy of the work tree
under `.mutate/<module>/`, so the work tree is never touched and mutmut's per-module cache makes
a rerun test only the functions that changed. Prints one line per module: mutants, killed,
survived, no test, timeouts, and the score (killed or timed out, over all mutants); the survivors
of each module are listed in `.mutate/<module>/survivors.txt` (`mutmut show NAME` in that folder
shows one). docs/developers.md records the latest scores and why each survivor is left.
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SCRATCH = REPOSITORY / ".mutate"
# The project's packages first, as pytest's `pythonpath` has them: run as a script, this folder
# comes first, and its `forecasting` (a folder of tests, no package) would hide the project's
# wherever the virtual environment finds the project through an import hook (an editable
# install of today's setuptools), not through a path.
sys.path.insert(0, str(REPOSITORY))

from conftest import drop_postgres_pool  # noqa: E402

@dataclass(frozen=True)
class Module:
    """Files to mutate and the fast tests that judge them.

    `pytest_arguments`: more pytest arguments (a `-k` that leaves out tests too slow to rerun for
    every mutant, or that could kill nothing). `not_core`: functions of those files left
    unmutated (`name` or `Class.method`), with the reason in docs/developers.md: they word
    messages or read for display, and are judged elsewhere.
    """

    files: list[str]
    tests: list[str]
    pytest_arguments: list[str] = field(default_factory=list)
    not_core: list[str] = field(default_factory=list)


#: Keep the tests fast: every mutant reruns those of them that reach the mutated function.
MODULES: dict[str, Module] = {
    "findings": Module(
        ["forecasting/detectors/findings.py"],
        ["tests/forecasting/detectors/test_false_discovery.py", "tests/forecasting/detectors/test_detectors.py"],
    ),
    "detectors": Module(
        ["forecasting/detectors/surge.py", "forecasting/detectors/predictive.py", "forecasting/detectors/counts.py"],
        ["tests/forecasting/detectors/test_detectors.py", "tests/forecasting/detectors/test_false_discovery.py",
         "tests/forecasting/detectors/test_counts.py"],
    ),
    "alerts": Module(["forecasting/alerts.py"], ["tests/forecasting/test_alerts.py"]),
    "models": Module(
        ["forecasting/backtest.py", "forecasting/scores.py", "forecasting/models/counts.py",
         "forecasting/models/reference.py"],
        ["tests/forecasting/test_backtest.py", "tests/forecasting/models/test_reference.py"],
        # The shipped-sample comparison fits every model on hundreds of series: minutes per mutant;
        # the default model's backtest spends its 4 s in the ensemble, which is not mutated here.
        ["-k", "not shipped_sample and not the_default_model"],
    ),
    "store_writers": Module(
        ["forecasting/store/events.py"],
        ["tests/forecasting/store/test_event_writer.py", "tests/forecasting/store/test_event_staging.py"],
        # The writer's own tests, whole, on both databases: which way each frame went in, the bulk
        # load's index, the counts, the sample's replacement and SQLite's staged merge. They kill
        # every mutant the ingest step's tests (tests/jobs/test_ingest.py: reading, validating and
        # placing each file around the same writer, several times slower) killed besides, so those
        # no longer judge it; `make test` still runs them.
        [],
        not_core=["EventWriter.save_aggregates", "holds_synthetic_sample", "load_events", "monthly_counts", "count_events", "data_cutoff",
                  "event_span", "data_start", "_data_edge", "stored_countries", "source_counts", "ingest_log",
                  "_filtered", "_typed_columns", "holds_no_data"],
    ),
    "outbox": Module(
        ["forecasting/store/outbox.py"],
        ["tests/forecasting/store/test_outbox.py"],
        # SQLite runs the same statements; PostgreSQL only where two senders contend for row locks.
        ["-k", "sqlite or two_senders"],
        not_core=["list_messages", "message_content"],
    ),
    "pulls": Module(
        ["forecasting/store/pulls.py"],
        ["tests/forecasting/store/test_pulls.py"],
        # The checkpoint's statements are the same on both backends: SQLite judges them.
        ["-k", "sqlite"],
        not_core=["_in_progress_message", "_lease_lost_message"],
    ),
}

#: mutmut exit-code statuses counted as killed.
KILLED = ("killed", "timeout")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help=f"some of: {', '.join(MODULES)} (default: all, one after the other)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    arguments = parser.parse_args(argv)
    names = arguments.modules or list(MODULES)
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}: choose among {', '.join(MODULES)}")
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        print(f"mutmut is not installed in {mutmut.parent}: run `make mutate` (it installs the mutate extra)",
              file=sys.stderr)
        return 2
    rows = []
    for name in names:
        rows.append(_mutate(name, mutmut, arguments.max_children))
    print(f"\n{'module':<14} {'mutants':>7} {'killed':>6} {'survived':>8} {'no test':>7} {'score':>6} {'minutes':>7}")
    for row in rows:
        print(f"{row['module']:<14} {row['total']:>7} {row['killed']:>6} {row['survived']:>8} {row['no tests']:>7}"
              f" {row['score']:>6.1%} {row['minutes']:>7.1f}")
    return 0


def _mutate(name: str, mutmut: Path, max_children: int) -> dict:
    module = MODULES[name]
    files, tests = module.files, module.tests
    folder = SCRATCH / name
    _mirror(folder)
    _configure(folder / "pyproject.toml", files, tests, module.pytest_arguments)
    for path in files:
        _leave_unmutated(folder / path, module.not_core)
    # The PostgreSQL tests of each mutant take a database of this pool (tests/conftest.py) instead
    # of creating, migrating and dropping one per mutant.
    pool = f"cw_mutate_{os.getpid()}_{name}"
    environment = {**os.environ, "CI": os.environ.get("CI", "true"), "CONFLICTWATCH_TEST_POSTGRES_POOL": pool}
    judges = _fingerprint(module)  # before the run: tests edited while it runs count as new next time
    began = time.monotonic()
    print(f"== {name}: mutating {', '.join(files)} against {', '.join(tests)}", flush=True)
    try:
        _judge(name, mutmut, folder, environment, max_children, judges)
    finally:
        drop_postgres_pool(pool)
    statuses = _statuses(mutmut, folder, environment)
    survivors = sorted(mutant for mutant, status in statuses.items() if status not in KILLED)
    (folder / "survivors.txt").write_text(
        "".join(f"{mutant}: {statuses[mutant]}\n" for mutant in survivors), encoding="utf-8"
    )
    counts = {status: sum(1 for value in statuses.values() if value == status) for status in set(statuses.values())}
    total = len(statuses)
    killed = sum(counts.get(status, 0) for status in KILLED)
    row = {
        "module": name, "total": total, "killed": killed, "survived": counts.get("survived", 0),
        "no tests": counts.get("no tests", 0), "score": killed / total if total else 0.0,
        "minutes": (time.monotonic() - began) / 60, "other": {k: v for k, v in counts.items() if k not in (*KILLED, "survived", "no tests")},
    }
    (folder / "score.json").write_text(json.dumps(row, indent=2), encoding="utf-8")
    return row


def _judge(name: str, mutmut: Path, folder: Path, environment: dict[str, str], max_children: int, judges: str) -> None:
    """Run mutmut on the module's mutants that have no verdict yet (all of them the first time)."""
    _run(name, mutmut, folder, environment, max_children, [])
    # mutmut keeps a mutant's verdict until its function changes: when the module's tests have
    # changed since the last complete run, its survivors are named again so that new tests get
    # their chance.
    stamp = folder / "tests.sha256"
    if stamp.exists() and stamp.read_text(encoding="utf-8") != judges:
        survivors = sorted(mutant for mutant, status in _statuses(mutmut, folder, environment).items()
                           if status not in KILLED)
        for start in range(0, len(survivors), 200):
            _run(name, mutmut, folder, environment, max_children, survivors[start : start + 200])
    stamp.write_text(judges, encoding="utf-8")


def _run(name: str, mutmut: Path, folder: Path, environment: dict[str, str], max_children: int, mutants: list[str]) -> None:
    run = subprocess.run([str(mutmut), "run", "--max-children", str(max_children), *mutants], cwd=folder,
                         env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        raise SystemExit(f"mutmut failed on {name} (exit {run.returncode}):\n{run.stderr[-3000:]}")


def _fingerprint(module: Module) -> str:
    """What judges a module's mutants: its tests' text, the shared fixtures and the pytest arguments."""
    digest = hashlib.sha256(json.dumps([module.tests, module.pytest_arguments]).encode())
    for path in [*module.tests, "tests/conftest.py"]:
        digest.update((REPOSITORY / path).read_bytes())
    return digest.hexdigest()


def _statuses(mutmut: Path, folder: Path, environment: dict[str, str]) -> dict[str, str]:
    """Every mutant of the module and its verdict (killed, survived, no tests, timeout, ...)."""
    listed = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=folder, env=environment,
                            capture_output=True, text=True, check=True).stdout
    return dict(line.strip().rsplit(": ", 1) for line in listed.splitlines() if ": " in line)


#: What the scratch folder holds besides the copy of the work tree: mutmut's cache and the results.
_SCRATCH_OWN = ("mutants/", "survivors.txt", "score.json", "tests.sha256")


def _mirror(folder: Path) -> None:
    """Copy the work tree's files (tracked, and new ones git does not ignore) into `folder`,
    keeping mutmut's own `mutants/` and leaving unchanged files untouched."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPOSITORY,
                            capture_output=True, check=True).stdout.decode().split("\0")
    wanted = {path for path in listed if path and (REPOSITORY / path).is_file()}
    folder.mkdir(parents=True, exist_ok=True)
    for path in wanted:
        source, target = REPOSITORY / path, folder / path
        if not target.exists() or not filecmp.cmp(source, target, shallow=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for target in folder.rglob("*"):
        relative = target.relative_to(folder).as_posix()
        if target.is_file() and relative not in wanted and not relative.startswith(_SCRATCH_OWN):
            target.unlink()


def _leave_unmutated(path: Path, functions: list[str]) -> None:
    """Mark these functions (`name` or `Class.method`) of the scratch copy `path` with mutmut's
    `# pragma: no mutate block`, on the line that ends each one's signature."""
    if not functions:
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    wanted = set(functions)
    found = set()
    tree = ast.parse("".join(lines))
    scopes = [(None, tree)] + [(node.name, node) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for owner, scope in scopes:
        for child in scope.body:
            name = f"{owner}.{getattr(child, 'name', '')}" if owner else getattr(child, "name", "")
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) or name not in wanted:
                continue
            found.add(name)
            # The body's first statement starts on the line after the signature's colon.
            end = child.body[0].lineno - 2
            while not lines[end].split("#")[0].rstrip().endswith(":"):
                end -= 1
            lines[end] = lines[end].rstrip("\n") + "  # pragma: no mutate block\n"
    missing = wanted - found
    if missing:
        raise SystemExit(f"tests/mutation.py: {path.name} has no function {', '.join(sorted(missing))}: update not_core")
    path.write_text("".join(lines), encoding="utf-8")


def _configure(pyproject: Path, files: list[str], tests: list[str], pytest_arguments: list[str]) -> None:
    text = pyproject.read_text(encoding="utf-8")
    text += (
        "\n[tool.mutmut]\n"
        'source_paths = ["forecasting", "jobs", "reports"]\n'
        f"only_mutate = {json.dumps(files)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        f"pytest_add_cli_args = {json.dumps(['-p', 'no:cacheprovider', '-q', '-x', *pytest_arguments])}\n"
        # Log statements are what the operator reads, not behaviour: their wording is not mutated.
        'do_not_mutate_patterns = ["^\\\\s*log\\\\.(debug|info|warning|error|exception)\\\\("]\n'
    )
    pyproject.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
