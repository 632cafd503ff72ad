"""Safe file names and the names the report gives places, periods and numbers."""

from __future__ import annotations

import pytest

from reports.wording import number, period_label, place_name, safe_filename, unique_filename


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


def test_place_period_and_number_wording():
    assert place_name({"country": "Burkina Faso", "admin1": "Est", "admin2": "Gourma"}, "Central Sahel") == "Gourma, Est, Burkina Faso"
    assert place_name({"country": None}, "Central Sahel") == "Central Sahel"
    assert place_name({"country": "Mali", "tier": "admin2_capital"}, "X") == "Mali - Provincial (admin2) capitals"
    assert period_label("2024-08") == "August 2024"
    assert period_label("2025-07-01") == "1 July 2025"
    assert number(1234.4) == "1,234" and number(None) == "-"
