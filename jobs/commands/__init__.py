"""Command modules: each builds its own Typer app (`app`), and `jobs.cli` adds them by name.

`jobs.cli` imports every module here at start-up, so a module must not import anything slow
(pandas, statsmodels, prophet, matplotlib, sqlalchemy) at its top level: a test checks. What the
commands share: `jobs.session` (configuration, secrets, store), `options` (the options every
command spells the same way, docs/cli.md) and `output` (tables, CSV, JSON on stdout).
"""
