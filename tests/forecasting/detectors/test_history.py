"""Enough history: which places' rows a detector may judge against their past."""

from __future__ import annotations

import pandas as pd

from forecasting.detectors.history import AREA, with_enough_history


def test_rows_are_kept_where_their_country_or_for_the_area_the_whole_area_has_enough_months():
    rows = pd.DataFrame({
        "country": pd.array(["Mali", "Niger", None, "Burkina Faso", "Mali", None], dtype="str"),
        "value": range(6),
    })
    months = {"Mali": 30, "Niger": 23, AREA: 30}
    # Niger has a month too few; Burkina Faso no data at all; area rows go by the whole area.
    assert with_enough_history(rows, months, 24)["value"].tolist() == [0, 2, 4, 5]
    assert with_enough_history(rows, {**months, AREA: 12}, 24)["value"].tolist() == [0, 4]
    assert with_enough_history(rows, months, 23)["value"].tolist() == [0, 1, 2, 4, 5]
    # No minimum: every row, those of places without data too.
    assert with_enough_history(rows, months, 0)["value"].tolist() == list(range(6))
    assert with_enough_history(rows.iloc[:0], months, 24).empty
