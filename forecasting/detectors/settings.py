"""What every detector is given besides data: the as-of date and the thresholds.

Detectors are pure: "now" is `AsOf` (`forecasting.as_of`), never the clock, and the thresholds are `DetectionSettings`
(built from the `detect:` section of config.yaml, `DetectConfig.detection_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

from forecasting.as_of import AsOf, InvalidAsOfError, parse_as_of

__all__ = ["AsOf", "DetectionSettings", "InvalidAsOfError", "parse_as_of"]


@dataclass(frozen=True)
class DetectionSettings:
    """Thresholds of the detectors. Counts are events or reported deaths per month.

    No defaults here: config.yaml's `detect:` section holds them, once (`jobs.config.DetectConfig`,
    whose `detection_settings` builds this object)."""

    # Name of the whole watch area in messages ("Central Sahel").
    area_name: str
    # What is watched: political-violence `fatalities` and `events`; add `demonstrations`
    # (protests and riots, their own series) to watch them too.
    measures: tuple[str, ...]
    # No spread ("none recorded before"), record or level-change alert for a place whose
    # country the store covers for fewer months than this (counting the as-of month): a short
    # history cannot say what is usual, what is new or what is a record.
    min_history_months: int
    # Benjamini-Hochberg level across every hypothesis tested for one as-of month.
    false_discovery_rate: float
    # Below these a month is never a surge, and a forecast below them never makes a drop.
    min_fatalities: int
    min_events: int
    # A record must be the highest of at least this many months (itself included).
    record_lookback_months: int
    # A record must also be unusual against its forecast: upper-tail probability at most this.
    record_tail_probability: float
    # Tier shift: months of trailing baseline, and the recent windows compared with it.
    tier_shift_baseline_months: int
    # Run rate: no projection before this many months of the year have passed.
    run_rate_min_months: int
    # Run rate: how many earlier full years the pace is compared with (together).
    run_rate_years: int
    # Spread: an admin2 unit is "quiet" with at most this many events in the past 12 months
    # (admin1 units: four times as many); it must then see at least `spread_min_events` in the month.
    spread_quiet_events: int
    spread_min_events: int
    # Synchronized: at least this many distinct admin2 units hit by one actor family within
    # `synchronized_window_days` consecutive days.
    synchronized_min_units: int
    synchronized_window_days: int
    # Change point: the new level must have held for at least this many months.
    change_point_months: int
    # Regional drop (`forecasting.detectors.regional_drop`): an area's, country's or region's
    # events of the month are also judged against its own past this many months, and must be at
    # most this share of their mean.
    regional_drop_months: int
    regional_drop_share: float
    # Severity by human impact (`forecasting.detectors.grading`): critical needs significance and
    # at least this many deaths above expected, or this share of the country's usual month
    # (whichever is larger), or a wave of armed actors across this many admin2 units, or an area
    # or national record.
    critical_excess_fatalities: int
    critical_share_of_usual_month: float
    critical_wave_units: int
    # An alert resting on at most this many deaths (about deaths) or events (about events) is info.
    info_max_fatalities: int
    info_max_events: int
    # Incidents: a place's excess joins a wider place's incident when at least this share of it.
    incident_explained_share: float
    # Driving events listed under each alert and incident.
    driving_events: int

    def floor(self, measure: str) -> int:
        """The minimum count that can make news for a measure."""
        return self.min_fatalities if measure == "fatalities" else self.min_events
