"""What a report is made from, and what rendering it leaves behind.

`ReportInputs` is everything `render_report` needs, already computed by the job (jobs/report.py):
alerts, series, forecasts, tier shares and the notes on the data. Reports only render (STYLE.md 6):
nothing in `reports/` queries the store or fits a baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecasting.alerts import Alert
from forecasting.as_of import AsOf, months_between, parse_as_of
from forecasting.report_data import Story

#: Printed on the cover, on the methods page, on every chart, in the HTML and in the JSON when
#: the report was made from the shipped sample.
SYNTHETIC_NOTICE = (
    "Synthetic data: this report was made from conflictwatch's synthetic sample, not from ACLED "
    "or UCDP data. Its places are real but its events and numbers describe nothing that happened."
)


@dataclass(frozen=True)
class DataSource:
    """One source of the events behind the report, as the methods page credits it.

    `events` is how many of the report's events came from it; `citation` and `licence` are
    printed as they are.
    """

    name: str
    events: int
    citation: str
    licence: str


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report shows, computed beforehand.

    - `as_of`: the report's period, `YYYY-MM` (a month) or `YYYY-MM-DD` (a month so far).
    - `data_cutoff`: the date of the newest event used (None: no events).
    - `alerts`: what the detectors found for `as_of`.
    - `series`: series frames (forecasting.series) of fatalities (and events) for the watch
      area, each country and each admin1 unit, plus the series the alerts are about.
    - `forecasts`: a forecast frame (forecasting.models.base) for those series; its q05/q95 are
      the 90% expected range.
    - `tier_shares`: columns country, period (month start), tier (forecasting.events.TIERS),
      events, share (0..1 of the country's events that month).
    - `year_to_date`: what run-rate alert pages draw, one row per point: alert_id, curve
      (`this_year`, `earlier_year`, `on_pace`, `earlier_pace`), year, date, value (running total
      since 1 January); see forecasting.report_data.year_to_date_curves.
    - `alert_tier_shares`: what tier-shift alert pages draw: alert_id, period, at_tier, total,
      share (0..1, NaN without events), part (`before`, `baseline`, `window`); see
      forecasting.report_data.alert_tier_shares.
    - `synthetic`: True when any event came from the shipped synthetic sample.
    - `max_alert_pages`: critical alerts beyond this many get a table row, not a page.
    - `history_months`: how many months of history the trend charts show before `as_of`.
    - `units_hit`: what synchronized-wave pages draw: alert_id, day, units (admin2 units the
      family struck that day); see forecasting.report_data.units_hit_per_day.
    - `stories`: the alerts told as stories (forecasting.report_data.Story), most human impact
      first: what the brief's first page lists and gives pages to.
    - `month_events`, `earlier_events`: political-violence events of the month (up to as_of) and
      of the twelve months before, for the maps: event_date, country, admin1, admin2, location,
      latitude, longitude, fatalities.
    - `capitals`: the gazetteer's national, regional and provincial capitals (country, level,
      seat, latitude, longitude), labelled on the maps.
    - `data_start`: the date of the oldest event held (None: no events).
    """

    as_of: str
    watch_area: str
    countries: tuple[str, ...]
    data_cutoff: dt.date | None
    sources: tuple[DataSource, ...]
    synthetic: bool
    alerts: Sequence[Alert]
    series: pd.DataFrame
    forecasts: pd.DataFrame
    tier_shares: pd.DataFrame
    model: str
    max_alert_pages: int = 30
    history_months: int = 36
    year_to_date: pd.DataFrame = field(default_factory=pd.DataFrame)
    alert_tier_shares: pd.DataFrame = field(default_factory=pd.DataFrame)
    units_hit: pd.DataFrame = field(default_factory=pd.DataFrame)
    stories: Sequence[Story] = ()
    month_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    earlier_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    capitals: pd.DataFrame = field(default_factory=pd.DataFrame)
    data_start: dt.date | None = None

    @property
    def moment(self) -> AsOf:
        """`as_of` parsed (forecasting.as_of): the report's month and the last day it counts."""
        return parse_as_of(self.as_of)

    @property
    def month(self) -> pd.Timestamp:
        """The first day of the report's month."""
        return self.moment.month

    @property
    def months_held(self) -> int:
        """Calendar months from the oldest event held to the report's month, both counted."""
        if self.data_start is None:
            return 0
        return months_between(self.data_start, self.month) + 1

    @property
    def partial_month(self) -> bool:
        """True when the report covers only part of its month (as_of is a day)."""
        return self.moment.is_day and self.moment.share_of_month < 1


@dataclass(frozen=True)
class Chart:
    """One chart written as a PNG. `content_id` is what the HTML email body refers to as
    `cid:<content_id>`; the email step attaches the PNG under that Content-ID. It is the PNG's
    file name, so a mailer may also match images by file name and give them Content-IDs of its
    own. `inline` charts are the ones the email body shows."""

    key: str
    title: str
    path: Path
    width: int
    height: int
    content_id: str
    inline: bool


@dataclass(frozen=True)
class ReportFiles:
    """Where a rendered report went.

    `html` is a page for a browser (its images are the PNGs beside it); `email_html` is the
    same body for email, whose images are `cid:` references to `charts` with `inline` set.
    `html_body` is that email HTML as text, ready to send. `alert_ids` are the alerts the report
    shows (its table, headline findings, charts and PDF): with email.require_review, its email
    waits until each of them is approved.
    """

    out_dir: Path
    pdf: Path
    html: Path
    email_html: Path
    json: Path
    charts: tuple[Chart, ...]
    html_body: str
    headline_findings: tuple[str, ...]
    alert_ids: tuple[str, ...]
    pages: int
    alert_pages: int = 0
    brief_pages: int = 0
    #: One reports.emails.IncidentEmail per incident with a page, most human impact first.
    incident_emails: tuple = ()

    @property
    def pngs(self) -> list[Path]:
        return [chart.path for chart in self.charts]

    @property
    def inline_charts(self) -> list[Chart]:
        """The charts the email body shows inline (attach each under its content_id)."""
        return [chart for chart in self.charts if chart.inline]
