"""The forecast memo: judgements kept in the store give the forecasts computed afresh, and a
history that changed in any month is judged again."""

from __future__ import annotations

import json
from collections import Counter
from functools import partial

import numpy as np
import pandas as pd

from forecasting.models import forecast, forecast_apart
from forecasting.models.calibration import ANY, Calibration
from forecasting.models import make_model
from forecasting.models.base import Panel
from forecasting.models.ensemble import MEMBERS, Ensemble
from forecasting.models.memo import (
    ForecastMemo,
    decode_forecasts,
    decode_judgement,
    decode_members,
    encode_forecasts,
    encode_judgement,
)
from forecasting.models.rolling import origin_forecasts
from forecasting.series import series_from_counts
from forecasting.store.judgements import StoredJudgements, StoredOrigins, count_judgements, count_origins


def district_counts(months: int = 30) -> pd.DataFrame:
    """Monthly deaths in five districts of two countries, 2021 on (negative binomial)."""
    rng = np.random.default_rng(7)
    periods = pd.date_range("2021-01-01", periods=months, freq="MS")
    return pd.concat([
        pd.DataFrame({"country": country, "admin1": admin1, "admin2": f"{admin1}-{district}", "year": periods.year,
                      "month": periods.month, "events": 1,
                      "fatalities": rng.negative_binomial(1.5, 1.5 / (1.5 + 3.0 * (district + 1)), size=months)})
        for country, admin1, districts in (("Mali", "Kayes", 3), ("Niger", "Tillaberi", 2))
        for district in range(districts)
    ], ignore_index=True)


def _history(counts: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([series_from_counts(counts, level) for level in ("area", "country", "admin1", "admin2")],
                     ignore_index=True)


def _stored(store) -> list[tuple[str, str]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(
            "SELECT key, forecast_month FROM ensemble_judgements ORDER BY key")]


def test_a_judgement_reads_back_exactly():
    weights = {"admin1": np.array([0.1, 0.3, 0.6, 0.0]), "country": np.array([1 / 3, 2 / 3, 0.0, 0.0])}
    shifts = {("admin1", 1): np.array([-0.1234567890123, 0.2, 1e-17, 0, 0.5, 0.7, 2.0 / 3]),
              (ANY, ANY): np.linspace(-1, 1, 7), ("country", ANY): np.full(7, np.pi)}
    inner = {("admin1", 2): 0.65, ("admin1", ANY): 1.05 ** 7, (ANY, ANY): 1.0 / 3}
    weights_back, calibration = decode_judgement(encode_judgement((weights, Calibration(shifts, 3, inner))))
    assert weights_back.keys() == weights.keys() and calibration.horizons == 3
    assert calibration.inner_scale == inner
    assert all(np.array_equal(weights_back[level], weights[level]) for level in weights)
    assert calibration.shifts.keys() == shifts.keys()
    assert all(np.array_equal(calibration.shifts[key], shifts[key]) for key in shifts)


def test_kept_judgements_give_the_forecast_computed_afresh_and_are_used(store):
    history = _history(district_counts())
    fresh = forecast(history, "default", horizon=1, seed=4)
    memo = ForecastMemo(StoredJudgements(store))

    first = forecast(history, "default", horizon=1, seed=4, memo=memo)
    again = forecast(history, "default", horizon=1, seed=4, memo=memo)

    pd.testing.assert_frame_equal(first, fresh, check_exact=True)
    pd.testing.assert_frame_equal(again, fresh, check_exact=True)
    [(key, month)] = _stored(store)
    assert month == "2023-07"  # 30 months from 2021-01: the forecast month follows them
    # The second forecast read its judgement from the store: one made different there shows.
    judgement = json.loads(StoredJudgements(store).load(key))
    only_trailing_mean = [float(name == "trailing_mean") for name in MEMBERS]
    judgement["weights"] = {level: only_trailing_mean for level in judgement["weights"]}
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE ensemble_judgements SET judgement = ?" if store.dialect == "sqlite"
                                   else "UPDATE ensemble_judgements SET judgement = %s", (json.dumps(judgement),))
    altered = forecast(history, "default", horizon=1, seed=4, memo=memo)
    assert not np.allclose(altered["mean"], fresh["mean"])
    # Other settings (the seed, the months ahead) are other judgements.
    forecast(history, "default", horizon=2, seed=4, memo=memo)
    assert count_judgements(store) == 2


def test_a_change_in_an_earlier_month_is_judged_again_and_replaces_the_old_judgement(store):
    counts = district_counts()
    memo = ForecastMemo(StoredJudgements(store))
    forecast(_history(counts), "default", horizon=1, seed=4, memo=memo)
    [(old_key, _)] = _stored(store)

    counts.loc[(counts["admin2"] == "Kayes-1") & (counts["year"] == 2022) & (counts["month"] == 3), "fatalities"] += 40
    changed = _history(counts)
    got = forecast(changed, "default", horizon=1, seed=4, memo=memo)

    pd.testing.assert_frame_equal(got, forecast(changed, "default", horizon=1, seed=4), check_exact=True)
    [(new_key, month)] = _stored(store)
    assert new_key != old_key and month == "2023-07"


def test_members_remembered_at_their_origins_give_the_next_months_forecast_unchanged():
    history = _history(district_counts(months=31))
    memo = ForecastMemo(keep_origins=True)
    for months in (30, 31):
        upto = history[history["period"] < pd.Timestamp("2021-01-01") + pd.DateOffset(months=months)]
        pd.testing.assert_frame_equal(forecast(upto, "default", horizon=1, seed=4, memo=memo),
                                      forecast(upto, "default", horizon=1, seed=4), check_exact=True)


def test_a_backfills_month_gives_its_members_forecasts_to_the_next_months_newest_origin(monkeypatch):
    """In a backfill the members fitted on month m's history are those of month m+1's newest
    rolling origin: the memo keeps them from m's forecast, so m+1 fits no member at any origin
    (each older origin is remembered too) and forecasts exactly what it forecasts afresh."""
    from forecasting.models import rolling

    history = _history(district_counts(months=31))
    memo = ForecastMemo(keep_origins=True)
    forecast(_months(history, 30), "default", horizon=1, seed=4, memo=memo)
    fitted_at = []
    fit_origin = rolling.origin_forecasts

    def counted(seen, observed, models, **options):
        fitted_at.append(str(seen.last_periods.max()))
        return fit_origin(seen, observed, models, **options)

    monkeypatch.setattr(rolling, "origin_forecasts", counted)
    got = forecast(_months(history, 31), "default", horizon=1, seed=4, memo=memo)
    assert fitted_at == []
    monkeypatch.undo()
    pd.testing.assert_frame_equal(got, forecast(_months(history, 31), "default", horizon=1, seed=4), check_exact=True)


def _origin_keys(store) -> set[tuple[str, str]]:
    with store.engine.connect() as connection:
        return {tuple(row) for row in connection.exec_driver_sql("SELECT key, seen_until FROM ensemble_origins")}


def _months(history: pd.DataFrame, months: int) -> pd.DataFrame:
    return history[history["period"] < pd.Timestamp("2021-01-01") + pd.DateOffset(months=months)]


def test_a_backtest_remembering_its_inner_origins_scores_what_it_scores_afresh(monkeypatch):
    """A backtest (the command's, the plot's one-month-ahead fit) keeps the members fitted at
    each inner origin for the outer origins after it unless given a memo that keeps nothing: the
    same cells, every number, and fewer fits."""
    from forecasting.backtest import backtest_forecasts
    from forecasting.models import rolling

    history = _history(district_counts(months=34))
    fit_origin = rolling.origin_forecasts
    fitted = {"afresh": 0, "remembered": 0}
    run = "afresh"

    def counted(*args, **options):
        fitted[run] += 1
        return fit_origin(*args, **options)

    monkeypatch.setattr(rolling, "origin_forecasts", counted)
    afresh = backtest_forecasts(history, ["default", "trailing_mean"], origins=3, horizons=2, seed=4,
                                memo=ForecastMemo())
    run = "remembered"
    remembered = backtest_forecasts(history, ["default", "trailing_mean"], origins=3, horizons=2, seed=4)
    pd.testing.assert_frame_equal(remembered, afresh, check_exact=True)
    assert set(afresh["model"]) == {"default", "trailing_mean"} and afresh["origin"].nunique() == 3
    assert 0 < fitted["remembered"] < fitted["afresh"] / 2, fitted


def test_origins_kept_in_the_store_give_the_next_months_forecast_unchanged_and_no_member_is_fitted_again(store, monkeypatch):
    """A new process each month: the month before's origins and its members fitted on the whole
    history (the new month's newest origin) come from the store, so no member is fitted at any
    origin, and the forecast is the one made afresh."""
    from forecasting.models import rolling

    history = _history(district_counts(months=31))

    def stored_memo():  # a new process each month: nothing in memory
        return ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store))

    pd.testing.assert_frame_equal(forecast(_months(history, 30), "default", horizon=1, seed=4, memo=stored_memo()),
                                  forecast(_months(history, 30), "default", horizon=1, seed=4), check_exact=True)
    before = _origin_keys(store)
    # One row an origin, the newest having seen the series up to their last month, and one of the
    # members fitted on all of them (also seen up to their last month).
    months = Counter(month for _, month in before)
    assert len(months) > 1 and max(months) == "2023-06" and months["2023-06"] == 2
    assert set(months.values()) == {1, 2} and sum(count == 2 for count in months.values()) == 1

    fit_origin, fitted_at = rolling.origin_forecasts, []

    def counted(seen, observed, models, **options):
        if options.get("predicted") is None:
            fitted_at.append(str(seen.last_periods.max()))
        return fit_origin(seen, observed, models, **options)

    monkeypatch.setattr(rolling, "origin_forecasts", counted)
    got = forecast(_months(history, 31), "default", horizon=1, seed=4, memo=stored_memo())
    monkeypatch.undo()

    assert fitted_at == []
    pd.testing.assert_frame_equal(got, forecast(_months(history, 31), "default", horizon=1, seed=4), check_exact=True)
    after = _origin_keys(store)
    # The month before's origins served this one; the newest origin and the members fitted on the
    # whole history were saved, and the members fitted on the month before's went.
    assert {month for _, month in after - before} == {"2023-07"} and len(after - before) == 2
    assert len(before - after) == 1 and {month for _, month in before - after} == {"2023-06"}
    assert count_judgements(store) == 2


def test_a_backfill_keeps_only_its_last_months_members_in_the_store_for_the_month_after(store, monkeypatch):
    """A backfill's months keep their origins and the members fitted on their history in memory;
    `save_fitted` after the last month keeps in the store what the last month detected alone
    would have kept (its judgement's origins, the members fitted on its history), and the next
    month, in a new process, fits no member at any origin."""
    from forecasting.models import rolling

    history = _history(district_counts(months=31))
    backfill = ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store), keep_origins=True)
    for months in (29, 30):
        forecast(_months(history, months), "default", horizon=1, seed=4, memo=backfill)
    assert _origin_keys(store) == set()  # none encoded nor written while the months go by
    backfill.save_fitted()
    kept = _origin_keys(store)
    assert Counter(month for _, month in kept)["2023-06"] == 2  # the newest origin, the members fitted
    StoredOrigins(store).forget_before("9999-12")
    # Judged afresh (the judgement kept aside), with nothing kept before.
    forecast(_months(history, 30), "default", horizon=1, seed=4, memo=ForecastMemo(origins=StoredOrigins(store)))
    assert _origin_keys(store) == kept

    fit_origin, fitted = rolling.origin_forecasts, []

    def counted(*args, **options):
        fitted.append(args)
        return fit_origin(*args, **options)

    monkeypatch.setattr(rolling, "origin_forecasts", counted)
    got = forecast(_months(history, 31), "default", horizon=1, seed=4,
                   memo=ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store)))
    monkeypatch.undo()

    assert fitted == []
    pd.testing.assert_frame_equal(got, forecast(_months(history, 31), "default", horizon=1, seed=4), check_exact=True)


def test_the_store_keeps_one_window_of_origins_as_the_months_go_by(store):
    # Six origins on 12 months of history at least: from month 19 on each new month drops the
    # window's oldest origin (and a row kept by code since changed goes with the rest).
    history = _history(district_counts(months=21))
    orphan = ("0" * 40, "2021-01", "0" * 40, b"from code since changed")
    StoredOrigins(store).save([orphan])
    members = {name: partial(make_model, name, seed=4) for name in MEMBERS}
    for months in (19, 20, 21):
        memo = ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store))
        Ensemble(members, seed=4, origins=6, memo=memo).fit(Panel.from_series(_months(history, months))).predict(1)
        seen = sorted(month for _, month in _origin_keys(store))
        # One row an origin (seen up to its outcomes), the newest up to the history's last month,
        # and one of the members fitted on the whole history (the month before's gone).
        newest = pd.Period("2021-01", "M") + months - 1
        assert seen == [*(str(newest - back) for back in range(5, -1, -1)), str(newest)]


def test_a_judgement_keeps_every_origin_it_used_whatever_order_it_visits_them_in(store):
    # The rolling origins go newest first today; a judgement visiting the oldest between two newer
    # ones keeps all three, and forgets only what was seen before the oldest (no model is fitted).
    panel = Panel.from_series(_history(district_counts(months=24)))  # up to 2022-12
    StoredOrigins(store).save([("0" * 40, "2022-03", "0" * 40, b"seen before the window")])
    memo = ForecastMemo(origins=StoredOrigins(store))
    members = [pd.DataFrame({"mean": [1.0, 2.0]})]

    def judge():
        memo.origin_forecasts([(panel.truncate(months_back), ("members", months_back), lambda: members)
                               for months_back in (2, 8, 5)])
        return "judged"

    assert memo.judgement(panel, ("settings",), judge) == "judged"
    assert sorted(month for _, month in _origin_keys(store)) == ["2022-04", "2022-07", "2022-10"]


def test_a_change_in_an_earlier_month_refits_the_origins_that_saw_it_and_replaces_them(store):
    counts = district_counts()
    memo = ForecastMemo(origins=StoredOrigins(store))
    forecast(_history(counts), "default", horizon=1, seed=4, memo=memo)
    before = _origin_keys(store)

    counts.loc[(counts["admin2"] == "Kayes-1") & (counts["year"] == 2022) & (counts["month"] == 3), "fatalities"] += 40
    changed = _history(counts)
    got = forecast(changed, "default", horizon=1, seed=4, memo=ForecastMemo(origins=StoredOrigins(store)))

    pd.testing.assert_frame_equal(got, forecast(changed, "default", horizon=1, seed=4), check_exact=True)
    after = _origin_keys(store)
    # The origins that saw March 2022 were fitted again and replaced theirs; the earlier ones stay.
    replaced = {month for _, month in before - after}
    assert replaced == {month for _, month in after - before} and min(replaced) == "2022-03"
    assert {month for _, month in before & after} == {month for _, month in before if month < "2022-03"}
    assert count_origins(store) == len(before)


def test_an_origins_forecasts_read_back_equal_dtypes_and_missing_values_included():
    panel = Panel.from_series(_history(district_counts()))
    models = {name: (lambda name=name: make_model(name, seed=4)) for name in ("negbin", "conflictology")}
    frames = origin_forecasts(panel, 1, models, horizons=1, mase_years=1)
    frames[1].loc[0, "fallback"] = "zero"  # text beside None in a column of Python objects

    back = decode_members(encode_forecasts(frames))

    assert len(back) == 2 and frames[0]["fallback"].dtype == object
    for frame, read in zip(frames, back):
        pd.testing.assert_frame_equal(read, frame, check_exact=True)
        assert [value for value in read["fallback"]] == [value for value in frame["fallback"]]


def test_origins_read_together_give_their_rows_in_order_as_one_frame():
    """A judgement reads the origins a store keeps in one frame: their rows in order, with each
    column's dtype as the frames had it, where one origin's fallback column holds only None (an
    Arrow column of nulls) and another's text."""
    panel = Panel.from_series(_history(district_counts()))
    models = {name: (lambda name=name: make_model(name, seed=4)) for name in ("negbin", "conflictology")}
    origins = [origin_forecasts(panel.truncate(months_back), 1, models, horizons=1, mase_years=1) for months_back in (1, 2, 3)]
    origins[2][1].loc[[0, 3], "fallback"] = "zero"
    assert all(frame["fallback"].isna().all() for frame in origins[0])

    read = decode_forecasts([encode_forecasts(frames) for frames in origins])

    expected = pd.concat([frame for frames in origins for frame in frames], ignore_index=True)
    pd.testing.assert_frame_equal(read, expected, check_exact=True)
    assert read["fallback"].dtype == object and read["fallback"].tolist() == expected["fallback"].tolist()


def _two_measures(months: int) -> pd.DataFrame:
    """Both measures' hierarchies, as detection's panel holds them (`forecast_apart` parts)."""
    counts = district_counts(months=months)
    counts["events"] = 1 + counts["fatalities"] // 3
    return pd.concat([series_from_counts(counts, level, measure) for measure in ("fatalities", "events")
                      for level in ("area", "country", "admin1", "admin2")], ignore_index=True)


def test_panels_forecast_apart_keep_their_judgements_and_origins_apart_in_the_store(store, monkeypatch):
    """Each part of `forecast_apart` is judged under settings of its own: one part's judgement or
    origins never replace another's, so the next month, in a new process, fits no part's
    members at any origin and forecasts what it forecasts afresh."""
    from forecasting.models import rolling

    history = _two_measures(31)

    def stored_memo():
        return ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store))

    pd.testing.assert_frame_equal(forecast_apart(_months(history, 30), horizon=1, seed=4, memo=stored_memo()),
                                  forecast_apart(_months(history, 30), horizon=1, seed=4), check_exact=True)
    assert count_judgements(store) == 2  # a judgement a measure
    before = _origin_keys(store)
    # One row an origin a part, and one a part of its members fitted on the whole history.
    months = Counter(month for _, month in before)
    assert len(months) > 1 and set(months.values()) == {2, 4} and months[max(months)] == 4
    fit_origin, fitted = rolling.origin_forecasts, []

    def counted(*args, **options):
        fitted.append(args)
        return fit_origin(*args, **options)

    monkeypatch.setattr(rolling, "origin_forecasts", counted)
    got = forecast_apart(_months(history, 31), horizon=1, seed=4, memo=stored_memo())
    monkeypatch.undo()

    assert fitted == []
    pd.testing.assert_frame_equal(got, forecast_apart(_months(history, 31), horizon=1, seed=4), check_exact=True)
    after = _origin_keys(store)
    assert len(after - before) == 4 and {month for _, month in after - before} == {"2023-07"}
    assert len(before - after) == 2 and {month for _, month in before - after} == {"2023-06"}
    assert count_judgements(store) == 4


def test_a_backfills_month_gives_each_part_its_members_forecasts_for_the_next_month(monkeypatch):
    """As `test_a_backfills_month_gives_its_members_forecasts_to_the_next_months_newest_origin`,
    for the parts of `forecast_apart` (a backfill's `detect`): each part remembers its own."""
    from forecasting.models import rolling

    history = _two_measures(31)
    memo = ForecastMemo(keep_origins=True)
    forecast_apart(_months(history, 30), horizon=1, seed=4, memo=memo)
    fitted = []
    fit_origin = rolling.origin_forecasts

    def counted(*args, **options):
        fitted.append(args)
        return fit_origin(*args, **options)

    monkeypatch.setattr(rolling, "origin_forecasts", counted)
    got = forecast_apart(_months(history, 31), horizon=1, seed=4, memo=memo)
    assert fitted == []
    monkeypatch.undo()
    pd.testing.assert_frame_equal(got, forecast_apart(_months(history, 31), horizon=1, seed=4), check_exact=True)


def test_a_quiet_series_zero_cells_are_the_zero_fallbacks_forecasts_joined_to_their_outcomes():
    """`rolling.zero_cells` builds in one construction what composing the zero fallback's
    forecast, the join to the outcomes and one copy a model gives: every value, dtype and row
    in order, at origins one to six months back and one to six months ahead."""
    from forecasting.models.fallbacks import ZERO, zero_forecast
    from forecasting.models.rolling import _outcomes, _quiet, zero_cells

    counts = district_counts(months=30)
    quiet = counts["admin2"].isin(["Kayes-1", "Mopti-2"]) & (counts["year"] * 12 + counts["month"] < 2023 * 12 + 4)
    counts.loc[quiet, ["events", "fatalities"]] = 0  # first hit in April 2023, two months before the end
    panel = Panel.from_series(_history(counts))
    models = ["negbin", "robust_level", "conflictology"]
    checked = 0
    for months_back in range(1, 7):
        for horizons in range(1, 7):
            observed = min(horizons, months_back)
            seen = panel.truncate(months_back - observed)
            silent = seen.subset(_quiet(seen, observed))
            if not len(silent):
                continue
            history = silent.truncate(observed)
            outcomes = _outcomes(silent, history, observed, 3)
            joined = outcomes.joined(zero_forecast(history, ZERO, horizons))
            composed = pd.concat([joined.assign(model=name) for name in models], ignore_index=True)
            pd.testing.assert_frame_equal(zero_cells(outcomes, models), composed, check_exact=True)
            checked += 1
    assert checked >= 20 and composed["observed"].gt(0).any()  # some of them hit after the origin


def test_a_district_first_hit_in_the_newest_month_leaves_the_origins_kept_before_it_serving(store):
    """A district with no event before the newest month is at every earlier rolling origin a
    series of zeros, which every model leaves to the zero fallback: its forecasts are made apart
    from the others' and never kept, so the month before's origins still serve (before, the
    district in the panel changed every origin's key and all 36 were fitted again)."""
    counts = district_counts(months=31)
    months = counts[["year", "month"]].drop_duplicates()
    new = months.assign(country="Mali", admin1="Kayes", admin2="Kayes-new", events=0, fatalities=0)
    new.loc[new.index[-1], ["events", "fatalities"]] = [2, 7]  # first hit in the newest month, 2023-07
    history = _history(pd.concat([counts, new], ignore_index=True))
    before_it = history[history["series_id"] != "fatalities|admin2|Mali|Kayes|Kayes-new"]

    def stored_memo():  # a new process each month: nothing in memory
        return ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store))

    forecast(_months(before_it, 30), "default", horizon=1, seed=4, memo=stored_memo())
    before = _origin_keys(store)

    got = forecast(_months(history, 31), "default", horizon=1, seed=4, memo=stored_memo())

    pd.testing.assert_frame_equal(got, forecast(_months(history, 31), "default", horizon=1, seed=4), check_exact=True)
    after = _origin_keys(store)
    # All the month before's origins kept; only its members fitted on the whole history replaced.
    assert {month for _, month in after - before} == {"2023-07"}
    assert len(before - after) == 1 and {month for _, month in before - after} == {"2023-06"}
    assert got.set_index("series_id").loc["fatalities|admin2|Mali|Kayes|Kayes-new", "mean"] >= 0


def test_a_judgement_from_scratch_fits_its_origins_in_forked_workers_to_the_same_digits(store, monkeypatch):
    """With workers, the origins a judgement finds nothing kept for are fitted in forked
    processes (`FORKED_FROM` or more), which encode them too: the forecast is the one made here
    to the last digit, and the store keeps the same bytes under the same keys."""
    from forecasting.models import memo as memo_module

    history = _history(district_counts(months=31))
    shared, forked = [], memo_module.forked

    def counted(calls, workers):
        shared.append((len(calls), workers))
        return forked(calls, workers)

    monkeypatch.setattr(memo_module, "forked", counted)
    kept = {}
    for workers in (2, 1):
        with store.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM ensemble_origins")
            connection.exec_driver_sql("DELETE FROM ensemble_judgements")
        memo = ForecastMemo(StoredJudgements(store), origins=StoredOrigins(store), workers=workers)
        got = forecast(history, "default", horizon=1, seed=4, memo=memo)
        pd.testing.assert_frame_equal(got, forecast(history, "default", horizon=1, seed=4), check_exact=True)
        with store.engine.connect() as connection:
            kept[workers] = {key: bytes(value) for key, value in connection.exec_driver_sql(
                "SELECT key, forecasts FROM ensemble_origins")}
    assert shared and all(calls >= ForecastMemo.FORKED_FROM and workers == 2 for calls, workers in shared)
    assert len(kept[2]) > ForecastMemo.FORKED_FROM and kept[2] == kept[1]
