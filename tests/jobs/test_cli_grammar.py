"""The command line follows one grammar (docs/cli.md): this walks every command's --help and checks
it against that page and against the grammar's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
#: Options whose values are a fixed set: --help must show the choices (the parser checks them).
FIXED_VALUES = {"--level": "area|country|admin1|admin2|tier|actor", "--measure": "fatalities|events|demonstrations",
                "--status": "new|ongoing|resolved", "--job": "run|pull|report|refit"}


def help_text(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "220", "NO_COLOR": "1"})
    assert result.exit_code == 0, (command, result.output)
    return result.output


def panel_rows(text: str, panel: str) -> list[str]:
    """The rows of one rich help panel ('Options', 'Commands', 'Arguments'), without the frame."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.startswith("╭─ "):
            inside = line.startswith(f"╭─ {panel} ")
        elif line.startswith("╰"):
            inside = False
        elif inside:
            rows.append(line.strip("│ ").rstrip("│").rstrip())
    return rows


def declared_options(text: str) -> dict[str, str]:
    """Each declared option (its names joined with '/', as docs/cli.md writes them) -> its row."""
    options = {}
    for row in panel_rows(text, "Options"):
        match = re.match(r"(?:\*\s+)?(--[a-z][a-z-]*(?:,--[a-z][a-z-]*)*)", row)  # * marks a required one
        if match and match[1] != "--help":
            options[match[1].replace(",", "/")] = row
    return options


def command_paths() -> list[tuple[str, ...]]:
    """Every command, as --help lists them, groups' subcommands included."""
    paths = []

    def walk(prefix: tuple[str, ...]) -> None:
        for row in panel_rows(help_text(*prefix), "Commands"):
            match = re.match(r"([a-z][a-z-]*)\s{2,}", row)
            if match:
                paths.append((*prefix, match[1]))
                walk((*prefix, match[1]))

    walk(())
    return paths


def documented_commands() -> dict[tuple[str, ...], set[str]]:
    """docs/cli.md's Commands table: command -> its options, as written there."""
    table = DOCS.read_text(encoding="utf-8").split("## Commands", 1)[1].strip().split("\n\n", 1)[0]
    documented = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        command = tuple(cells[0].strip("`").split())
        documented[command] = set(re.findall(r"`(--[a-z/-]+)`", cells[2].replace("`/`", "/"))) if len(cells) > 2 else set()
    return documented


@pytest.fixture(scope="module")
def every_help() -> dict[tuple[str, ...], str]:
    return {path: help_text(*path) for path in command_paths()}


def test_every_command_is_documented_with_exactly_its_options(every_help):
    documented = documented_commands()
    groups = {path[:-1] for path in every_help if len(path) > 1}
    # A group whose bare name does something (alerts, outbox list) has options; gazetteer has none.
    commands = {path for path in every_help if path not in groups or declared_options(every_help[path])}
    assert set(documented) == commands
    for path in commands:
        assert set(declared_options(every_help[path])) == documented[path], path


def test_one_name_for_one_idea(every_help):
    for path, text in every_help.items():
        options = declared_options(text)
        names = {name for declared in options for name in declared.split("/")}
        # --by and --until are only ever aliases of --level and --as-of.
        for alias, canonical in (("--by", "--level"), ("--until", "--as-of")):
            if alias in names:
                assert f"{canonical}/{alias}" in options, path
        for declared, row in options.items():
            first = declared.split("/")[0]
            if first in FIXED_VALUES:
                assert f"<{FIXED_VALUES[first]}>" in row, (path, row)
            if first == "--country":
                assert "any case" in row, path
            if first == "--as-of":
                assert "YYYY-MM" in row, path


def test_fixed_value_options_of_the_run_log_and_outbox_show_their_choices(every_help):
    from forecasting.store import runs as run_log

    runs = declared_options(every_help[("runs",)])
    assert f"<{'|'.join(run_log.STATES)}>" in runs["--state"]
    assert "<held|pending|sent|failed>" in declared_options(every_help[("outbox",)])["--state"]
    assert "<acled|ucdp>" in every_help[("pull",)]
