"""Replay the default model's rolling-origin backtest from cached member forecasts: the fast loop
for choosing the ensemble's members, weights and settings on the tuning worlds.

    PYTHONPATH=.:tests .venv/bin/python benchmarks/replay_ensemble.py --data tuning [--worlds 1-30]
        [--variant NAME ...] [--origins 12] [--cache /tmp/replay] [--check]

A backtest of the default costs one rolling-origin judgement of its members (36 origins) at every
outer origin: 12 outer origins fit each member about 430 times per world, though only about 50
histories differ (outer origin k's inner origins are the months k+1 .. k+36 back). Here every
member's forecast from a given history (a digest of the panel it was fitted on, as
`forecasting.models.memo` keys them) is computed once and kept on disk per world; every variant is
then the real code (`Ensemble`, its calibration, the fallbacks, the bottom-up sum and the
rolling-origin loop) run on those kept forecasts, so a variant's figures are the ones the real
backtest would give with the same members and settings (`--check` compares one world's default
with `forecasting.backtest.backtest_forecasts(..., ["default"])` to the last digit). A member's
cache entry is keyed by its name: change a member's code and its cache must be removed by hand
(`--cache` directory, one pickle per world).

`--data tuning` replays `TUNING_WORLDS` (seeds 1-30 of tests/realistic_series.py), `heldout` the
nine `HELD_OUT_SEEDS` (to report only, never to choose), `check` the eighteen `CHECK_SEEDS`
(likewise), `sample` the shipped sample,
`stress-tuning` and `stress` the stress worlds (country-wide wars: `STRESS_TUNING_SEEDS` to
choose on, `STRESS_SEEDS` to report only), `rising-tuning` and `rising` the rising worlds (wars
still growing when the data end: `RISING_TUNING_SEEDS`, `RISING_SEEDS`). Prints, per
variant, the default's CRPS gain over trailing_mean and conflictology (pooled over the worlds,
and over the original three held-out seeds for `heldout`), world by world at admin1 and country,
and the 50% / 90% coverage per level (lowest and highest over months ahead).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from forecasting.backtest import backtest_forecasts  # noqa: E402
from forecasting.models import make_model  # noqa: E402
from forecasting.models import ensemble as ensemble_module  # noqa: E402
from forecasting.models.ensemble import combine_cells, ensemble_weights  # noqa: E402
from forecasting.models.base import Panel  # noqa: E402
from forecasting.models.fallbacks import WithFallbacks  # noqa: E402
from forecasting.models.hierarchy import (  # noqa: E402
    BottomUp,
    coherent_parents,
    finest_excess,
    parent_series,
    rare_events,
    rare_excess,
)
from forecasting.models.memo import ForecastMemo, panel_fingerprint  # noqa: E402
from forecasting.models.rolling import origin_forecasts, rolling_origin_forecasts  # noqa: E402
from forecasting.scores import score  # noqa: E402

BENCHMARKS = ("trailing_mean", "conflictology")


class Store:
    """Member forecasts by (member, digest of the history it was fitted on, months ahead), and
    members' rolling-origin cells by (member, digest of the series seen, months observed), kept
    in one pickle per world."""

    def __init__(self, path: Path | None):
        self.path = path
        self.fits: dict = {}
        self.cells: dict = {}
        self.dirty = False
        if path is not None and path.exists():
            with path.open("rb") as handle:
                self.fits, self.cells = pickle.load(handle)

    def save(self) -> None:
        if self.path is not None and self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("wb") as handle:
                pickle.dump((self.fits, self.cells), handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.dirty = False


class CachedMember:
    """A member model whose forecast from a given history is computed once (see module doc)."""

    def __init__(self, name: str, build, store: Store):
        self.name, self.build, self.store = name, build, store
        self.min_months = build().min_months

    def fit(self, panel: Panel):
        self.panel = panel
        self.key = (self.name, panel_fingerprint(panel))
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        key = (*self.key, horizon)
        if key not in self.store.fits:
            self.store.fits[key] = self.build().fit(self.panel).predict(horizon)
            self.store.dirty = True
        return self.store.fits[key].copy()


class CachedOrigins(ForecastMemo):
    """The ensemble's memo: an origin's member cells (with outcomes) computed once per member;
    the judgement itself always computed (it is what a variant changes)."""

    def __init__(self, members: dict, store: Store):
        super().__init__()
        self.member_builders, self.store = members, store

    def judgement(self, panel, settings, judge):
        return judge()

    def origin_forecasts(self, origins):
        """Every origin's member cells, one (seen, settings, forecasts) an origin (the memo's
        batch interface): from the cache, each member fitted where it has none."""
        return [frame for seen, settings, _ in origins for frame in self._cells(seen, settings)]

    def _cells(self, seen, settings):
        names, observed, horizons, _ = settings
        digest = panel_fingerprint(seen)
        missing = [name for name in names if (name, digest, observed, horizons) not in self.store.cells]
        if missing:
            frames = origin_forecasts(seen, observed, {name: self.member_builders[name] for name in missing},
                                      horizons=horizons, mase_years=3)
            for name, frame in zip(missing, frames):
                self.store.cells[(name, digest, observed, horizons)] = frame
            self.store.dirty = True
        return [self.store.cells[(name, digest, observed, horizons)] for name in names]


def member_builders(names, store: Store, seed: int = 0) -> dict:
    """name -> factory of the cached member (behind the fallbacks, as the ensemble builds them)."""
    return {name: partial(CachedMember, name, partial(make_model, name, seed=seed), store) for name in names}


def ordinary_history(panel: Panel, order, parents) -> Panel:
    """`panel` with each of `parents` holding its ordinary months (its value less its
    `hierarchy.rare_excess`): the sixth round's variant (a)."""
    excess = finest_excess(panel, order)
    taken = rare_excess(panel, order, excess, parents)
    row = {series_id: index for index, series_id in enumerate(panel.series_ids)}
    values = panel.values.copy()
    months = (taken.index.get_level_values("period").to_numpy().astype("datetime64[M]"))
    for (series_id, _), month, deaths in zip(taken.index, months, taken.to_numpy()):
        index = row[series_id]
        values[index, values.shape[1] - 1 - int((panel.last_periods[index] - month).astype(int))] -= deaths
    return Panel(panel.series_ids, values, panel.last_periods, panel.lengths, panel.levels)


class OrdinaryHistory(BottomUp):
    """Variant (a): the model (members and calibration) fitted on the rare parents' ordinary
    months; coherence and the rare months judged on the panel as it is."""

    ordinary_widths = False

    def fit(self, panel: Panel):
        self.order = coherent_parents(panel, self.parents)
        self.rare = rare_events(panel, self.order)
        self.model.fit(ordinary_history(panel, self.order, self.rare.parents) if self.rare else panel)
        return self


class CalibratedOnOrdinary(ensemble_module.Ensemble):
    """Variant (b): the ensemble whose members are fitted on the rare parents' whole history but
    whose record (so all its calibration) takes their ordinary outcomes (`ordinary_excess`, as
    `hierarchy.rare_excess`, set by `OrdinaryOutcomes`)."""

    ordinary_excess: pd.Series | None = None

    def _judge(self, judged, horizons):
        whole = ensemble_module.rolling_origin_forecasts

        def ordinary_outcomes(*args, **kwargs):
            cells = whole(*args, **kwargs)
            if self.ordinary_excess is None or cells.empty:
                return cells
            keys = pd.MultiIndex.from_arrays([cells["series_id"], cells["period"]])
            return cells.assign(observed=cells["observed"] - self.ordinary_excess.reindex(keys).fillna(0.0).to_numpy())

        ensemble_module.rolling_origin_forecasts = ordinary_outcomes
        try:
            return super()._judge(judged, horizons)
        finally:
            ensemble_module.rolling_origin_forecasts = whole


class OrdinaryOutcomes(BottomUp):
    """Variant (b)'s reconciliation: tells its `CalibratedOnOrdinary` the rare parents' excess."""

    ordinary_widths = False

    def fit(self, panel: Panel):
        order = coherent_parents(panel, self.parents)
        rare = rare_events(panel, order)
        if rare is not None:
            self.model.model.ordinary_excess = rare_excess(panel, order, finest_excess(panel, order), rare.parents)
        return super().fit(panel)


def horizon_weights(record: dict, members: int, *, spread: int = 0, pooled_share: float = 0.0,
                    steps: int = ensemble_module.STEPS) -> dict[str, np.ndarray]:
    """Per level of a `member_record`, (horizons x members) weights: row h - 1 chosen by
    `ensemble.ensemble_weights` on the record's forecasts h - `spread` .. h + `spread` months
    ahead, then mixed with the level's weights pooled over every horizon, `pooled_share` of them.
    A horizon with no forecasts takes the pooled weights."""
    pooled = ensemble_weights(record, members, steps=steps)
    weights = {}
    for level, (quantiles, observed, keys) in record.items():
        horizons = keys["horizon"].to_numpy(dtype=int)
        rows = []
        for horizon in range(1, int(horizons.max()) + 1 if len(horizons) else 1):
            near = np.abs(horizons - horizon) <= spread
            own = pooled[level]
            if near.any():
                own = ensemble_weights({level: (quantiles[:, near], observed[near], None)}, members,
                                       steps=steps)[level]
            rows.append((1.0 - pooled_share) * own + pooled_share * pooled[level])
        weights[level] = np.stack(rows)
    return weights


def weights_at(weights: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    """(rows x members) weights at `horizons` (months ahead, from 1) from one level's weights:
    (members,) alike at every horizon, or (horizons x members), the furthest row beyond them."""
    if weights.ndim == 1:
        return np.broadcast_to(weights, (len(horizons), len(weights)))
    return weights[np.clip(np.asarray(horizons, dtype=int), 1, len(weights)) - 1]


def combine_cells_by_horizon(record: dict, weights: dict[str, np.ndarray]) -> pd.DataFrame:
    """`ensemble.combine_cells` with each forecast weighted by its horizon's weights."""
    frames = []
    for level, (quantiles, observed, keys) in record.items():
        weight = weights.get(level, np.full(len(quantiles), 1.0 / len(quantiles)))
        per_row = weights_at(weight, keys["horizon"].to_numpy(dtype=int))
        frame = keys.assign(level=level, observed=observed)
        frame[list(ensemble_module.QUANTILE_COLUMNS)] = np.einsum("nm,mnq->nq", per_row, quantiles)
        frames.append(frame)
    if not frames:
        return combine_cells({}, weights)
    return pd.concat(frames, ignore_index=True)


class HorizonWeights(ensemble_module.Ensemble):
    """The ninth round's variants: weights per level and months ahead (`horizon_weights` with the
    class's `spread` and `pooled_share`), shared from admin1 to the countries and the area as
    the default's are; the calibration fitted on the record combined with them."""

    spread = 0
    pooled_share = 0.0

    def _judge(self, judged, horizons):
        pooled, combine = ensemble_module.ensemble_weights, ensemble_module.combine_cells
        ensemble_module.ensemble_weights = partial(horizon_weights, spread=self.spread, pooled_share=self.pooled_share)
        ensemble_module.combine_cells = combine_cells_by_horizon
        try:
            return super()._judge(judged, horizons)
        finally:
            ensemble_module.ensemble_weights, ensemble_module.combine_cells = pooled, combine

    def _weights_of_rows(self, base, levels, members):
        # Each row weighted by its level's weights at its months ahead.
        first = base.groupby("series_id", sort=False)["period"].transform("min")
        ahead = ((base["period"].dt.year - first.dt.year) * 12 + base["period"].dt.month - first.dt.month + 1).to_numpy()
        equal = np.full(members, 1.0 / members)
        weights = np.zeros((len(base), members))
        for level, rows in pd.Series(levels).groupby(levels, sort=False, dropna=False).indices.items():
            weights[rows] = weights_at(self.weights.get(level, equal), ahead[rows])
        return weights


class HorizonWeightsNear(HorizonWeights):
    """Weights per months ahead judged on that horizon's forecasts and its neighbours' (h-1..h+1)."""

    spread = 1


class HorizonWeightsHalf(HorizonWeights):
    """Half each horizon's own weights, half the level's pooled ones."""

    pooled_share = 0.5


def _local_season_variant(name: str, trend_weights: tuple[float, ...], damping: float) -> str:
    """A `negbin_local` with other trend weights and damping, registered under `name` as a
    model (for a replay only) so that its forecasts are cached apart from the member's own."""
    from forecasting.models import _BUILDERS
    from forecasting.models.negbin import LocalSeasonNegativeBinomial

    variant = type(name, (LocalSeasonNegativeBinomial,), {"name": name, "TREND_WEIGHTS": trend_weights, "DAMPING": damping})
    _BUILDERS[name] = lambda seed, executor, memo: variant()
    return name


class RecentHistory:
    """`model` fitted on each series' last `months` months only, its forecasts named `name`: the
    twelfth round's members (docs/forecasting.md; not adopted)."""

    def __init__(self, model, months: int, name: str):
        self.model, self.months, self.name = model, months, name
        self.min_months = model.min_months

    def fit(self, panel: Panel):
        if panel.values.shape[1] > self.months:
            panel = Panel(panel.series_ids, panel.values[:, -self.months:], panel.last_periods,
                          np.minimum(panel.lengths, self.months), panel.levels)
        self.model.fit(panel)
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        return self.model.predict(horizon).assign(model=self.name)


def _recent_history(name: str, months: int) -> str:
    """Member `name` fitted on the last `months` months (`RecentHistory`), registered as a model
    (for a replay only) so that its forecasts are cached apart from the member's own."""
    from forecasting.models import _BUILDERS

    windowed = f"{name}@{months}"
    _BUILDERS[windowed] = lambda seed, executor, memo: RecentHistory(make_model(name, seed=seed), months, windowed)
    return windowed


#: Variants: name -> `members` and `origins` of the `Ensemble`, `patch`: module constants of
#: `forecasting.models.ensemble` replaced while the variant runs, and `rare_parents`: whether the
#: reconciliation adds the districts' rare months at the parents (`hierarchy.RareEvents`). The
#: third and fourth rounds' (2026-11-30, docs/forecasting.md) are kept so their tables can be rerun.
#: The default's members before the tenth round (docs/forecasting.md), without negbin_local: the
#: members the earlier rounds' variants were measured with.
_FIVE = ("negbin", "robust_level", "conflictology", "trailing_mean", "recent_mean")
_TREND = (*_FIVE, "damped_trend")
VARIANTS: dict[str, dict] = {
    "default": {},
    "five_members": {"members": _FIVE},
    "origins24": {"origins": 24},
    "trend": {"members": _TREND},
    "six_and_trend": {"members": (*ensemble_module.MEMBERS, "damped_trend")},
    # negbin_local's trend let run further (docs/forecasting.md, "Eleventh round"; not adopted).
    "local_trend3": {"members": (*ensemble_module.MEMBERS[:-1], _local_season_variant("negbin_local_t3", (0.0, 0.1, 0.2, 0.3), 0.8))},
    "local_damp9": {"members": (*ensemble_module.MEMBERS[:-1], _local_season_variant("negbin_local_d9", (0.0, 0.1), 0.9))},
    "local_t3_d9": {"members": (*ensemble_module.MEMBERS[:-1], _local_season_variant("negbin_local_t3d9", (0.0, 0.1, 0.2, 0.3), 0.9))},
    "trend_origins24": {"members": _TREND, "origins": 24},
    # The members fitted on each series' last 8, 10 or 12 years only (docs/forecasting.md, "Twelfth round").
    "recent96": {"members": tuple(_recent_history(name, 96) for name in ensemble_module.MEMBERS)},
    "recent120": {"members": tuple(_recent_history(name, 120) for name in ensemble_module.MEMBERS)},
    "recent144": {"members": tuple(_recent_history(name, 144) for name in ensemble_module.MEMBERS)},
    "trend_origins18": {"members": _TREND, "origins": 18},
    "origins12": {"origins": 12},
    "origins18": {"origins": 18},
    "no_robust": {"members": ("negbin", "conflictology", "trailing_mean", "recent_mean")},
    "trend_no_robust": {"members": ("negbin", "conflictology", "trailing_mean", "recent_mean", "damped_trend")},
    "trend_for_negbin": {"members": ("damped_trend", "robust_level", "conflictology", "trailing_mean", "recent_mean")},
    # The fourth round's: the default before the rare months were added at the parents.
    "no_rare_parents": {"rare_parents": False},
    # The sixth round's (docs/forecasting.md): the fourth round's default (the rare parents' 50%
    # width calibrated on their whole outcomes); (a) the rare parents' members and calibration
    # fitted on their ordinary months; (b) only their calibration on their ordinary outcomes.
    "whole_widths": {"ordinary_widths": False},
    "ordinary_history": {"bottom_up": OrdinaryHistory},
    "ordinary_calibration": {"ensemble": CalibratedOnOrdinary, "bottom_up": OrdinaryOutcomes},
    # The ninth round's (docs/forecasting.md): weights per level and months ahead; judged on
    # that horizon's forecasts and its neighbours'; half per horizon, half pooled.
    "horizon_weights": {"ensemble": HorizonWeights},
    "horizon_weights_near": {"ensemble": HorizonWeightsNear},
    "horizon_weights_half": {"ensemble": HorizonWeightsHalf},
}
# The seventh round's (a) (docs/forecasting.md): the parents' interval tracking their own misses
# (`calibration.adaptive_ends`), step as a fraction of the interval's width; `pooled_only` is the
# default before it (the sixth round's). Every setting is spelt out, so a change of the default
# leaves the variants as they were measured.
_PARENTS = ("country", "area")
_ENDS, _BOTH = (0.05, 0.95), (0.05, 0.25, 0.75, 0.95)
VARIANTS["pooled_only"] = {"patch": {"ADAPTIVE_LEVELS": ()}}
for _step in (0.02, 0.05, 0.1, 0.2):
    _percent = f"{int(round(_step * 100)):02d}"
    for _suffix, _extra in (("", {}), ("_wide", {"ADAPTIVE_NARROW": False}), ("_inner", {"ADAPTIVE_TRACKED": _BOTH}),
                            ("_admin1", {"ADAPTIVE_LEVELS": (*_PARENTS, "admin1")}), ("_mid", {"ADAPTIVE_TRACKED": (0.25, 0.75)})):
        _settings = {"ADAPTIVE_LEVELS": _PARENTS, "ADAPTIVE_STEP": _step, "ADAPTIVE_TRACKED": _ENDS,
                     "ADAPTIVE_NARROW": True}
        VARIANTS[f"aci_{_percent}{_suffix}"] = {"patch": {**_settings, **_extra}}


def default_cells(series: pd.DataFrame, store: Store, *, origins: int, horizons: int, variant: dict) -> pd.DataFrame:
    """The default model's backtest cells, as `backtest_forecasts(series, ["default"])` gives
    them, with the ensemble built from cached members and `variant`'s settings."""
    members = variant.get("members", ensemble_module.MEMBERS)
    builders = member_builders(members, store)
    parents = parent_series(series)
    settings = {key: value for key, value in variant.items() if key in ("origins",)}

    def build():
        ensemble = variant.get("ensemble", ensemble_module.Ensemble)
        model = ensemble(builders, seed=0, memo=CachedOrigins(builders, store), **settings)
        model.leaves_out_rare_events = variant.get("rare_parents", model.leaves_out_rare_events)
        reconciled = variant.get("bottom_up", BottomUp)(WithFallbacks(model), parents)
        reconciled.ordinary_widths = variant.get("ordinary_widths", reconciled.ordinary_widths)
        return reconciled

    patches = variant.get("patch", {})
    saved = {name: getattr(ensemble_module, name) for name in patches}
    try:
        for name, value in patches.items():
            setattr(ensemble_module, name, value)
        cells = rolling_origin_forecasts(Panel.from_series(series), {"default": build}, origins=origins, horizons=horizons)
    finally:
        for name, value in saved.items():
            setattr(ensemble_module, name, value)
    return cells


def benchmark_cells(series: pd.DataFrame, store: Store, *, origins: int, horizons: int) -> pd.DataFrame:
    """trailing_mean's and conflictology's backtest cells (reconciled, as the benchmark runs them)."""
    key = ("benchmarks", origins, horizons)
    if key not in store.fits:
        store.fits[key] = backtest_forecasts(series, list(BENCHMARKS), origins=origins, horizons=horizons, seed=0)
        store.dirty = True
    return store.fits[key]


def worlds(data: str, selection: str | None) -> list[tuple[str, pd.DataFrame]]:
    if data == "sample":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from forecast_skill import series_frames

        return [("sample", series_frames("sample")[0])]
    from realistic_series import (
        CHECK_SEEDS, HELD_OUT_SEEDS, RISING_SEEDS, RISING_TUNING_SEEDS, STRESS_SEEDS, STRESS_TUNING_SEEDS, TUNING_WORLDS,
        make_world,
    )

    seeds = {"tuning": TUNING_WORLDS, "heldout": HELD_OUT_SEEDS, "check": CHECK_SEEDS, "stress": STRESS_SEEDS,
             "stress-tuning": STRESS_TUNING_SEEDS, "rising": RISING_SEEDS, "rising-tuning": RISING_TUNING_SEEDS}[data]
    if selection:
        low, _, high = selection.partition("-")
        seeds = [seed for seed in seeds if int(low) <= seed <= int(high or low)]
    rising = data.startswith("rising")
    return [(str(seed), make_world(seed, national=data.startswith("stress") or rising, rising=rising).levels())
            for seed in seeds]


def summary(cells: pd.DataFrame) -> pd.DataFrame:
    scored = score(cells).join(cells[["model", "level", "horizon", "world"]])
    return scored


def report(name: str, scored: pd.DataFrame, groups: dict[str, list[str]]) -> None:
    print(f"\n## {name}")
    for label, members in groups.items():
        part = scored[scored["world"].isin(members)]
        crps = part.groupby(["level", "model"])["crps"].mean().unstack()
        gains = []
        for level in ("admin2", "admin1", "country"):
            if level in crps.index:
                d = crps.loc[level]
                gains.append(f"{level} {1 - d['default'] / d['trailing_mean']:+.1%} / {1 - d['default'] / d['conflictology']:+.1%}")
        default = part[part["model"] == "default"]
        cover = default.groupby(["level", "horizon"])[["in_50", "in_90"]].mean()
        pooled = default.groupby("level")[["in_50", "in_90"]].mean()
        coverage = "; ".join(
            f"{level} 50% {pooled.loc[level, 'in_50']:.3f} ({cover.loc[level, 'in_50'].min():.2f}-{cover.loc[level, 'in_50'].max():.2f}) "
            f"90% {pooled.loc[level, 'in_90']:.3f} ({cover.loc[level, 'in_90'].min():.2f}-{cover.loc[level, 'in_90'].max():.2f})"
            for level in ("admin2", "admin1", "country") if level in pooled.index
        )
        print(f"{label}: gain vs trailing_mean / conflictology: {', '.join(gains)}")
        print(f"{label}: coverage {coverage}")
    if len(scored["world"].unique()) > 1:
        crps = scored.groupby(["world", "level", "model"])["crps"].mean().unstack()
        for level in ("admin1", "country"):
            at = crps.xs(level, level="level")
            gain = 1 - at["default"] / at[list(BENCHMARKS)].min(axis=1)
            gain_tm = 1 - at["default"] / at["trailing_mean"]
            print(f"{level} gain vs the better benchmark by world: min {gain.min():+.1%}, median {gain.median():+.1%}, "
                  f"below 5% in {(gain < 0.05).sum()} of {len(gain)}; vs trailing_mean below 5% in {(gain_tm < 0.05).sum()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=("tuning", "heldout", "check", "sample", "stress", "stress-tuning", "rising",
                                           "rising-tuning"), default="tuning")
    parser.add_argument("--worlds", help="seeds low-high (tuning or heldout)")
    parser.add_argument("--variant", action="append", help=f"one of {', '.join(VARIANTS)}")
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument("--horizons", type=int, default=6)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/replay"))
    parser.add_argument("--save", type=Path, help="write every variant's cells with the benchmarks' (pickle) here")
    parser.add_argument("--check", action="store_true", help="compare the default's replay with the real backtest (first world)")
    arguments = parser.parse_args()
    names = arguments.variant or ["default"]
    started = time.perf_counter()
    results: dict[str, list[pd.DataFrame]] = {name: [] for name in names}
    for world, series in worlds(arguments.data, arguments.worlds):
        store = Store(arguments.cache / f"{arguments.data}-{world}.pkl")
        base = benchmark_cells(series, store, origins=arguments.origins, horizons=arguments.horizons)
        for name in names:
            cells = default_cells(series, store, origins=arguments.origins, horizons=arguments.horizons, variant=VARIANTS[name])
            if arguments.check and name == "default":
                real = backtest_forecasts(series, ["default"], origins=arguments.origins, horizons=arguments.horizons, seed=0)
                pd.testing.assert_frame_equal(cells.reset_index(drop=True), real.reset_index(drop=True))
                print(f"world {world}: replay equals the real backtest ({len(real)} cells)", flush=True)
                arguments.check = False
            results[name].append(pd.concat([base, cells], ignore_index=True).assign(world=world))
        store.save()
        print(f"world {world} done, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    if arguments.save:
        pd.concat([pd.concat(frames, ignore_index=True).assign(variant=name) for name, frames in results.items()],
                  ignore_index=True).to_pickle(arguments.save)
    for name in names:
        scored = summary(pd.concat(results[name], ignore_index=True))
        all_worlds = sorted(scored["world"].unique())
        groups = {f"pooled over {len(all_worlds)}": all_worlds}
        if arguments.data == "heldout":
            from realistic_series import ORIGINAL_HELD_OUT_SEEDS

            groups["original 3"] = [str(seed) for seed in ORIGINAL_HELD_OUT_SEEDS]
        report(name, scored, groups)
    print(f"\n{time.perf_counter() - started:.0f} s wall", file=sys.stderr)


if __name__ == "__main__":
    main()
