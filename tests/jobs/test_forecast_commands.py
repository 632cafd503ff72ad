"""`conflictwatch forecast` and `conflictwatch backtest` as users run them: a real process on a
real SQLite store loaded from an ACLED-format export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factories import acled_row, conflictwatch

PLACES = [
    ("Burkina Faso", "Est", "Gourma", 9.0),
    ("Burkina Faso", "Sahel", "Soum", 14.0),
    ("Mali", "Mopti", "Bandiagara", 6.0),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A folder with a store of 48 months (2021-01 .. 2024-12) of events in three admin1 areas,
    and the monthly fatalities that went in."""
    from factories import ACLED_HEADER

    folder = tmp_path_factory.mktemp("forecast_cli")
    rng = np.random.default_rng(3)
    rows, truth = [], []
    for country, admin1, admin2, level in PLACES:
        for month in pd.date_range("2021-01-01", "2024-12-01", freq="MS"):
            events = 1 + rng.poisson(2)
            deaths = rng.negative_binomial(2, 2 / (2 + level), size=events)
            truth.append((admin1, month, int(deaths.sum())))
            for index, dead in enumerate(deaths):
                day = f"{month:%Y-%m}-{1 + index * 3:02d}"
                rows.append(
                    acled_row(f"{admin1[:3].upper()}{month:%Y%m}{index}", day, country=country, admin1=admin1,
                              admin2=admin2, location=admin2, fatalities=str(dead))
                )
    export = folder / "export.csv"
    export.write_text(ACLED_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    loaded = conflictwatch("ingest", str(export), cwd=folder)
    assert loaded.returncode == 0, loaded.stderr
    return folder, pd.DataFrame(truth, columns=["admin1", "period", "fatalities"])


def test_forecast_json_gives_each_series_the_months_after_as_of(workspace):
    folder, _ = workspace
    result = conflictwatch("forecast", "--by", "admin1", "--horizon", "3", "--as-of", "2024-06", "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    frame = pd.DataFrame(rows)
    assert sorted(frame["series_id"].unique()) == [
        "fatalities|admin1|Burkina Faso|Est", "fatalities|admin1|Burkina Faso|Sahel", "fatalities|admin1|Mali|Mopti",
    ]
    assert sorted(frame["period"].unique()) == ["2024-07", "2024-08", "2024-09"]
    assert (frame["model"] == "ensemble").all()
    assert (frame[["mean", "q05", "q50", "q95"]] >= 0).all().all()
    assert (frame["q05"] <= frame["q50"]).all() and (frame["q50"] <= frame["q95"]).all()
    assert not frame["synthetic"].any()


def test_forecast_csv_for_one_scope_with_the_trailing_mean(workspace):
    folder, truth = workspace
    result = conflictwatch(
        "forecast", "--by", "admin1", "--scope", "sahel", "--model", "trailing_mean", "--as-of", "2024-12",
        "--horizon", "2", "--csv", cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame["series_id"].unique().tolist() == ["fatalities|admin1|Burkina Faso|Sahel"]
    expected = truth[(truth["admin1"] == "Sahel") & (truth["period"] >= "2024-01-01")]["fatalities"].mean()
    assert frame["mean"].tolist() == pytest.approx([round(expected, 3)] * 2, abs=1e-3)
    assert frame["period"].tolist() == ["2025-01", "2025-02"]


def test_forecast_plot_writes_a_png_of_the_report_size_with_a_limit_that_says_how_to_see_the_rest(workspace):
    from PIL import Image

    from reports.style import PNG_SIZE

    folder, _ = workspace
    target = folder / "forecast.png"
    result = conflictwatch(
        "forecast", "--by", "admin1", "--horizon", "4", "--plot", str(target), "--plot-most", "2", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    assert "fatalities|admin1|Mali|Mopti" in result.stdout  # the table still has every series
    assert "the plot shows the 2 most active of 3 series" in result.stderr
    assert "--scope NAME" in result.stderr
    with Image.open(target) as image:
        assert image.format == "PNG"
        assert image.size == PNG_SIZE
        grey = np.asarray(image.convert("L"))
    # Not blank: a white page with a fair amount of ink (lines, bands, text) on it.
    assert grey.max() == 255
    assert 0.01 < (grey < 200).mean() < 0.5
    assert len(np.unique(grey)) > 20


@pytest.fixture(scope="module")
def negbin_run(workspace):
    """The workspace's admin1 series forecast in-process by negbin (which pools series, so the
    fit is checked where the series behind it matter) from December 2024."""
    from forecasting.store import open_store
    from jobs.config import load_config
    from jobs.forecast import run_forecast

    folder, _ = workspace
    store = open_store(f"sqlite:///{folder / 'conflictwatch.db'}")
    try:
        yield run_forecast(store, load_config(None), level="admin1", model="negbin", horizon=3, as_of="2024-12")
    finally:
        store.engine.dispose()


def test_the_plotted_fit_is_the_one_month_ahead_backtest_of_the_plotted_series(workspace, negbin_run):
    from forecasting.backtest import backtest_forecasts
    from forecasting.models import forecast
    from jobs.forecast import one_month_ahead_fit, plotted_series

    _, truth = workspace
    run = negbin_run
    # The busiest two in 2024 are drawn, busiest first.
    totals = truth[truth["period"] >= "2024-01-01"].groupby("admin1")["fatalities"].sum().sort_values(ascending=False)
    chosen = plotted_series(run, 2)
    country_of = {admin1: country for country, admin1, _, _ in PLACES}
    assert chosen == [f"fatalities|admin1|{country_of[name]}|{name}" for name in totals.index[:2]]

    fit = one_month_ahead_fit(run, chosen)
    months = pd.date_range("2024-01-01", "2024-12-01", freq="MS")
    for series_id in chosen:
        assert fit.loc[fit["series_id"] == series_id, "period"].tolist() == list(months)
    cells = backtest_forecasts(run.series[run.series["series_id"].isin(chosen)], ["negbin"], origins=12, horizons=1, seed=run.seed)
    assert (cells["horizon"] == 1).all()
    expected = cells.set_index(["series_id", "period"])["mean"].sort_index()
    assert fit.set_index(["series_id", "period"])["mean"].sort_index().to_numpy() == pytest.approx(expected.to_numpy())

    # No look-ahead: July 2024's fit is what the model forecasts from the months to June alone.
    to_june = run.series[run.series["series_id"].isin(chosen) & (run.series["period"] <= "2024-06-01")]
    july = forecast(to_june, "negbin", 1, seed=run.seed).set_index("series_id")["mean"]
    fitted_july = fit[fit["period"] == "2024-07-01"].set_index("series_id")["mean"]
    assert fitted_july.sort_index().to_numpy() == pytest.approx(july.sort_index().to_numpy())
    assert (fit["mean"] > 0).all() and (fit["q05"] <= fit["mean"]).all() and (fit["mean"] <= fit["q95"]).all()


def test_the_plot_title_carries_the_synthetic_label_only_for_the_sample(negbin_run):
    import dataclasses

    from jobs.forecast import SYNTHETIC_LABEL, plot_title

    real = plot_title(negbin_run)
    assert real == "Monthly fatalities: observed to December 2024, forecast by negbin"
    assert plot_title(dataclasses.replace(negbin_run, synthetic=True)) == f"{real} \u2014 {SYNTHETIC_LABEL}"


def test_backtest_json_scores_each_model_and_horizon(workspace):
    from forecasting.models import make_model
    from forecasting.models.base import Panel

    folder, truth = workspace
    result = conflictwatch(
        "backtest", "--level", "admin1", "--model", "trailing_mean", "--model", "negbin",
        "--origins", "6", "--horizons", "2", "--json", cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    scores = pd.DataFrame(json.loads(result.stdout))
    assert {"model", "level", "horizon", "crps", "crps_skill", "mae", "mase", "coverage_50", "coverage_90", "n"} <= set(
        scores.columns
    )
    # Conflictology is always scored: the skill column is measured against it.
    assert sorted(zip(scores["model"], scores["horizon"])) == [
        ("conflictology", 1), ("conflictology", 2), ("negbin", 1), ("negbin", 2), ("trailing_mean", 1), ("trailing_mean", 2),
    ]
    # 3 series x 6 origins at 1 month ahead; one origin fewer has a second month observed.
    assert set(scores.set_index(["model", "horizon"])["n"].to_dict().items()) == {
        (("negbin", 1), 18), (("negbin", 2), 15), (("trailing_mean", 1), 18), (("trailing_mean", 2), 15),
        (("conflictology", 1), 18), (("conflictology", 2), 15),
    }
    # The trailing mean's scores worked out here from the months that went in: at each of the 6
    # origins, the model sees the months to the origin only and is judged on the next two. The
    # data end before 31 December, so November 2024 is the last complete month backtested.
    series = truth.assign(series_id=truth["admin1"], value=truth["fatalities"])
    series = series[series["period"] <= "2024-11-01"]
    levels = np.array([0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95])
    errors, inside, crps = {1: [], 2: []}, {1: [], 2: []}, {1: [], 2: []}
    for origin in pd.date_range("2024-05-01", "2024-10-01", freq="MS"):
        seen = series[series["period"] <= origin]
        predicted = make_model("trailing_mean").fit(Panel.from_series(seen)).predict(2)
        for row in predicted[predicted["period"] <= series["period"].max()].itertuples():
            horizon = (row.period.year - origin.year) * 12 + row.period.month - origin.month
            observed = truth.set_index(["admin1", "period"]).loc[(row.series_id, row.period), "fatalities"]
            errors[horizon].append(abs(observed - row.q50))
            inside[horizon].append(row.q05 <= observed <= row.q95)
            quantiles = np.array([row.q05, row.q10, row.q25, row.q50, row.q75, row.q90, row.q95])
            miss = observed - quantiles
            crps[horizon].append(2 * np.maximum(levels * miss, (levels - 1) * miss).sum() / len(levels))
    trailing = scores[scores["model"] == "trailing_mean"].set_index("horizon")
    for horizon in (1, 2):  # the JSON carries 4 decimals
        assert trailing.loc[horizon, "mae"] == pytest.approx(np.mean(errors[horizon]), abs=5e-5)
        assert trailing.loc[horizon, "coverage_90"] == pytest.approx(np.mean(inside[horizon]), abs=5e-5)
        assert trailing.loc[horizon, "crps"] == pytest.approx(np.mean(crps[horizon]), abs=5e-5)
    # A 90% range that held every outcome or none would say the intervals are broken.
    assert ((scores["coverage_90"] > 0.5) & (scores["coverage_90"] <= 1)).all()
    reference = scores[scores["model"] == "conflictology"].set_index("horizon")["crps"]
    for row in scores.itertuples():
        assert row.crps_skill == pytest.approx(1 - row.crps / reference[row.horizon], abs=1e-3)


def assert_forecasts_add_up(folder: Path, parent: str, child: str, *, horizon: int) -> pd.DataFrame:
    """`forecast --by parent` and the sum of `forecast --by child` agree month by month (the JSON
    rounds to 3 decimals); returns the children's forecasts with their parent's name."""
    by_level = {}
    for level in (parent, child):
        result = conflictwatch("forecast", "--by", level, "--horizon", str(horizon), "--as-of", "2024-06", "--json", cwd=folder)
        assert result.returncode == 0, result.stderr
        by_level[level] = pd.DataFrame(json.loads(result.stdout))
    # A series id is measure|level|country|admin1|admin2: the parent's name is the child's part after its own.
    children = by_level[child].assign(parent=by_level[child]["series_id"].str.split("|").str[{"country": 2, "admin1": 3}[parent]])
    summed = children.groupby(["parent", "period"])["mean"].sum()
    parents = by_level[parent].assign(parent=by_level[parent]["series_id"].str.split("|").str[-1])
    means = parents.set_index(["parent", "period"])["mean"]
    assert sorted(means.index) == sorted(summed.index)
    for key, value in means.items():
        assert value == pytest.approx(summed[key], abs=2e-3), key
    return children


def test_a_country_forecast_is_the_sum_of_its_regions_forecasts(workspace):
    """Issue 16: `forecast --by country` and the sum of `forecast --by admin1` agree, month by month."""
    folder, _ = workspace
    regions = assert_forecasts_add_up(folder, "country", "admin1", horizon=3)
    # Burkina Faso has two regions: its mean is their sum, not the mean of its own model alone.
    assert len(regions[regions["parent"] == "Burkina Faso"]["series_id"].unique()) == 2


def test_a_regions_forecast_is_the_sum_of_its_districts_forecasts(workspace):
    """`forecast --by admin2` fits the whole hierarchy too: each district's mean carries its
    expected rare months, as its region's sum counts them (fitted alone, they did not add up: on
    the sample a region's mean was 0.8-1.6 deaths more than its districts' sum)."""
    folder, _ = workspace
    assert_forecasts_add_up(folder, "admin1", "admin2", horizon=2)


def test_a_country_backtest_scores_the_forecasts_the_forecast_command_gives(workspace):
    """`backtest --level country` fits the whole hierarchy with the countries, as `forecast
    --by country` does: each origin's scored forecast is the one `forecast --by country
    --as-of ORIGIN` prints (scored on the countries alone, the default's country CRPS on the
    sample was 22.43 over 12 origins against 21.36 for the forecasts analysts see)."""
    from forecasting.models import QUANTILE_COLUMNS
    from forecasting.scores import quantile_crps

    folder, truth = workspace
    result = conflictwatch("backtest", "--level", "country", "--model", "default", "--origins", "2", "--horizons", "1",
                           "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    scores = pd.DataFrame(json.loads(result.stdout))
    assert set(scores["level"]) == {"country"}
    ensemble = scores[scores["model"] == "ensemble"].set_index("horizon")
    # November 2024 is the last complete month: the two origins are September and October.
    countries = truth.assign(country=truth["admin1"].map({admin1: country for country, admin1, _, _ in PLACES}))
    observed = countries.groupby(["country", "period"])["fatalities"].sum()
    crps = []
    for origin in ("2024-09", "2024-10"):
        printed = conflictwatch("forecast", "--by", "country", "--horizon", "1", "--as-of", origin, "--json", cwd=folder)
        assert printed.returncode == 0, printed.stderr
        for row in json.loads(printed.stdout):
            outcome = observed[(row["series_id"].split("|")[-1], pd.Timestamp(row["period"] + "-01"))]
            quantiles = np.array([[row[column] for column in QUANTILE_COLUMNS]])
            crps.append(float(quantile_crps(np.array([outcome]), quantiles)[0]))
    assert ensemble.loc[1, "n"] == len(crps) == 4
    assert ensemble.loc[1, "crps"] == pytest.approx(np.mean(crps), abs=1e-2)  # the JSON rounds to 3 decimals


def test_an_unknown_model_is_one_message_and_exit_1(workspace):
    folder, _ = workspace
    result = conflictwatch("forecast", "--model", "oracle", cwd=folder)
    assert result.returncode == 1
    assert "unknown model 'oracle'" in result.stderr
    assert "Traceback" not in result.stderr


def test_forecast_as_of_before_the_oldest_event_is_one_line_and_exit_1(workspace):
    folder, _ = workspace
    result = conflictwatch("forecast", "--as-of", "1800-01", "--json", cwd=folder)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == ["error: --as-of 1800-01: the oldest stored event is dated 2021-01-01, so there is nothing "
                     "to assess that early; use --as-of 2021-01 or later"], result.stderr
    assert "Traceback" not in result.stderr
