"""`python -m jobs` is the `conflictwatch` command."""

from jobs.cli import main

main()
