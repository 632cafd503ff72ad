"""Bottom-up reconciliation: levels add up exactly, and only where the series really do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import QUANTILE_COLUMNS, coherent_model, forecast
from forecasting.models.base import QUANTILES, Panel, forecast_frame
from forecasting.models.ensemble import Ensemble
from forecasting.models.hierarchy import parent_series, reconcile
from forecasting.models.rolling import rolling_origin_forecasts
from forecasting.scores import score
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


class HalvesDistricts:
    """A deliberately mis-scaled hierarchy: each series' empirical quantiles of its last 24
    months, right for a region, but every district's forecast (mean and quantiles) halved, so a
    region's bottom-up sum is half what it should be."""

    name = "halves_districts"
    min_months = 12

    def fit(self, panel: Panel):
        self.panel = panel
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        recent = self.panel.values[:, -24:]
        factor = np.where(np.asarray(self.panel.levels) == "admin2", 0.5, 1.0)[:, None]
        mean = np.nanmean(recent, axis=1, keepdims=True) * factor
        quantiles = np.nanquantile(recent, QUANTILES, axis=1).T * factor
        return forecast_frame(self.panel, self.name, np.repeat(mean, horizon, axis=1),
                              np.repeat(quantiles[:, None, :], horizon, axis=1))


def test_the_ensemble_calibrates_the_reconciled_parents_it_shows():
    # Eight regions of six districts each, 96 months; the last 8 months are scored one month ahead.
    rng = np.random.default_rng(11)
    periods = pd.date_range("2017-01-01", periods=96, freq="MS")
    rows = [pd.DataFrame({"country": "Mali", "admin1": f"R{region}", "admin2": f"R{region}-{district}",
                          "year": periods.year, "month": periods.month, "events": 1,
                          "fatalities": rng.negative_binomial(2.0, 2.0 / (2.0 + rng.uniform(3, 12)), size=96)})
            for region in range(8) for district in range(6)]
    counts = pd.concat(rows, ignore_index=True)
    series = pd.concat([series_from_counts(counts, level) for level in ("admin1", "admin2")], ignore_index=True)
    parents = parent_series(series)

    def shown(reconciled_calibration: bool) -> pd.DataFrame:
        def build():
            model = coherent_model(Ensemble({"halves": HalvesDistricts}, origins=18, horizons=1), parents)
            if not reconciled_calibration:
                model.model.parents = pd.Series(dtype=object)  # calibrate each level's own forecast
            return model
        cells = rolling_origin_forecasts(Panel.from_series(series), {"e": build}, origins=8, horizons=1)
        return cells[cells["level"] == "admin1"]

    def coverage(cells):
        scored = score(cells.assign(scale=1.0))
        return scored["in_50"].mean(), scored["in_90"].mean()

    calibrated, before = shown(True), shown(False)
    # The regions' means are their districts' sums either way (half what they should be)...
    for cells in (calibrated, before):
        assert (cells["mean"] < 0.7 * cells["observed"].mean()).mean() > 0.5
    # ... but only the intervals calibrated as shown hold their share of the outcomes.
    inner, outer = coverage(calibrated)
    assert 0.3 <= inner <= 0.75 and 0.8 <= outer <= 0.98, (inner, outer)
    inner_before, outer_before = coverage(before)
    assert outer_before < 0.6 and inner_before < 0.3, (inner_before, outer_before, inner, outer)


def test_reconcile_keys_rows_by_origin_and_leaves_a_parent_alone_where_a_child_has_no_row():
    frame = pd.DataFrame({
        "series_id": ["p", "p", "a", "a", "b"],
        "origin": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2 + ["2024-01-01"]),
        "period": pd.to_datetime(["2024-02-01", "2024-03-01"] * 2 + ["2024-02-01"]),
        "mean": [10.0, 10.0, 3.0, 4.0, 2.0],
        **{name: [float(index + 1)] * 5 for index, name in enumerate(QUANTILE_COLUMNS)},
    })
    result = reconcile(frame, [("p", ["a", "b"])], keys=("origin", "period"))
    assert result["mean"].tolist() == [5.0, 10.0, 3.0, 4.0, 2.0]
    # The first parent row is scaled by 5 / 10; the second (b has no row there) is left alone.
    assert result.loc[0, list(QUANTILE_COLUMNS)].tolist() == [0.5 * value for value in range(1, 8)]
    assert result.loc[1, list(QUANTILE_COLUMNS)].tolist() == [float(value) for value in range(1, 8)]
