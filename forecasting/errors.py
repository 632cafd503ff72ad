"""Errors a user can cause and fix: bad files, bad configuration, unreachable sources."""


class ConflictwatchError(Exception):
    """An error the user can fix; the CLI prints its message and exits non-zero."""
