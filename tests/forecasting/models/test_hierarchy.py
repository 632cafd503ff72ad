"""Bottom-up reconciliation: levels add up exactly, and only where the series really do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import QUANTILE_COLUMNS, forecast
from forecasting.models.hierarchy import parent_series
from forecasting.series import series_from_counts


def district_counts(seed: int = 3, months: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2021-01-01", periods=months, freq="MS")
    rows = []
    for country, regions in (("Mali", ("Kayes", "Mopti")), ("Niger", ("Tillaberi",))):
        for admin1 in regions:
            for district in range(3):
                deaths = rng.negative_binomial(1.5, 1.5 / (1.5 + 4.0 * (district + 1)), size=months)
                rows.append(pd.DataFrame({"country": country, "admin1": admin1, "admin2": f"{admin1}-{district}",
                                          "year": periods.year, "month": periods.month,
                                          "events": 1, "fatalities": deaths}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def levels() -> pd.DataFrame:
    counts = district_counts()
    return pd.concat([series_from_counts(counts, level) for level in ("area", "country", "admin1", "admin2")],
                     ignore_index=True)


def test_parents_link_each_unit_to_the_next_coarser_level(levels):
    parents = parent_series(levels)
    assert parents["fatalities|admin2|Mali|Kayes|Kayes-0"] == "fatalities|admin1|Mali|Kayes"
    assert parents["fatalities|admin1|Mali|Kayes"] == "fatalities|country|Mali"
    assert parents["fatalities|country|Niger"] == "fatalities|area"
    assert len(parents) == 9 + 3 + 2
    # A bare frame (no scope columns) has no hierarchy.
    assert parent_series(levels[["series_id", "period", "value"]]).empty


@pytest.mark.parametrize("model", ["default", "negbin", "trailing_mean"])
def test_every_level_sums_to_the_one_above_it(levels, model):
    frame = forecast(levels, model, horizon=3, seed=2)
    means = frame.set_index(["series_id", "period"])["mean"]
    parents = parent_series(levels)
    children = frame.assign(parent=frame["series_id"].map(parents)).dropna(subset=["parent"])
    summed = children.groupby(["parent", "period"])["mean"].sum()
    for (parent, period), total in summed.items():
        assert means[(parent, period)] == pytest.approx(total, rel=1e-9, abs=1e-9), parent
    # Quantiles of a parent stay in order around its new mean, and the frame keeps its contract.
    quantiles = frame[list(QUANTILE_COLUMNS)].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all() and (quantiles >= 0).all()


def test_a_parent_whose_children_do_not_add_up_is_left_alone(levels):
    # Drop one Kayes district: Kayes' remaining districts no longer sum to it.
    cut = levels[levels["series_id"] != "fatalities|admin2|Mali|Kayes|Kayes-2"]
    together = forecast(cut, "negbin", horizon=2, seed=2).set_index(["series_id", "period"])["mean"]
    alone = forecast(cut[cut["level"] == "admin1"], "negbin", horizon=2, seed=2).set_index(["series_id", "period"])["mean"]
    districts = together[together.index.get_level_values(0).str.startswith("fatalities|admin2|Mali|Kayes")].groupby(level=1).sum()
    kayes = together.xs("fatalities|admin1|Mali|Kayes", level=0)
    assert not np.allclose(kayes.to_numpy(), districts.to_numpy())
    # Mopti still adds up, so it is reconciled; Mali, whose Kayes does, too.
    mopti = together[together.index.get_level_values(0).str.startswith("fatalities|admin2|Mali|Mopti")].groupby(level=1).sum()
    assert together.xs("fatalities|admin1|Mali|Mopti", level=0).to_numpy() == pytest.approx(mopti.to_numpy())
    assert alone.index.get_level_values(0).nunique() == 3
