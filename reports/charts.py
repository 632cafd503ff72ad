"""The report's charts, each a matplotlib Figure (A4 landscape, no pyplot).

Every time chart shows the observed monthly values as a black line, the forecast mean as a
dashed blue line and the forecast's 5th-95th percentiles as a shaded "90% expected range";
alerts are marked where they happened, coloured and shaped by severity, and labelled.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecasting.alerts import SEVERITY_ORDER, Alert
from forecasting.wording import KIND_LABELS, MEASURE_NAMES, TIER_LABELS, count, month_label, number, period_label, place_name
from reports import style
from reports.inputs import ReportInputs
from reports.selection import alert_rows, alerts_about, by_severity, forecast_rows, month_of, series_rows

MEASURE_UNITS = {"fatalities": "Reported fatalities per month", "events": "Events per month"}
#: How many admin1 panels share one page of small multiples.
PANELS_PER_PAGE = 20
_HALF_MONTH = pd.Timedelta(days=13)


def trend_figure(inputs: ReportInputs, scope: dict[str, str | None], measure: str, title: str) -> Figure:
    """One series over the report's history window, with its forecast band and its alerts."""
    figure = style.new_page()
    axes = figure.add_axes((0.07, 0.12, 0.9, 0.72))
    _page_heading(figure, title, _trend_subtitle(inputs, measure))
    draw_trend(axes, inputs, scope, measure, label_alerts=True)
    if axes.get_legend_handles_labels()[0]:  # a scope with no data yet draws nothing to label
        axes.legend(loc="upper left", ncols=2)
    return figure


def draw_trend(axes: Axes, inputs: ReportInputs, scope: dict[str, str | None], measure: str, *, label_alerts: bool, compact: bool = False) -> None:
    """Observed line, forecast mean and 90% band, the report month and alert markers on `axes`."""
    rows = series_rows(inputs.series, measure, scope)
    start = inputs.month - pd.DateOffset(months=inputs.history_months)
    observed = rows[rows["period"] >= start]
    forecast = pd.DataFrame()
    if not rows.empty:
        forecast = forecast_rows(inputs.forecasts, rows["series_id"].iloc[0], measure)
        forecast = forecast[forecast["period"] >= start]

    if not forecast.empty:
        band_x, band_low, band_high = forecast["period"].to_numpy(), forecast["q05"].to_numpy(float), forecast["q95"].to_numpy(float)
        if len(forecast) == 1:
            # A one-month band has no width; widen it by about half a month each side.
            band_x, band_low, band_high = _widened(forecast["period"]), np.repeat(band_low, 2), np.repeat(band_high, 2)
        axes.fill_between(band_x, band_low, band_high, color=style.BAND_COLOUR, alpha=0.35, linewidth=0, label=style.BAND_LABEL)
        axes.plot(forecast["period"], forecast["mean"], color=style.EXPECTED_COLOUR, linestyle="--", linewidth=1.4,
                  marker=None if compact else ".", label="Expected (forecast mean)")
    if not observed.empty:
        axes.plot(observed["period"], observed["value"], color=style.OBSERVED_COLOUR, linewidth=1.3 if compact else 1.8,
                  marker=None if compact else "o", markersize=3, label="Observed")
        if inputs.partial_month and observed["period"].iloc[-1] == inputs.month:
            axes.plot([inputs.month], [observed["value"].iloc[-1]], marker="o", markersize=7, markerfacecolor="white",
                      markeredgecolor=style.OBSERVED_COLOUR, linestyle="none",
                      label=f"Month so far (to {inputs.moment.day.day} {inputs.month.strftime('%b')})")
    else:
        axes.text(0.5, 0.5, "No data for this series", transform=axes.transAxes, ha="center", va="center", color=style.TEXT_GREY)

    axes.axvline(inputs.month, color=style.GREY, linewidth=1, linestyle=":", zorder=0)
    _mark_alerts(axes, alerts_about(inputs.alerts, measure, scope), observed, label=label_alerts and not compact)
    # Counts are whole numbers: a series of zeros gets an axis to 1, not matplotlib's 0-0.05.
    axes.set_ylim(0, max(axes.get_ylim()[1], 1.0))
    style.format_month_axis(axes, compact=compact)
    if not compact:
        axes.set_ylabel(MEASURE_UNITS[measure])


#: A month with fewer located events than this is left blank on the tier chart: shares of a
#: handful of events swing to 0% or 100% and say nothing about where violence happens.
MIN_TIER_EVENTS = 10


def tier_figure(inputs: ReportInputs) -> Figure:
    """Share of each country's events by settlement tier over time, as stacked areas (each
    month sums to 100%), with the number of events behind them; tier-shift alerts are marked
    above their month."""
    figure = style.new_page()
    _page_heading(
        figure,
        "Where events happen: share of events by settlement tier",
        "Share of each month's political-violence events by tier (%): an event within the gazetteer radius of a capital "
        "or seat counts as at it.\n"
        f"Only events located at a named place (geo-precision 1); months with fewer than {MIN_TIER_EVENTS} of them are "
        "left blank.",
    )
    countries = list(inputs.countries) or sorted(inputs.tier_shares["country"].dropna().unique())
    grid = figure.add_gridspec(1, max(len(countries), 1), left=0.06, right=0.98, top=0.8, bottom=0.2, wspace=0.12)
    start = inputs.month - pd.DateOffset(months=inputs.history_months)
    shares = inputs.tier_shares[inputs.tier_shares["period"] >= start] if not inputs.tier_shares.empty else inputs.tier_shares
    handles: dict[str, object] = {}
    for column, country in enumerate(countries):
        axes = figure.add_subplot(grid[0, column], sharey=figure.axes[0] if column else None)
        table, events = pd.DataFrame(), 0
        if not shares.empty:
            mine = shares[shares["country"] == country]
            table = tier_table(mine)
            events = int(mine["events"].sum())
        axes.set_title(f"{country}: {number(events)} located events", fontsize=11)
        if table.empty:
            axes.text(0.5, 0.5, "No events", transform=axes.transAxes, ha="center", va="center", color=style.TEXT_GREY)
        else:
            tiers = [tier for tier in TIER_LABELS if tier in table.columns]
            drawn = axes.stackplot(
                table.index, *[table[tier].to_numpy() * 100 for tier in tiers],
                labels=[TIER_LABELS[tier] for tier in tiers], colors=[style.TIER_COLOURS[tier] for tier in tiers], linewidth=0,
            )
            handles.update((TIER_LABELS[tier], handle) for tier, handle in zip(tiers, drawn))
            _mark_tier_shifts(axes, [alert for alert in inputs.alerts if alert.kind == "tier_shift" and alert.scope.get("country") == country])
        axes.set_ylim(0, 100)
        axes.margins(x=0)
        axes.grid(axis="x", visible=False)
        style.format_month_axis(axes)
        if column == 0:
            axes.set_ylabel("Share of located events (%)")
        else:
            axes.tick_params(labelleft=False)
    if handles:
        # Every tier any country has, in the stacking order from the top (not only the last country's).
        order = [label for label in reversed(TIER_LABELS.values()) if label in handles]
        figure.legend(handles=[handles[label] for label in order], loc="lower center", ncols=5, bbox_to_anchor=(0.5, 0.06))
    return figure


def tier_table(shares: pd.DataFrame) -> pd.DataFrame:
    """One country's `monthly_tier_shares` rows as months x tiers of shares (0..1), a month with
    fewer than `MIN_TIER_EVENTS` located events all NaN (a gap on the chart)."""
    if shares.empty:
        return pd.DataFrame()
    table = shares.pivot_table(index="period", columns="tier", values="share", aggfunc="sum").fillna(0.0)
    totals = shares.groupby("period")["events"].sum().reindex(table.index)
    return table.mask(totals < MIN_TIER_EVENTS, axis=0)


def _mark_tier_shifts(axes: Axes, alerts: list[Alert]) -> None:
    """One marker per month with tier-shift alerts, at the top of the chart, naming the tiers
    (several alerts in one month, e.g. per actor, share one label)."""
    by_month: dict[pd.Timestamp, list[Alert]] = {}
    for alert in by_severity(alerts):
        by_month.setdefault(month_of(alert.period), []).append(alert)
    for month, found in by_month.items():
        worst = found[0].severity
        tiers = list(dict.fromkeys(TIER_LABELS.get(alert.scope.get("tier") or "", "tier").lower() for alert in found))
        axes.plot([month], [97], marker=style.SEVERITY_MARKERS[worst], color=style.SEVERITY_COLOURS[worst], markersize=8,
                  linestyle="none", zorder=5, clip_on=False)
        axes.annotate("Shift alert (" + worst + "):\n" + "\n".join(tiers), xy=(month, 97), xytext=(-8, -4),
                      textcoords="offset points", ha="right", va="top", fontsize=7.5, color=style.BLACK,
                      bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": style.SEVERITY_COLOURS[worst]})


def admin1_pages(inputs: ReportInputs, country: str, measure: str = "fatalities") -> list[Callable[[], Figure]]:
    """Small multiples: one panel per admin1 unit of `country` (alphabetical, so a reader finds
    a region where they expect it), each on its own scale; units with alerts are titled in
    the colour of their most severe alert and their alerts are marked. A page per
    PANELS_PER_PAGE units, each built when called (the report builds a page in the worker
    process that draws it)."""
    units = inputs.series[(inputs.series["level"] == "admin1") & (inputs.series["country"] == country) & (inputs.series["measure"] == measure)]
    names = sorted(units["admin1"].dropna().unique(), key=str.casefold)
    chunks = [names[first:first + PANELS_PER_PAGE] for first in range(0, len(names), PANELS_PER_PAGE)]
    return [functools.partial(_admin1_figure, inputs, country, measure, chunk,
                              f" ({index + 1} of {len(chunks)})" if len(chunks) > 1 else "")
            for index, chunk in enumerate(chunks)]


def _admin1_figure(inputs: ReportInputs, country: str, measure: str, chunk: list[str], part: str) -> Figure:
    figure = style.new_page()
    _page_heading(
        figure,
        f"{country}: {measure} by admin1 unit{part}",
        f"{MEASURE_UNITS[measure]}, each panel on its own scale; shading: {style.BAND_LABEL}; "
        "markers: alerts (\u25a0 critical, \u25c6 warning, \u25cf info)",
    )
    columns = 2 if len(chunk) <= 4 else 3 if len(chunk) <= 9 else 4
    rows = -(-len(chunk) // columns)
    grid = figure.add_gridspec(rows, columns, left=0.05, right=0.98, top=0.83, bottom=0.09, hspace=0.6, wspace=0.22)
    for index, name in enumerate(chunk):
        axes = figure.add_subplot(grid[index // columns, index % columns])
        scope = {"country": country, "admin1": name}
        draw_trend(axes, inputs, scope, measure, label_alerts=False, compact=True)
        unit_alerts = alerts_about(inputs.alerts, measure, scope)
        worst = max(unit_alerts, key=lambda alert: SEVERITY_ORDER[alert.severity], default=None)
        axes.set_title(name + (f"  \u2014 {worst.severity}" if worst else ""), fontsize=9.5,
                       color=style.SEVERITY_COLOURS[worst.severity] if worst else style.BLACK)
        axes.tick_params(labelsize=7.5)
    return figure


#: What an alert's observed value, expected value and range are, by kind: each detector compares
#: its own quantity (a month's count, a new level, a year-to-date total, a count at one tier).
_FACT_NAMES = {
    "surge": ("Observed", "Expected (forecast)", "90% expected range"),
    "drop": ("Observed", "Expected (forecast)", "90% expected range"),
    "record": ("Observed", "Expected", "90% expected range"),
    "change_point": ("New level (mean a month)", "Level before (mean a month)", "Range before"),
    "run_rate": ("So far this year", "Expected so far at the earlier years' pace", "90% range at that pace"),
    "tier_shift": ("At this tier in the window", "Expected at the usual share", "90% range at the usual share"),
    "spread": ("Observed", "Usual monthly rate (past year)", "90% range at that rate"),
    "synchronized": ("Units hit", "Usual number of units hit", "90% expected range"),
}


def alert_chart(figure: Figure, rect: tuple[float, float, float, float], inputs: ReportInputs, alert: Alert) -> Axes:
    """Chart exactly what `alert` compares in `rect` of `figure` (left, bottom, width, height):
    a year-to-date total for a run rate, a share at a tier for a tier shift, else the monthly
    series with its forecast range. Returns the axes."""
    place = place_name(alert.scope, inputs.watch_area)
    scope = {key: alert.scope.get(key) for key in ("country", "admin1", "admin2", "tier", "actor")}
    # A run rate and a tier shift compare a year-to-date total and a share, not a month's count:
    # their pages draw that quantity (when the job prepared it), other kinds the monthly series.
    year_to_date = alert_rows(inputs.year_to_date, alert.id) if alert.kind == "run_rate" else pd.DataFrame()
    shares = alert_rows(inputs.alert_tier_shares, alert.id) if alert.kind == "tier_shift" else pd.DataFrame()
    units = alert_rows(inputs.units_hit, alert.id) if alert.kind == "synchronized" else pd.DataFrame()
    left, bottom, width, height = rect
    if not year_to_date.empty:
        axes = figure.add_axes((left, bottom, width - 0.05, height))  # room on the right for the December labels
        draw_year_to_date(axes, year_to_date, alert)
        _chart_title(axes, f"{place}: {MEASURE_NAMES[alert.measure]} since 1 January, each year")
        return axes
    axes = figure.add_axes(rect)
    if not shares.empty:
        draw_alert_tier_share(axes, inputs, shares, alert)
        return axes
    if not units.empty:
        draw_units_hit(axes, units, alert)
        _chart_title(axes, f"{place}: admin2 units struck each day")
        return axes
    if series_rows(inputs.series, alert.measure, scope).empty:
        axes.text(0.5, 0.5, "The series behind this alert is not in the report's data", transform=axes.transAxes,
                  ha="center", va="center", color=style.TEXT_GREY)
        axes.set_axis_off()
    else:
        draw_trend(axes, inputs, scope, alert.measure, label_alerts=True)
        _alert_range(axes, inputs, alert, scope)
        axes.legend(loc="upper left", ncols=2, fontsize=8.5)
        _chart_title(axes, f"{place}: {MEASURE_NAMES[alert.measure]} per month")
    return axes


#: Running totals of earlier years: told apart by line style and a label at their December end.
_EARLIER_YEAR_STYLES = (("--", style.BLUISH_GREEN), ("-.", style.TEXT_GREY), (":", style.REDDISH_PURPLE))
_SINCE_JANUARY = {"fatalities": "Reported fatalities since 1 January", "events": "Events since 1 January"}


def draw_year_to_date(axes: Axes, curves: pd.DataFrame, alert: Alert) -> None:
    """A run-rate alert's claim on `axes`: the running total of its year against the same curve
    for each earlier year it compares with, the straight "on pace" line to December, and the
    earlier years' average pace with the alert's expected value and 90% range at the as-of date.
    `curves`: the alert's rows of ReportInputs.year_to_date."""
    this_year = curves[curves["curve"] == "this_year"]
    year = int(this_year["year"].iloc[0])
    as_of_date, so_far = this_year["date"].iloc[-1], float(this_year["value"].iloc[-1])
    ends = []  # (December value, text, colour) labelled right of the chart
    for index, (earlier_year, rows) in enumerate(curves[curves["curve"] == "earlier_year"].groupby("year")):
        linestyle, colour = _EARLIER_YEAR_STYLES[index % len(_EARLIER_YEAR_STYLES)]
        axes.plot(rows["date"], rows["value"], color=colour, linestyle=linestyle, linewidth=1.6,
                  label=f"{earlier_year} (full year: {number(rows['value'].iloc[-1])})")
        ends.append((float(rows["value"].iloc[-1]), str(earlier_year), colour))
    pace = curves[curves["curve"] == "earlier_pace"]
    axes.plot(pace["date"], pace["value"], color=style.EXPECTED_COLOUR, linestyle="--", linewidth=1.3,
              label="Average pace of " + " and ".join(str(y) for y in sorted(curves.loc[curves["curve"] == "earlier_year", "year"].unique())))
    ends.append((float(pace["value"].iloc[-1]), "average", style.EXPECTED_COLOUR))
    on_pace = curves[curves["curve"] == "on_pace"]
    axes.plot(on_pace["date"], on_pace["value"], color=style.OBSERVED_COLOUR, linestyle=":", linewidth=1.5,
              label=f"{year} on pace: {number(on_pace['value'].iloc[-1])} by December")
    ends.append((float(on_pace["value"].iloc[-1]), "on pace", style.OBSERVED_COLOUR))
    axes.plot(this_year["date"], this_year["value"], color=style.OBSERVED_COLOUR, linewidth=2.2, marker="o", markersize=3.5,
              label=f"{year} so far")
    if alert.lower is not None and alert.upper is not None:
        edges = np.array([as_of_date - pd.Timedelta(days=9), as_of_date + pd.Timedelta(days=9)], dtype="datetime64[ns]")
        axes.fill_between(edges, alert.lower, alert.upper, color=style.BAND_COLOUR, alpha=0.5, linewidth=0,
                          label=f"{style.BAND_LABEL} at the earlier pace")
    if alert.expected is not None:
        axes.plot([as_of_date], [alert.expected], color=style.EXPECTED_COLOUR, marker="_", markersize=16, markeredgewidth=2.5,
                  linestyle="none", label=f"Expected at the earlier pace: {count(alert.expected)}")
    colour = style.SEVERITY_COLOURS[alert.severity]
    axes.plot([as_of_date], [so_far], marker=style.SEVERITY_MARKERS[alert.severity], markersize=10, color=colour,
              linestyle="none", zorder=5, label=f"Alert ({alert.severity})")
    axes.annotate(f"{number(so_far)} to {as_of_date.day} {as_of_date.strftime('%b')}", xy=(as_of_date, so_far),
                  xytext=(10, -10), textcoords="offset points", ha="left", va="top", fontsize=9, color=colour, fontweight="bold")
    axes.set_ylim(0, max(float(curves["value"].max()), alert.upper or 0) * 1.08)
    _label_line_ends(axes, ends)
    style.format_month_of_year_axis(axes)
    axes.set_xlim(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31))
    axes.set_ylabel(_SINCE_JANUARY[alert.measure])
    axes.set_xlabel(f"Running total at each month's end (earlier years on {year}'s calendar)", fontsize=9, color=style.TEXT_GREY)
    axes.legend(loc="upper left")


def draw_units_hit(axes: Axes, units: pd.DataFrame, alert: Alert) -> None:
    """A synchronized wave's claim on `axes`: admin2 units struck each day as bars, the usual
    number a day with its 90% range as a band, the wave's day marked. `units`: the alert's rows
    of ReportInputs.units_hit."""
    axes.bar(units["day"], units["units"], width=0.8, color=style.GREY, label="Admin2 units struck that day")
    if alert.lower is not None and alert.upper is not None:
        axes.axhspan(alert.lower, alert.upper, color=style.BAND_COLOUR, alpha=0.3, linewidth=0, label=style.BAND_LABEL + " for a day")
    if alert.expected is not None:
        axes.axhline(alert.expected, color=style.EXPECTED_COLOUR, linestyle="--", linewidth=1.4,
                     label=f"Usual number a day: {count(alert.expected)}")
    day = pd.Timestamp(alert.period) if len(alert.period) == 10 else units.loc[units["units"].idxmax(), "day"]
    colour = style.SEVERITY_COLOURS[alert.severity]
    axes.bar([day], [alert.observed], width=0.8, color=colour, label=f"{period_label(alert.period)}: {count(alert.observed)} units")
    axes.set_ylim(0, max(float(units["units"].max()), float(alert.observed), alert.upper or 0) * 1.25 + 0.5)
    axes.yaxis.get_major_locator().set_params(integer=True)
    style.format_month_axis(axes)
    axes.set_ylabel("Admin2 units struck in a day")
    axes.legend(loc="upper left", fontsize=8.5)


def _label_line_ends(axes: Axes, ends: list[tuple[float, str, str]]) -> None:
    """Name each line at its December end, right of the chart, nudging labels apart so that
    lines ending close together stay readable."""
    low, high = axes.get_ylim()
    gap = (high - low) * 0.045
    y = low - gap
    for value, text, colour in sorted(ends):
        y = max(value, y + gap)
        axes.text(1.0, y, f"  {text}: {number(value)}", transform=axes.get_yaxis_transform(), fontsize=8, color=colour,
                  va="center", ha="left", clip_on=False)


def draw_alert_tier_share(axes: Axes, inputs: ReportInputs, shares: pd.DataFrame, alert: Alert) -> None:
    """A tier-shift alert's claim on `axes`: the monthly share of the scope's events (or
    fatalities) at the tier, the baseline share over its months, the alert's window shaded with
    the window's pooled share and the 90% range a window that size has at the baseline share.
    `shares`: the alert's rows of ReportInputs.alert_tier_shares; the baseline share, its range
    and the window's share are the alert's evidence."""
    evidence = alert.evidence
    tier = TIER_LABELS.get(alert.scope.get("tier") or "", "the tier").lower()
    noun = "events" if alert.measure == "events" else "reported fatalities"
    start = month_of(alert.period) - pd.DateOffset(months=inputs.history_months)
    baseline, window = shares[shares["part"] == "baseline"], shares[shares["part"] == "window"]
    shown = shares[(shares["period"] >= start) | (shares["part"] != "before")]
    window_edges = _span(window["period"])
    axes.axvspan(*window_edges, color=style.LIGHT_GREY, alpha=0.7, linewidth=0, zorder=0,
                 label=f"Alert window ({len(window)} month{'s' if len(window) != 1 else ''})")
    if {"baseline_lower_share", "baseline_upper_share"} <= evidence.keys():
        axes.fill_between(np.array(window_edges, dtype="datetime64[ns]"), evidence["baseline_lower_share"] * 100,
                          evidence["baseline_upper_share"] * 100, color=style.BAND_COLOUR, alpha=0.45, linewidth=0,
                          label=f"{style.BAND_LABEL} for the window at the usual share")
    if "baseline_share" in evidence and not baseline.empty:
        axes.plot(_span(pd.concat([baseline["period"], window["period"]])), [evidence["baseline_share"] * 100] * 2,
                  color=style.EXPECTED_COLOUR, linestyle="--", linewidth=1.6,
                  label=f"Usual share, {len(baseline)} months before the window: {evidence['baseline_share'] * 100:.0f}%")
    axes.plot(shown["period"], shown["share"] * 100, color=style.OBSERVED_COLOUR, linewidth=1.4, marker="o", markersize=3,
              label=f"Monthly share at {tier}")
    colour = style.SEVERITY_COLOURS[alert.severity]
    if "share" in evidence:
        axes.plot(window_edges, [evidence["share"] * 100] * 2, color=colour, linewidth=3.5, solid_capstyle="butt",
                  label=f"Share in the window: {evidence['share'] * 100:.0f}% ({number(alert.observed)} of "
                        f"{number(evidence.get('total'))})")
        axes.plot([month_of(alert.period)], [evidence["share"] * 100], marker=style.SEVERITY_MARKERS[alert.severity],
                  markersize=10, color=colour, linestyle="none", zorder=5, label=f"Alert ({alert.severity})")
    highest = max(float(shown["share"].fillna(0).max()), evidence.get("share", 0), evidence.get("baseline_upper_share", 0))
    # Room above for the legend, but a share never reads above 100%.
    axes.set_ylim(0, min(max(highest, 0.01) * 100 * 1.35, 100))
    style.format_month_axis(axes)
    axes.set_ylabel(f"Share of {noun} at {tier} (%)")
    axes.legend(loc="upper left", ncols=2, fontsize=8.5)
    whose = f" ({alert.scope['actor']})" if alert.scope.get("actor") else ""
    _chart_title(axes, f"{alert.scope.get('country')}{whose}: share of {noun} at {tier}, per month")


def _span(periods: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From half a month before the first month to half a month after the last (monthly points
    sit at month starts, so a span of months is centred on its points)."""
    return pd.Timestamp(periods.min()) - _HALF_MONTH, pd.Timestamp(periods.max()) + _HALF_MONTH


def _alert_range(axes: Axes, inputs: ReportInputs, alert: Alert, scope: dict) -> None:
    """The alert's own expected range, drawn when the forecast frame has no row for its month
    (e.g. a detector that sets its own baseline)."""
    if alert.lower is None or alert.upper is None:
        return
    rows = series_rows(inputs.series, alert.measure, scope)
    forecast = forecast_rows(inputs.forecasts, rows["series_id"].iloc[0], alert.measure)
    month = month_of(alert.period)
    if not forecast.empty and (forecast["period"] == month).any():
        return
    value = rows.loc[rows["period"] == month, "value"]
    if value.empty or float(value.iloc[0]) != float(alert.observed):
        return  # the alert's range is about another quantity (a year-to-date total, a share)
    axes.errorbar([month], [alert.expected if alert.expected is not None else (alert.lower + alert.upper) / 2],
                  yerr=[[max((alert.expected or alert.lower) - alert.lower, 0)], [max(alert.upper - (alert.expected or alert.upper), 0)]],
                  color=style.EXPECTED_COLOUR, capsize=5, linewidth=2, marker="_", markersize=12, label="Alert's expected range")


def _mark_alerts(axes: Axes, alerts: Sequence[Alert], observed: pd.DataFrame, *, label: bool) -> None:
    """A marker per month with alerts, shaped and coloured by the worst severity, labelled
    with the kinds of alert found that month."""
    values = dict(zip(observed["period"], observed["value"])) if not observed.empty else {}
    by_month: dict[pd.Timestamp, list[Alert]] = {}
    for alert in by_severity(alerts):
        by_month.setdefault(month_of(alert.period), []).append(alert)
    shown = set()
    for month, found in by_month.items():
        worst = found[0]
        # A daily alert (a synchronized wave, a 30-day record) or a year-to-date pace counts
        # something other than the month's value; the marker sits on the month's value.
        y = values.get(month, worst.observed)
        colour = style.SEVERITY_COLOURS[worst.severity]
        legend = f"Alert ({worst.severity})"
        axes.plot([month], [y], marker=style.SEVERITY_MARKERS[worst.severity], markersize=9, color=colour, linestyle="none",
                  zorder=5, label=None if legend in shown else legend)
        shown.add(legend)
        if label:
            kinds = "\n".join(dict.fromkeys(KIND_LABELS.get(alert.kind, alert.kind) for alert in found))
            axes.annotate(kinds, xy=(month, y), xytext=(-12, 0), textcoords="offset points", ha="right", va="center",
                          fontsize=8.5, color=colour, fontweight="bold", arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.8})


def _widened(periods: pd.Series) -> np.ndarray:
    pairs = [(period - _HALF_MONTH, period + _HALF_MONTH) for period in pd.to_datetime(periods)]
    return np.array([edge for pair in pairs for edge in pair], dtype="datetime64[ns]")


def _chart_title(axes: Axes, title: str) -> None:
    """A chart's title wrapped to the width of its axes, so a long place name never runs into the
    facts beside the chart."""
    import textwrap

    width = axes.get_position().width * axes.figure.get_figwidth() * 72 / (10.5 * 0.6)  # characters of 10.5 pt
    axes.set_title("\n".join(textwrap.wrap(title, max(int(width), 30))), fontsize=10.5)


def _page_heading(figure: Figure, title: str, subtitle: str) -> None:
    figure.text(0.05, 0.95, title, fontsize=15, fontweight="bold", va="top")
    figure.text(0.05, 0.905, subtitle, fontsize=9.5, color=style.TEXT_GREY, va="top")


def _trend_subtitle(inputs: ReportInputs, measure: str) -> str:
    return (f"{MEASURE_UNITS[measure]}, {inputs.history_months} months to {month_label(inputs.month)}; "
            f"dashed: forecast by the {inputs.model} model; shading: {style.BAND_LABEL}")
