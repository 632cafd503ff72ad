"""The one wording layer: how every number, place and period reads to a person."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from forecasting import wording


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (7, "7"), (4.26, "4.3"), (0.042, "0.042"), (12.4, "12"), (850, "850"), (1187, "1,187"), (12400, "12,400")],
)
def test_counts_are_exact_with_thousands_separators_and_expectations_rounded(value, text):
    assert wording.count(value) == text


@pytest.mark.parametrize(
    ("p", "text"), [(0.0004, "p < 0.001"), (1e-12, "p < 0.001"), (0.001, "p = 0.001"), (0.0312, "p = 0.031"), (0.03, "p = 0.03")]
)
def test_p_values_read_once_one_way(p, text):
    assert wording.p_value(p) == text


def test_ratios_come_from_the_numbers_as_printed():
    # 27 against 0.042: a multiple of almost nothing says nothing.
    assert wording.times(27, 0.042) == "" and wording.above_expected(27, 0.042) == ""
    # 312 against 121.4 prints as 312 against 121, and the multiple is theirs.
    assert wording.times(312, 121.4) == "2.6 times"
    assert wording.above_expected(120, 10.4) == ", 12 times the expected level"


def test_a_level_held_states_its_range_when_the_months_differ_a_lot():
    assert wording.level_held([9, 72, 15]) == "32 a month (from 9 to 72)"
    assert wording.level_held([30, 32, 34]) == "32 a month"
    assert wording.rate(0.04) == "almost none a month"


def test_places_tiers_and_periods():
    assert wording.place({"country": "Mali", "admin1": "Kayes"}, "X") == "Kayes (Mali)"
    assert wording.place({"country": "Burkina Faso", "admin1": "Est", "admin2": "Gourma"}, "X") == "Gourma (Est, Burkina Faso)"
    # A district named as its region: never "Kayes, Kayes".
    assert wording.place({"country": "Mali", "admin1": "Kayes", "admin2": "Kayes"}, "X") == "Kayes district (Kayes, Mali)"
    assert wording.place({"country": "Burkina Faso", "tier": "admin2_capital"}, "X") == "provincial capitals of Burkina Faso"
    assert wording.place({"country": None}, "the Central Sahel") == "the Central Sahel"
    assert wording.place_name({"country": "Mali", "tier": "admin2_capital", "actor": "JNIM"}, "X") == (
        "Mali - Provincial (admin2) capitals - JNIM"
    )
    assert wording.place_name({"country": "Burkina Faso", "admin1": "Est", "admin2": "Gourma"}, "X") == "Gourma (Est, Burkina Faso)"
    assert wording.places(["Kayes", "Nioro", "Diema"]) == "Kayes, Nioro and Diema"
    assert wording.places([f"P{i}" for i in range(8)], limit=3) == "P0, P1, P2 and 5 more"
    assert wording.tier_label("admin3_seat") == "Commune (admin3) seats"
    assert wording.period_label("2024-08") == "August 2024"
    assert wording.period_label("2025-07-01") == "1 July 2025"
    assert wording.month_name(pd.Timestamp("2025-05-01")) == wording.month_name(dt.date(2025, 5, 3)) == "May 2025"
    assert wording.value_range(58, 215.2) == "58\u2013215" and wording.value_range(3, 3) == "3"
    assert wording.number(1234.4) == "1,234" and wording.number(None) == "-"


def test_a_list_of_places_reads_each_name_once_with_the_units_that_hold_it():
    kayes = [{"country": "Mali", "admin1": "Kayes", "admin2": name} for name in ("Bafoulabe", "Diema", "Kayes")]
    scopes = [*kayes, {"country": "Mali", "admin1": "Segou", "admin2": "Niono"}, {"country": "Mali", "admin1": "Kayes"},
              {"country": "Mali", "admin1": "Segou"}, {"country": "Mali", "tier": "admin2_capital"}, {"country": "Mali"},
              {"country": None}]
    assert wording.place_list(scopes, "the Central Sahel") == (
        "Bafoulabe, Diema and Kayes district (Kayes, Mali); Niono (Segou, Mali); Kayes and Segou (Mali); "
        "provincial capitals of Mali; Mali and 1 more place"
    )
    assert wording.place_list(scopes[:2], "X") == "Bafoulabe and Diema (Kayes, Mali)"
    assert wording.place_list([{"country": "Mali"}, {"country": None}], "the Central Sahel") == "Mali; the Central Sahel"
    assert wording.units_by_region([*kayes, {"country": "Mali", "admin1": "Segou", "admin2": "Niono"}]) == (
        "Bafoulabe, Diema and Kayes district in Kayes; Niono in Segou"
    )
    assert wording.units_by_region(kayes, limit=2) == "Bafoulabe and Diema in Kayes and 1 more"


def test_an_event_place_says_a_name_repeated_by_the_unit_above_it_once():
    # ACLED names the town of Kayes, its district and its region alike.
    assert wording.event_place("Diboli", "Kayes", "Kayes", "Mali") == "Diboli, Kayes, Mali"
    assert wording.event_place("Kayes", "Kayes", "Kayes", "Mali") == "Kayes, Mali"
    assert wording.event_place("Nioro", None, "Kayes", "Mali") == "Nioro, Kayes, Mali"
    # Only a name right after the same one goes: a town named like the country stays.
    assert wording.event_place("Niger", "Tillaberi", "Niger") == "Niger, Tillaberi, Niger"


def test_evidence_reaches_a_person_labelled_and_without_missing_values():
    facts = wording.evidence_facts(
        {"highest_since": None, "months_without_higher": 14, "series_id": "fatalities|country|Mali",
         "earlier_years": {"2023": 153.0, "2024": 1490.0}, "share": 0.294, "same_or_more_last_seen": "2024-03-02"}
    )
    assert facts == [
        ("Months without a higher one", "14"),
        ("As many places last hit", "2 March 2024"),
        ("Share", "29%"),
        ("Earlier years", "2023: 153, 2024: 1,490"),
    ]
    assert all("None" not in text and "_" not in label for label, text in facts)


@pytest.mark.parametrize(
    ("expected", "lower", "upper", "text"),
    [(1.4, 0, 4, "1.4 (0\u20134)"), (0.033, 0, 2.3, "almost none (0\u20132.3)"), (0.8, 0, 3, "fewer than one (0\u20133)"),
     (158.4, 125, 221, "158 (125\u2013221)"), (None, None, None, "-"), (2.0, None, None, "2")],
)
def test_a_table_cell_words_the_expected_count_as_the_sentence_does(expected, lower, upper, text):
    assert wording.expected_cell(expected, lower, upper) == text


def test_a_table_cell_prints_a_count_as_the_sentence_does():
    # 8.7 a month in the sentence is 8.7 in the table, not 9.
    assert [wording.count_cell(value) for value in (8.7, 1087, None)] == ["8.7", "1,087", "-"]
