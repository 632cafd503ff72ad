"""The appendix's text pages, laid out on A4-landscape figures: every alert, methods."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable

from matplotlib.figure import Figure

from forecasting.alerts import Alert
from forecasting.wording import (
    KIND_LABELS,
    SEVERITY_LABELS,
    count_cell,
    expected_cell,
    month_label,
    number,
    period_label,
    place_name,
)
from reports import style
from reports.inputs import SYNTHETIC_NOTICE, ReportInputs
from reports.selection import by_severity

#: Text lines per alert-table page (rows wrap, so a page holds fewer rows than this).
TABLE_LINES_PER_PAGE = 36
_LINE = 0.0205
ALERT_COLUMNS = ("Severity", "Where", "What", "Period", "Observed", "Expected (90% range)", "Finding")
_TABLE_COLUMNS = tuple(  # (heading, x position, wrap width in characters)
    zip(ALERT_COLUMNS, (0.05, 0.125, 0.31, 0.43, 0.525, 0.59, 0.69), (11, 28, 18, 13, 9, 16, 46))
)


def report_title(inputs: ReportInputs) -> str:
    return f"{inputs.watch_area}: political violence trends, {month_label(inputs.month)}"


def period_text(inputs: ReportInputs) -> str:
    """`May 2025` or, for a month so far, `1-14 July 2025 (month so far)`."""
    if inputs.partial_month:
        return f"1\u2013{inputs.moment.day.day} {month_label(inputs.month)} (month so far)"
    return month_label(inputs.month)


def alert_table_pages(inputs: ReportInputs) -> list[Callable[[], Figure]]:
    """The alerts, most severe first, as many pages as they need (at least one), each built when
    called (the report builds a page in the worker process that draws it); how many there are
    is known at once."""
    alerts = by_severity(inputs.alerts)
    rows = [_table_row(inputs, alert) for alert in alerts]
    pages: list[list[tuple[Alert, list[list[str]]]]] = [[]]
    used = 0
    for alert, cells in zip(alerts, rows):
        height = max(len(cell) for cell in cells)
        if used + height > TABLE_LINES_PER_PAGE and pages[-1]:
            pages.append([])
            used = 0
        pages[-1].append((alert, cells))
        used += height + 0.6
    return [functools.partial(_alert_table_figure, inputs, len(alerts), page, f" ({index + 1} of {len(pages)})" if len(pages) > 1 else "")
            for index, page in enumerate(pages)]


def _alert_table_figure(inputs: ReportInputs, alerts: int, page: list[tuple[Alert, list[list[str]]]], part: str) -> Figure:
    figure = style.new_page()
    figure.text(0.05, 0.95, f"Alerts for {period_text(inputs)}{part}", fontsize=15, fontweight="bold", va="top")
    figure.text(0.05, 0.905, f"{alerts} alerts, most severe first. Expected: the forecast for the month; "
                "range: where 90% of months are expected to fall.", fontsize=9.5, color=style.TEXT_GREY, va="top")
    y = 0.86
    for heading, x, width in _TABLE_COLUMNS:
        figure.text(x, y, "\n".join(textwrap.wrap(heading, width)), fontsize=9, fontweight="bold", va="top")
    y -= 0.05
    figure.add_artist(_rule(figure, y + 0.012))
    if not page:
        figure.text(0.05, y - 0.01, "No alerts: every series stayed within its expected range.", fontsize=11, va="top")
    for alert, cells in page:
        colour = style.SEVERITY_COLOURS[alert.severity]
        for (heading, x, _width), lines in zip(_TABLE_COLUMNS, cells):
            is_severity = heading == "Severity"
            figure.text(x, y, "\n".join(lines), fontsize=8.5, va="top", linespacing=1.25,
                        color=colour if is_severity else style.BLACK, fontweight="bold" if is_severity else "normal")
        y -= _LINE * max(len(cell) for cell in cells) + 0.012
    return figure


def methods_page(inputs: ReportInputs) -> Figure:
    """Sources and licences, how the numbers are made, what the bands and alerts mean."""
    figure = style.new_page()
    figure.text(0.05, 0.95, "Methods and data", fontsize=15, fontweight="bold", va="top")
    blocks = methods_text(inputs)
    x, y = 0.05, 0.89
    for heading, paragraphs in blocks:
        lines = [line for paragraph in paragraphs for line in textwrap.wrap(paragraph, 78, break_on_hyphens=False) + [""]]
        needed = 0.03 + _LINE * 0.95 * len(lines)
        if y - needed < 0.05 and x < 0.5:
            x, y = 0.52, 0.89
        colour = style.VERMILLION if heading.startswith("Synthetic") else style.BLACK
        figure.text(x, y, heading, fontsize=11, fontweight="bold", va="top", color=colour)
        figure.text(x, y - 0.028, "\n".join(lines), fontsize=8.8, va="top", linespacing=1.3)
        y -= needed + 0.01
    return figure


def methods_text(inputs: ReportInputs) -> list[tuple[str, list[str]]]:
    """The methods page as (heading, paragraphs); the HTML and JSON reuse it."""
    blocks = []
    if inputs.synthetic:
        blocks.append(("Synthetic data", [SYNTHETIC_NOTICE, "Replace the sample with ACLED or UCDP data by configuration "
                                         "(config.yaml: data and sources) before drawing any conclusion."]))
    sources = [f"{source.name}: {number(source.events)} events. {source.citation} Licence: {source.licence}" for source in inputs.sources]
    cutoff = inputs.data_cutoff.isoformat() if inputs.data_cutoff else "no events"
    blocks.append(("Data", [*(sources or ["No events were available."]),
                            f"Newest event used: {cutoff}. Nothing dated after {inputs.as_of} was used."]))
    blocks.append(("Monthly series", [
        "Political-violence events (ACLED's battles, explosions and remote violence, and violence against civilians; "
        "all of UCDP GED) are counted by event date into calendar months, for the watch area, each country, each "
        "admin1 and admin2 unit, settlement tier and armed actor. Protests and riots are not counted in them (they are "
        "a measure of their own, when asked for), nor strategic developments; protesters and rioters are not armed "
        "actors. Fatalities are the sources' reported figures, which are conservative estimates and are revised as "
        "reporting improves. A month with no event counts as zero.",
    ]))
    blocks.append(("Forecasts and the 90% expected range", [
        f"Each series is forecast by the '{inputs.model}' model from its own history before the month it forecasts. "
        "The dashed line is the forecast mean. The shaded band, the 90% expected range, runs from the forecast's 5th "
        "to its 95th percentile: if the model is right, about one month in ten falls outside it by chance alone, "
        "so a point outside the band is not by itself an alert.",
    ]))
    blocks.append(("Alerts", [
        "Detectors compare each month with its forecast and with the series' own history, and control the share of "
        "false alarms across all series tested in a month. Kinds: " + "; ".join(
            f"{label.lower()}" for label in KIND_LABELS.values()) + ". Critical alerts get a page of their own.",
    ]))
    blocks.append(("Settlement tiers", [
        "An event counts as at a capital or seat when it lies within the gazetteer radius of one: the national capital, "
        "regional (admin1) capitals, provincial (admin2) capitals, or commune (admin3) seats; every other event is "
        "'elsewhere'. Only events located at their place count in a tier (ACLED geo-precision 1; UCDP GED where_prec "
        "1 or 2): an event the source coded to a nearby town or the provincial capital because the village is unknown "
        "counts in its admin units but in no tier, and tier alerts say how many were left out.",
    ]))
    return blocks


def stamp(figure: Figure, inputs: ReportInputs) -> None:
    """The footer every page and chart carries: which report it is from and whether its data
    are synthetic (a PNG forwarded alone still says so). The PDF adds page numbers."""
    figure.text(0.05, 0.025, f"conflictwatch \u00b7 {inputs.watch_area} \u00b7 {period_text(inputs)}", fontsize=7.5,
                color=style.TEXT_GREY)
    if inputs.synthetic:
        figure.text(0.5, 0.025, "SYNTHETIC DATA \u2013 not ACLED or UCDP data", fontsize=8, color=style.VERMILLION,
                    fontweight="bold", ha="center")


def alert_row(inputs: ReportInputs, alert: Alert) -> list[str]:
    """One alert as the table shows it, column by column (ALERT_COLUMNS); HTML reuses it. Its
    numbers are printed as its sentence (the Finding column) prints them."""
    return [
        SEVERITY_LABELS[alert.severity],
        place_name(alert.scope, inputs.watch_area),
        f"{KIND_LABELS.get(alert.kind, alert.kind)}, {alert.measure}",
        period_label(alert.period),
        count_cell(alert.observed),
        expected_cell(alert.expected, alert.lower, alert.upper),
        alert.message,
    ]


def _table_row(inputs: ReportInputs, alert: Alert) -> list[list[str]]:
    values = alert_row(inputs, alert)
    return [textwrap.wrap(value, width, break_on_hyphens=False) or [""] for value, (_h, _x, width) in zip(values, _TABLE_COLUMNS)]


def _rule(figure: Figure, y: float):
    from matplotlib.lines import Line2D

    return Line2D([0.05, 0.97], [y, y], transform=figure.transFigure, color=style.GREY, linewidth=0.8)
