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


def test_rare_months_add_to_the_means_at_every_level_and_to_the_quantiles_of_countries_only(levels):
    from forecasting.models import make_model
    from forecasting.models.base import Panel
    from forecasting.models.hierarchy import RareEvents, coherent_parents, reconcile

    panel = Panel.from_series(levels)
    order = coherent_parents(panel, parent_series(levels))
    raw = make_model("negbin", seed=2).fit(panel).predict(3)
    plain = reconcile(raw, order).set_index(["series_id", "period"])
    rare = RareEvents({"fatalities": 0.05}, {"fatalities": np.array([150.0, 250.0])},
                      frozenset({"fatalities|country|Mali", "fatalities|area"}))
    moved = reconcile(raw, order, rare).set_index(["series_id", "period"])
    districts = moved.index.get_level_values(0).str.contains("admin2")
    # A district's mean takes its expected rare toll (0.05 x 200 deaths a month); its quantiles do not move.
    assert moved.loc[districts, "mean"].to_numpy() == pytest.approx(plain.loc[districts, "mean"].to_numpy() + 10.0)
    assert moved.loc[districts, list(QUANTILE_COLUMNS)].equals(plain.loc[districts, list(QUANTILE_COLUMNS)])
    # The means still add up exactly: Mali's six districts, 60 deaths a month more.
    parents = parent_series(levels)
    frame = moved.reset_index()
    summed = frame.assign(parent=frame["series_id"].map(parents)).dropna(subset=["parent"]).groupby(["parent", "period"])["mean"].sum()
    for (parent, period), total in summed.items():
        assert moved.loc[(parent, period), "mean"] == pytest.approx(total, rel=1e-9), parent
    mali = "fatalities|country|Mali"
    assert (moved.loc[mali, "mean"] - plain.loc[mali, "mean"]).to_numpy() == pytest.approx(60.0)
    # An admin1 keeps its reconciled quantiles; a country in `rare.parents` has a chance of
    # 1 - exp(-0.3) = 26% of one or more rare months, so its upper quantiles rise by about a massacre.
    kayes = "fatalities|admin1|Mali|Kayes"
    assert moved.loc[kayes, list(QUANTILE_COLUMNS)].equals(plain.loc[kayes, list(QUANTILE_COLUMNS)])
    assert (moved.loc[mali, "q95"] - plain.loc[mali, "q95"] > 100).all()
    assert (moved.loc[mali, "q05"] - plain.loc[mali, "q05"]).abs().max() < 0.2 * plain.loc[mali, "q05"].max() + 1
    niger = "fatalities|country|Niger"
    assert moved.loc[niger, list(QUANTILE_COLUMNS)].equals(plain.loc[niger, list(QUANTILE_COLUMNS)])


def test_a_parents_rare_months_are_a_compound_poisson_sum():
    from forecasting.models.hierarchy import with_rare_months

    # An ordinary part of 100 deaths for sure, rare months of 200 each.
    ordinary = np.full((2, len(QUANTILE_COLUMNS)), 100.0)
    result = with_rare_months(ordinary, np.array([0.1, 0.02]), np.array([200.0, 200.0]))
    # At 0.1 a month: no rare month in 90.5% of months, so q90 is 100 and q95 300.
    assert result[0].tolist() == [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 300.0]
    # At 0.02 (an admin1's five districts) the rare months lie beyond q95.
    assert result[1].tolist() == [100.0] * 7


def test_rare_months_are_the_spikes_beyond_the_robust_bound(levels):
    from forecasting.models.base import Panel
    from forecasting.models.hierarchy import coherent_parents, rare_events

    # A massacre of 300 in one district in June 2023, counted at every level above it too.
    spiked = levels.copy()
    units = ("fatalities|admin2|Mali|Kayes|Kayes-0", "fatalities|admin1|Mali|Kayes", "fatalities|country|Mali", "fatalities|area")
    massacre = (spiked["period"] == pd.Timestamp("2023-06-01")) & spiked["series_id"].isin(units)
    assert massacre.sum() == 4
    spiked.loc[massacre, "value"] += 300
    panel = Panel.from_series(spiked)
    order = coherent_parents(panel, parent_series(spiked))
    assert len(order) == 6
    rare = rare_events(panel, order)
    # One rare month of the 9 districts x 35 months (the last month's month after is unknown),
    # most of its 300 deaths beyond the bound; only the countries and the area take them into
    # their quantiles.
    assert rare.rates == pytest.approx({"fatalities": 1 / (9 * 35)})
    assert len(rare.sizes["fatalities"]) == 1 and (rare.sizes["fatalities"] > 200).all()
    assert rare.parents == {"fatalities|country|Mali", "fatalities|country|Niger", "fatalities|area"}
    # Fatalities and events are pooled apart: the events' series, without the massacre, have none.
    events = levels.assign(series_id=levels["series_id"].str.replace("fatalities|", "events|", regex=False), measure="events")
    both = pd.concat([spiked, events], ignore_index=True)
    panel = Panel.from_series(both)
    rare = rare_events(panel, coherent_parents(panel, parent_series(both)))
    assert rare.rates == pytest.approx({"fatalities": 1 / (9 * 35), "events": 0.0})


def test_the_onset_of_a_war_is_not_a_rare_month(levels):
    """A district that jumps from a few deaths a month to 80 and stays there (a war breaking out)
    is far beyond its robust bound for months while the robust level catches up, but the months
    after stay high: not a massacre, so not a rare month (in country-wide wars every district's
    onset was counted as one, and the countries' forecasts ran high: docs/forecasting.md)."""
    from forecasting.models.base import Panel
    from forecasting.models.hierarchy import coherent_parents, rare_events

    war = levels.copy()
    units = ("fatalities|admin2|Niger|Tillaberi|Tillaberi-0", "fatalities|admin1|Niger|Tillaberi", "fatalities|country|Niger", "fatalities|area")
    onset = (war["period"] >= pd.Timestamp("2023-03-01")) & war["series_id"].isin(units)
    war.loc[onset, "value"] += 80
    panel = Panel.from_series(war)
    order = coherent_parents(panel, parent_series(war))
    assert len(order) == 6
    rare = rare_events(panel, order)
    assert rare.rates == pytest.approx({"fatalities": 0.0})
    # The same district with one month of 300 deaths and back: one rare month.
    spike = (war["period"] == pd.Timestamp("2022-06-01")) & war["series_id"].isin(units)
    war.loc[spike, "value"] += 300
    panel = Panel.from_series(war)
    rare = rare_events(panel, coherent_parents(panel, parent_series(war)))
    assert rare.rates == pytest.approx({"fatalities": 1 / (9 * 35)})


def test_the_parents_that_take_rare_months_are_told_their_ordinary_outcomes(levels):
    from forecasting.models import make_model
    from forecasting.models.base import Panel
    from forecasting.models.hierarchy import BottomUp

    class Recording:
        """negbin, saying its district means leave rare months out, and keeping what it was given."""

        name, min_months, leaves_out_rare_events, rare_excess = "recording", 6, True, None

        def fit(self, panel):
            self.panel = panel
            self.model = make_model("negbin", seed=2).fit(panel)
            return self

        def predict(self, horizon):
            return self.model.predict(horizon)

    spiked = levels.copy()
    units = ("fatalities|admin2|Mali|Kayes|Kayes-0", "fatalities|admin1|Mali|Kayes", "fatalities|country|Mali", "fatalities|area")
    massacre = spiked["period"] == pd.Timestamp("2023-06-01")
    spiked.loc[massacre & spiked["series_id"].isin(units), "value"] += 300
    panel = Panel.from_series(spiked)
    model = Recording()
    reconciled = BottomUp(model, parent_series(spiked)).fit(panel)
    # The model is fitted on the panel as it is; Mali and the area (whose quantiles take rare
    # months at the reconciliation) are told the massacre's deaths beyond the district's robust
    # bound, so their 50% width can be fitted without them; Kayes (an admin1), Niger and the
    # districts are not, and these districts have no other month beyond the bound.
    assert model.panel is panel
    excess = model.rare_excess
    assert sorted(excess.index.get_level_values("series_id")) == ["fatalities|area", "fatalities|country|Mali"]
    assert (excess.index.get_level_values("period") == pd.Timestamp("2023-06-01")).all()
    assert ((excess > 200) & (excess <= 300)).all()
    assert excess.iloc[0] == excess.iloc[1]
    assert len(reconciled.order) == 6


def test_the_ensemble_takes_a_parents_rare_excess_off_the_outcome_of_that_month_only():
    from forecasting.models.ensemble import Ensemble

    ensemble = Ensemble({})
    months = pd.to_datetime(["2023-05-01", "2023-06-01", "2023-06-01", "2023-06-01"])
    cells = pd.DataFrame({"series_id": ["fatalities|country|Mali"] * 3 + ["fatalities|country|Niger"],
                          "origin": pd.to_datetime(["2023-04-01", "2023-05-01", "2023-04-01", "2023-05-01"]),
                          "period": months, "horizon": [1, 1, 2, 1], "observed": [40.0, 350.0, 350.0, 20.0]})
    assert ensemble._ordinary_outcomes(cells) is None
    ensemble.rare_excess = pd.Series([280.0], index=pd.MultiIndex.from_arrays(
        [["fatalities|country|Mali"], pd.to_datetime(["2023-06-01"])], names=["series_id", "period"]))
    # June 2023 of Mali, forecast one and two months ahead, loses the massacre's excess; May
    # and Niger's June do not.
    np.testing.assert_array_equal(ensemble._ordinary_outcomes(cells), [40.0, 70.0, 70.0, 20.0])


def test_the_ensembles_50_percent_width_is_fitted_on_the_outcomes_it_is_told():
    from forecasting.models.calibration import fit_calibration

    # 200 forecasts of one level, 50% interval [81, 121] around 100; ordinary outcomes a quarter
    # at 70, half at 100, a quarter at 130, so that interval holds half of them. Thirty of the
    # 100s are rare months of 400: counted whole, the interval holds only 35% and is widened to
    # take in the 130s; told the ordinary outcomes, it is left as it is.
    ordinary_outcomes = np.r_[np.full(50, 70.0), np.full(100, 100.0), np.full(50, 130.0)]
    whole_outcomes = ordinary_outcomes.copy()
    whole_outcomes[50:80] = 400.0
    cells = pd.DataFrame({"level": "country", "horizon": 1, "observed": whole_outcomes})
    cells[list(QUANTILE_COLUMNS)] = [64.0, 72.0, 81.0, 100.0, 121.0, 132.0, 144.0]
    whole = fit_calibration(cells, adjusted=())
    ordinary = fit_calibration(cells, adjusted=(), inner_observed=ordinary_outcomes)
    assert ordinary.scale_for("country") == 1.0
    assert 1.3 < whole.scale_for("country") < 1.6
    # The 90% interval's shifts come from the whole outcomes either way.
    assert all(np.array_equal(whole.shifts[key], ordinary.shifts[key]) for key in whole.shifts)


def _one_month(rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """A forecast frame of one month: series_id -> (mean, 95th percentile), the lower
    quantiles 0 (a quiet series' interval)."""
    frame = pd.DataFrame({"series_id": list(rows), "period": pd.Timestamp("2025-12-01")})
    frame["mean"] = [mean for mean, _ in rows.values()]
    for column in QUANTILE_COLUMNS:
        frame[column] = 0.0
    frame["q90"] = frame["q95"] = [top for _, top in rows.values()]
    return frame


@pytest.mark.parametrize(
    ("parent_mean", "child_mean", "expected_top"),
    [
        # Two years of quiet: the ratio of the means is noise, the parent's interval stands (it
        # was scaled 5e8-fold, to a 95th percentile of 1e8).
        (1e-12, 1e-4, 0.2),
        # Below one a month on one side only: scaled as if that mean were one.
        (0.3, 0.6, 0.2 * 3.0),
        (2.0, 0.1, 0.2 * 1.0 / 2.0),
        # Above it, the parent's shape scaled to its children's sum, as before.
        (4.0, 1.6, 0.2 * 8.0 / 4.0),
    ],
)
def test_a_parents_interval_is_scaled_by_its_childrens_sum_means_below_one_counting_as_one(parent_mean, child_mean, expected_top):
    from forecasting.models.hierarchy import reconcile

    parent = "fatalities|admin1|Burkina Faso|Bur-R1"
    children = [f"fatalities|admin2|Burkina Faso|Bur-R1|Bur-R1-P{district}" for district in range(5)]
    frame = _one_month({parent: (parent_mean, 0.2), **{child: (child_mean, 0.3) for child in children}})
    reconciled = reconcile(frame, [(parent, children)]).set_index("series_id")
    assert reconciled.loc[parent, "mean"] == pytest.approx(5 * child_mean)
    assert reconciled.loc[parent, "q95"] == pytest.approx(expected_top)
    assert reconciled.loc[parent, "q05"] == 0.0
    # The children are left as they were.
    assert reconciled.loc[children, "q95"].tolist() == [0.3] * 5
