"""Safe file names for report pages."""

from __future__ import annotations

import pytest

from reports.filenames import safe_filename, unique_filename


@pytest.mark.parametrize(
    ("text", "stem"),
    [
        ("Fada N'gourma", "fada-n-gourma"),
        ("Ségou", "segou"),
        ("Tillabéri / Ouallam", "tillaberi-ouallam"),
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\Windows\\system32", "windows-system32"),
        ("<script>alert('x')</script>", "script-alert-x-script"),
        ("..", "unnamed"),
        ("", "unnamed"),
        (".hidden", "hidden"),
        ("a" * 100, "a" * 60),
    ],
)
def test_safe_filename_keeps_only_letters_digits_and_dashes(text, stem):
    assert safe_filename(text) == stem


def test_unique_filename_numbers_places_that_reduce_to_the_same_stem():
    taken: set[str] = set()
    assert [unique_filename(safe_filename(name), taken) for name in ("Ségou", "Segou", "SEGOU")] == ["segou", "segou-2", "segou-3"]
