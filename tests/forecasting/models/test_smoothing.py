"""The count members' smoothing and seasons: the loops of negbin and robust_level score their
months a block at a time after carrying the level forward (how the months are cut into blocks
must change no digit), read the chosen weights' path from every weight's where it fits (the same
digits as smoothing the chosen weights again), and negbin_local does not read years of growth as
a season."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import base, negbin, robust
from forecasting.models.base import Panel, sequential_sum


def test_sequential_sum_adds_in_order_as_a_loop_does():
    rng = np.random.default_rng(3)
    # Terms of very different sizes, where adding in pairs (np.sum) gives other last digits.
    terms = rng.standard_normal((500, 4, 3)) * 10.0 ** rng.integers(-8, 12, (500, 4, 3))
    running = rng.standard_normal((4, 3))
    looped = running.copy()
    for term in terms:
        looped = looped + term
    assert np.array_equal(sequential_sum(running, terms), looped)
    assert not np.array_equal(running + terms.sum(axis=0), looped)  # the order matters here


def _panel() -> Panel:
    """Twelve series over 150 months, starting at different months, with massacres and quiet years."""
    rng = np.random.default_rng(11)
    periods = pd.date_range("2010-01-01", periods=150, freq="MS")
    rows = []
    for number in range(12):
        begins = int(rng.integers(0, 100))
        values = rng.negative_binomial(1, 0.1, 150 - begins) * (rng.random(150 - begins) < 0.6)
        values[rng.integers(0, len(values))] += 150
        rows.append(pd.DataFrame({"series_id": f"fatalities|admin1|Mali|R{number}", "level": "admin1",
                                  "period": periods[begins:], "value": values}))
    return Panel.from_series(pd.concat(rows, ignore_index=True))


@pytest.mark.parametrize("module, model", [(negbin, negbin.NegativeBinomialTrend), (robust, robust.RobustLevel)])
def test_blocks_of_one_month_and_of_every_month_fit_the_same_numbers(monkeypatch, module, model):
    panel = _panel()
    fitted = {}
    for elements in (1, 1 << 30):
        monkeypatch.setattr(module, "month_blocks", lambda shape, width, elements=elements: max(1, min(width, elements)))
        found = model().fit(panel)
        fitted[elements] = {name: value for name, value in vars(found).items() if isinstance(value, np.ndarray)}
    assert fitted[1].keys() == fitted[1 << 30].keys() and len(fitted[1]) >= 3
    for name, value in fitted[1].items():
        assert np.array_equal(value, fitted[1 << 30][name], equal_nan=True), name


@pytest.mark.parametrize("model", [negbin.NegativeBinomialTrend, negbin.LocalSeasonNegativeBinomial, robust.RobustLevel])
def test_the_chosen_path_read_from_every_weights_path_is_the_one_smoothed_again(monkeypatch, model):
    """Every weight's path kept (the default where it fits in `PATH_BYTES`) and the chosen weights
    smoothed again (a panel too large to keep them) fit the same numbers, forecasts included."""
    panel = _panel()
    assert base.path_fits((len(negbin.NegativeBinomialTrend.LEVEL_WEIGHTS) * 2, len(panel)), panel.values.shape[1])
    fitted = {}
    for budget in (base.PATH_BYTES, 0):
        monkeypatch.setattr(base, "PATH_BYTES", budget)
        found = model().fit(panel)
        fitted[budget] = ({name: value for name, value in vars(found).items() if isinstance(value, np.ndarray)},
                          found.predict(6))
    (kept, kept_forecast), (again, again_forecast) = fitted.values()
    assert kept.keys() == again.keys() and len(kept) >= 3
    for name, value in kept.items():
        assert value.shape == again[name].shape and np.array_equal(value, again[name], equal_nan=True), name
    pd.testing.assert_frame_equal(kept_forecast, again_forecast, check_exact=True)


def test_chosen_path_takes_each_series_own_grid_point_in_month_order():
    paths = np.arange(4 * 3 * 2, dtype=float).reshape(4, 3, 2)  # months x grid points x series
    chosen = base.chosen_path(paths, np.array([2, 0]))
    assert np.array_equal(chosen, [[4, 10, 16, 22], [1, 7, 13, 19]]) and chosen.flags.c_contiguous


def test_a_years_long_escalation_is_not_read_as_a_season_by_the_local_season():
    """Deaths growing 3.5% a month since 2012, with no season, to June 2020 (the real exports'
    shape, issue 16): against the whole history's mean (negbin) the months of the last, partial
    year read as a season, January-June above 1 and July below; against the level around each
    month (negbin_local) the factors stay near 1, and a real season on top of the growth is found.
    negbin_local's July follows the growth where negbin's falls below June."""
    months = pd.date_range("2012-01-01", "2020-06-01", freq="MS")
    growth = 40 * np.exp(0.035 * np.arange(len(months)))
    calendar = (months.month.to_numpy() - 1)[None, :].repeat(3, axis=0)
    prior = negbin.NegativeBinomialTrend.SEASONAL_PRIOR
    biased = negbin.seasonal_factors(np.vstack([growth] * 3), calendar, prior)
    assert biased[0, 5] > 1.1 and biased[0, 6] < 0.9, biased.round(3)
    flat = negbin.local_seasonal_factors(np.vstack([growth] * 3), calendar, prior)
    assert np.abs(flat - 1).max() < 0.02, flat.round(3)
    rainy = np.where(np.isin(months.month, [7, 8, 9]), 0.6, 1.15)
    found = negbin.local_seasonal_factors(np.vstack([growth * rainy] * 3), calendar, prior)
    assert np.allclose(found, rainy[:12] / rainy[:12].mean(), atol=0.03), found.round(3)

    panel = Panel.from_series(pd.DataFrame({"series_id": "fatalities|country|Niger", "level": "country",
                                            "period": months, "value": np.round(growth)}))
    july = {model.name: model.fit(panel).predict(1)["mean"].iloc[0]
            for model in (negbin.NegativeBinomialTrend(), negbin.LocalSeasonNegativeBinomial())}
    assert july["negbin_local"] >= growth[-1] > july["negbin"], july
