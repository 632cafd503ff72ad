"""Tier shift: the share of a country's events (or deaths) at a settlement tier moving away from
its trailing baseline, e.g. JNIM attacks in Burkina Faso moving toward provincial capitals.

Each month of the baseline is a draw of k events at the tier out of n in the country. Campaigns
make months vary more than a binomial allows, so the baseline is a beta-binomial: the share p
and the intra-class correlation rho are estimated by moments from the baseline months. The
recent window's pooled count K of N is tested two-sided against that beta-binomial. Two windows
are tested, the as-of month alone (a sudden shift) and the three months to it (a gradual one),
with a Bonferroni factor of 2; the baseline is the `tier_shift_baseline_months` before the
longer window, so it never overlaps either.

Shares are of the events located at their place: an event the source coded to a nearby town or
the provincial capital because the village is unknown (tier `unlocated`, see
`forecasting.gazetteer.assign_tiers`) is in neither the tier's count nor the country's, and
the alert says how many were left out. Otherwise one village massacre coded to a capital would
read as "a shift toward capitals".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecasting import distributions, wording
from forecasting.as_of import month_positions
from forecasting.detectors.actors import MIN_FAMILY_EVENTS
from forecasting.detectors.counts import beta_binomial_tails
from forecasting.detectors.findings import Finding, Findings
from forecasting.detectors.settings import AsOf, DetectionSettings
from forecasting.events import UNLOCATED

SHIFT_TIERS = ("admin1_capital", "admin2_capital", "admin3_seat")
_WINDOWS = (1, 3)
#: A baseline thinner than this cannot say what is usual.
_MIN_BASELINE_EVENTS = 30
_CANDIDATE_P = 0.05
#: Stands for "all actors" in `tier_shares` (cannot be an actor family's name).
_ALL_ACTORS = "\x00all"


class EventMonths(NamedTuple):
    """Events of a run of months as arrays, one item per event: its month as a position in the
    run, its country, actor family and settlement tier as codes into `names` (-1 where missing:
    integers compare in a fraction of the time strings take, and detectors compare them for
    every country, family and tier), and its deaths (int64)."""

    position: np.ndarray
    countries: np.ndarray
    actors: np.ndarray
    tiers: np.ndarray
    fatalities: np.ndarray
    names: dict[str, np.ndarray]

    def present(self, column: str, rows: np.ndarray | None = None) -> list:
        """The values of `column` (`countries`, `actors`, `tiers`) that events (of `rows`) have,
        sorted; missing values are not values."""
        codes = getattr(self, column) if rows is None else getattr(self, column)[rows]
        return sorted(self.names[column][np.unique(codes[codes >= 0])])

    def counts(self, column: str, rows: np.ndarray) -> dict:
        """How many events of `rows` have each value of `column` (as `value_counts`: missing
        values are not counted)."""
        codes = getattr(self, column)[rows]
        counted = np.bincount(codes[codes >= 0], minlength=len(self.names[column]))
        return {self.names[column][code]: int(counted[code]) for code in np.flatnonzero(counted)}

    def code(self, column: str, value) -> int:
        """The code of `value` in `column` (-2, which no event has, where no event has it)."""
        found = np.flatnonzero(self.names[column] == value)
        return int(found[0]) if len(found) else -2


#: (field of `EventMonths`, event column) of the coded columns.
_CODED = (("countries", "country"), ("actors", "actor1"), ("tiers", "tier"))
#: Per coded field of `EventMonths`, each event's code and the names the codes number.
EventCodes = dict[str, tuple[np.ndarray, np.ndarray]]


def event_codes(events: pd.DataFrame) -> EventCodes:
    """The codes `event_months` gives the countries, actor families and tiers of `events`."""
    codes = {}
    for field, column in _CODED:
        column_codes, uniques = pd.factorize(events[column])
        codes[field] = (column_codes, np.asarray(uniques, dtype=object))
    return codes


def event_months(
    events: pd.DataFrame, start: pd.Timestamp, months: int, where: np.ndarray | None = None,
    codes: EventCodes | None = None,
) -> EventMonths:
    """`EventMonths` of `events` dated from `start` (the first of a month) on, in a run of
    `months` months from `start`'s, of the rows `where` is true (all where None): later events
    (none, given events up to the as-of day) are left out, as reindexing on the run's months
    would. `codes`: `event_codes` of a frame whose first rows are `events` (a backfill's run of
    months, of which `events` are the first months'), where worked out already."""
    kept = (events["event_date"] >= start).to_numpy()
    if where is not None:
        kept = kept & where
    rows = np.flatnonzero(kept)
    position = month_positions(events["event_date"].iloc[rows], start)
    rows = rows[position < months]
    # Codes of the whole column (one pass), then the rows': cheaper than taking the rows' text.
    if codes is None:
        codes = event_codes(events)
    elif min(len(column_codes) for column_codes, _ in codes.values()) < len(events):
        raise ValueError("event codes of fewer events than the frame's")
    return EventMonths(
        position[position < months],
        codes["countries"][0][rows],
        codes["actors"][0][rows],
        codes["tiers"][0][rows],
        events["fatalities"].astype("int64").to_numpy()[rows],
        {field: names for field, (_, names) in codes.items()},
    )


def detect_tier_shifts(
    events: pd.DataFrame, as_of: AsOf, settings: DetectionSettings, *, codes: EventCodes | None = None
) -> Findings:
    """Tier shifts per country (all actors, and each large actor family) in the as-of month.

    `events`: event frame up to the as-of day with event_date, country, tier, fatalities and
    actor1 already mapped to actor families. `codes`: as `event_months` takes them.
    """
    longest = max(_WINDOWS)
    window_start = as_of.month - pd.DateOffset(months=longest - 1)
    baseline_start = window_start - pd.DateOffset(months=settings.tier_shift_baseline_months)
    months = pd.date_range(baseline_start, as_of.month, freq="MS")
    if events.empty:
        return Findings([], 0)
    # Events with a country (a missing one has no code).
    with_country = codes["countries"][0][: len(events)] >= 0 if codes is not None else events["country"].notna().to_numpy()
    coded = event_months(events, baseline_start, len(months), where=with_country, codes=codes)
    if not len(coded.position):
        return Findings([], 0)
    position, countries, actors, tiers = coded.position, coded.countries, coded.actors, coded.tiers
    weights = {"events": np.ones(len(position)), "fatalities": coded.fatalities.astype(float)}
    in_baseline = position < len(months) - longest
    unlocated_code = coded.code("tiers", UNLOCATED)
    # Each event's cell in a (tier x month) table: a row per shift tier, then unlocated events,
    # then events at any other tier (located, in the country's count only).
    tier_row = np.full(len(position), len(SHIFT_TIERS) + 1)
    for row, tier in enumerate(SHIFT_TIERS):
        tier_row[tiers == coded.code("tiers", tier)] = row
    tier_row[tiers == unlocated_code] = len(SHIFT_TIERS)
    cells, shape = tier_row * len(months) + position, (len(SHIFT_TIERS) + 2, len(months))
    located = [*range(len(SHIFT_TIERS)), len(SHIFT_TIERS) + 1]
    candidates, tested = [], 0
    for country in coded.present("countries"):
        in_country = countries == coded.code("countries", country)
        family_sizes = coded.counts("actors", in_country & in_baseline)
        families = sorted(family for family, size in family_sizes.items() if size >= MIN_FAMILY_EVENTS)
        groups = [(None, in_country)] + [
            (family, in_country & (actors == coded.code("actors", family))) for family in families
        ]
        for actor, rows in groups:
            for measure in ("events", "fatalities"):
                # Counts and deaths are whole numbers: their sums are exact in any order.
                table = np.bincount(cells[rows], weights=weights[measure][rows], minlength=shape[0] * shape[1]).reshape(shape)
                totals = table[located].sum(axis=0)
                unlocated = table[len(SHIFT_TIERS)]
                for row, tier in enumerate(SHIFT_TIERS):
                    at_tier = table[row]
                    test = _test(totals, at_tier, measure, longest, settings)
                    if test is None:
                        continue
                    tested += 1
                    if test.p_value <= _CANDIDATE_P:
                        left_out = float(unlocated[len(months) - test.window :].sum())
                        candidates.append(_finding(test, country, actor, tier, measure, as_of, left_out))
    return Findings(candidates, tested)


def tier_shares(events: pd.DataFrame, as_of: AsOf) -> dict[tuple, tuple[float, float]]:
    """The as-of month's counts behind each tier share, for judging open tier shifts back in band.

    `events` as for `detect_tier_shifts`; unlocated events are in no share. Returns (country, actor family or None for all actors,
    tier, measure) -> (events or deaths at the tier, in the country), for every country and
    actor family with events in the month (partial up to the as-of day for a day as-of).
    """
    # The month's rows of the columns read (the frame may hold years of events and more columns).
    in_month = (events["event_date"] >= as_of.month) & (events["event_date"] <= pd.Timestamp(as_of.day))
    month = events.loc[in_month.to_numpy(), ["country", "actor1", "tier", "fatalities"]]
    month = month[month["country"].notna() & (month["tier"] != UNLOCATED)]
    # Every event counts for all actors (`_ALL_ACTORS`) and for its own family.
    both = pd.concat([month.assign(actor1=_ALL_ACTORS), month])
    frame = pd.DataFrame({
        "country": both["country"], "actor": both["actor1"].fillna("Unknown"), "tier": both["tier"],
        "events": 1.0, "fatalities": both["fatalities"].astype(float),
    })
    measures = ["events", "fatalities"]
    totals = frame.groupby(["country", "actor"])[measures].sum()
    at_tier = frame[frame["tier"].isin(SHIFT_TIERS)].groupby(["country", "actor", "tier"])[measures].sum()
    shares: dict[tuple, tuple[float, float]] = {}
    for (country, actor), total in totals.iterrows():
        for tier in SHIFT_TIERS:
            for measure in measures:
                count = at_tier[measure].get((country, actor, tier), 0.0)
                key = (country, None if actor == _ALL_ACTORS else actor, tier, measure)
                shares[key] = (float(count), float(total[measure]))
    return shares


@dataclass(frozen=True)
class _Test:
    """The outcome of one test: the window that departed most from the baseline share."""

    p_value: float
    window: int
    trials: float
    successes: float
    share: float
    rho: float
    baseline_months: int


def _test(n: np.ndarray, k: np.ndarray, measure: str, longest: int, settings: DetectionSettings) -> _Test | None:
    """Test one country (and actor family), tier and measure: `n` all events (or deaths) and `k`
    those at the tier, per month (the baseline months, then the `longest` window). None where the
    baseline is too thin or no window has enough events to test."""
    n_base, k_base = n[: len(n) - longest], k[: len(k) - longest]
    if n_base.sum() < (_MIN_BASELINE_EVENTS if measure == "events" else 3 * _MIN_BASELINE_EVENTS):
        return None
    share = k_base.sum() / n_base.sum()
    rho = _intra_class_correlation(k_base, n_base, share)
    best = None
    for window in _WINDOWS:
        trials, successes = n[len(n) - window :].sum(), k[len(k) - window :].sum()
        if trials < settings.floor(measure):
            continue
        upper, lower = beta_binomial_tails(successes, trials, share, rho)
        p_value = min(1.0, 2 * min(upper, lower) * len(_WINDOWS))
        if best is None or p_value < best[0]:
            best = (p_value, window, trials, successes)
    if best is None:
        return None
    p_value, window, trials, successes = best
    # A shift must move at least a floor's worth of events (or deaths) to be news.
    if abs(successes - trials * share) < settings.floor(measure):
        p_value = 1.0
    return _Test(p_value, window, trials, successes, share, rho, len(n_base))


def _finding(test: _Test, country, actor, tier, measure, as_of: AsOf, left_out: float) -> Finding:
    """The finding of a test that is a candidate (its range and message are only worked out here)."""
    p_value, window, trials, successes, share, rho = (
        test.p_value, test.window, test.trials, test.successes, test.share, test.rho
    )
    expected = trials * share
    scope = {"country": country, "admin1": None, "admin2": None, "tier": tier, "actor": actor}
    lower, upper = _range(trials, share, rho)
    recent_share = successes / trials
    # How many times the usual share (or, for a move away, how many times smaller); shares of 0
    # are floored at half an event so that the multiple stays finite.
    floor_share = 0.5 / trials
    size = max(recent_share, floor_share) / max(share, floor_share)
    size = size if size >= 1 else 1 / size
    return Finding(
        kind="tier_shift",
        scope=scope,
        measure=measure,
        period=as_of.month_text,
        observed=float(successes),
        expected=round(float(expected), 1),
        lower=float(lower),
        upper=float(upper),
        p_value=float(p_value),
        size=float(min(size, 1e6)),
        message=_message(scope, measure, successes, trials, share, lower, upper, window, test.baseline_months, as_of, left_out),
        evidence={
            "share": round(float(recent_share), 4),
            "baseline_share": round(float(share), 4),
            "total": float(trials),
            "window_months": window,
            "baseline_months": int(test.baseline_months),
            "overdispersion_rho": round(float(rho), 4),
            # The baseline's 90% range as shares: what the lifecycle judges "back in band" by.
            "baseline_lower_share": round(float(lower / trials), 4),
            "baseline_upper_share": round(float(upper / trials), 4),
            # Events (or deaths) of the window the source did not locate at a named place: in
            # no share, counted in their admin units only.
            "unlocated_left_out": float(left_out),
        },
    )


def _intra_class_correlation(k: np.ndarray, n: np.ndarray, share: float) -> float:
    """Moment estimate of the beta-binomial rho from monthly (k, n); 0 when months vary no more
    than a binomial. Capped below 1 so that a baseline of a few busy months stays testable."""
    used = n > 0
    k, n = k[used], n[used]
    denominator = share * (1 - share) * float((n * (n - 1)).sum())
    if denominator <= 0:
        return 0.0
    excess = float(((k - n * share) ** 2).sum()) - share * (1 - share) * float(n.sum())
    return float(min(max(excess / denominator, 0.0), 0.5))


def _range(trials: float, share: float, rho: float) -> tuple[float, float]:
    share = min(max(share, 1e-6), 1 - 1e-6)
    trials = int(round(trials))
    if rho <= 1e-9:
        ppf, shape = distributions.binom_ppf, (trials, share)
    else:
        concentration = (1 - rho) / rho
        ppf, shape = distributions.betabinom_ppf, (trials, share * concentration, (1 - share) * concentration)
    return float(ppf(0.05, *shape)), float(ppf(0.95, *shape))


def _message(scope, measure, successes, trials, share, lower, upper, window, baseline_months, as_of, left_out) -> str:
    tier_words = wording.TIER_NAMES[scope["tier"]]
    whose = f"{scope['actor']} " if scope["actor"] else ""
    noun = "events" if measure == "events" else "reported fatalities"
    direction = "toward" if successes / trials > share else "away from"
    when = f"in {wording.month_name(as_of.month)}" if window == 1 else f"in the three months to {wording.month_name(as_of.month)}"
    return wording.sentence(
        f"{whose}{noun} in {scope['country']} shifted {direction} {tier_words}: "
        f"{wording.percent(successes / trials)} ({wording.count(successes)} of {wording.count(trials)}) {when}, "
        f"against {wording.percent(share)} in the {baseline_months} months before "
        f"(90% range {wording.percent(lower / trials)}\u2013{wording.percent(upper / trials)})"
        f"{_times_usual(successes / trials, share)}"
        + (f"; {wording.count(left_out)} {noun} not located at a named place are left out." if left_out else ".")
    )


def _times_usual(share: float, usual: float) -> str:
    """', 4.1 times the usual share', from the percentages as printed; nothing when the usual
    share prints as 0% (a multiple of nothing says nothing)."""
    ratio = wording.times(float(wording.percent(share).rstrip("%")), float(wording.percent(usual).rstrip("%")))
    return f", {ratio} the usual share" if ratio else ""
