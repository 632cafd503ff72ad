"""The brief: page 1 (the month in five lines, what the data cover), a page per new or escalating
story, and the table of the others. Text comes from `brief_text` so the PDF, the HTML and the
emails say the same with the same numbers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from forecasting.report_data import Story
from reports import style
from reports.charts import _FACT_NAMES, alert_chart
from reports.findings import story_sentence
from reports.inputs import SYNTHETIC_NOTICE, ReportInputs
from forecasting.wording import (
    KIND_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    count_cell,
    evidence_facts,
    expected_cell,
    month_label,
    p_value,
    period_label,
    place_name,
    value_range,
)

#: What the report counts, said once (page 1, HTML, methods).
WHAT_IS_COUNTED = (
    "Political-violence events (battles, explosions and remote violence, violence against civilians) and the "
    "fatalities the sources report for them; demonstrations and strategic developments are not counted."
)


@dataclass(frozen=True)
class BriefLine:
    """One of page 1's lines: a story's sentence and the page that tells it (None: in a table),
    or a sentence of context (story None)."""

    story: Story | None
    text: str
    page: int | None


def story_title(inputs: ReportInputs, story: Story) -> str:
    """`Kayes (Mali): record` style heading, in the analyst's words (no ids, no field names)."""
    return f"{place_name(story.lead.scope, inputs.watch_area)}: {KIND_LABELS.get(story.lead.kind, story.lead.kind).lower()}"


def coverage_lines(inputs: ReportInputs) -> list[tuple[str, str]]:
    """(label, text) pairs: months held, newest event, sources, what is counted."""
    held = (f"{count_cell(inputs.months_held)} months, {month_label(inputs.data_start)} to {month_label(inputs.month)}"
            if inputs.data_start else "no events")
    newest = inputs.data_cutoff.strftime("%-d %B %Y") if inputs.data_cutoff else "no events"
    sources = "; ".join(f"{source.name} ({count_cell(source.events)} events)" for source in inputs.sources) or "none"
    return [("Months held", held), ("Newest event", newest), ("Sources", sources), ("What is counted", WHAT_IS_COUNTED)]


def first_page(inputs: ReportInputs, lines: Sequence[BriefLine], title: str, period: str, contents: Sequence[tuple[str, str]],
               others_page_number: int) -> Figure:
    """Page 1: title, period, the synthetic-data notice if any, the month in five lines (each
    with the page that tells it), what the data cover, and where the rest is."""
    figure = style.new_page()
    figure.text(0.05, 0.95, "conflictwatch brief", fontsize=11, color=style.TEXT_GREY, va="top")
    figure.text(0.05, 0.915, title, fontsize=19, fontweight="bold", va="top")
    figure.text(0.05, 0.86, f"Period: {period}", fontsize=10.5, va="top")
    y = 0.82
    if inputs.synthetic:
        notice = textwrap.wrap(SYNTHETIC_NOTICE, 130)
        figure.text(0.05, y, "\n".join(notice), fontsize=9.5, va="top", color=style.VERMILLION, fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.5", "facecolor": "#FBEBDD", "edgecolor": style.VERMILLION})
        y -= 0.035 * len(notice) + 0.035
    figure.text(0.05, y, "The month in five lines", fontsize=14, fontweight="bold", va="top")
    y -= 0.045
    if not lines:
        figure.text(0.05, y, "No alert this month: every series tested stayed within what was expected of it.", fontsize=11, va="top")
        y -= 0.05
    for index, line in enumerate(lines, start=1):
        wrapped = textwrap.wrap(line.text, 122, break_on_hyphens=False)
        colour = style.SEVERITY_COLOURS[line.story.severity] if line.story else style.TEXT_GREY
        figure.text(0.05, y, f"{index}.", fontsize=11, fontweight="bold", va="top", color=colour)
        figure.text(0.075, y, "\n".join(wrapped), fontsize=10.5, va="top", linespacing=1.3)
        if line.story is not None:
            where = f"page {line.page}" if line.page else f"page {others_page_number}"
            figure.text(0.97, y, where, fontsize=10, va="top", ha="right", color=style.TEXT_GREY)
        y -= 0.026 * len(wrapped) + 0.018
    y -= 0.015
    figure.text(0.05, y, "What the data cover", fontsize=12.5, fontweight="bold", va="top")
    if contents:
        figure.text(0.64, y, "In this report", fontsize=12.5, fontweight="bold", va="top")
        line_y = y - 0.04
        for section, pages in contents:
            wrapped = textwrap.wrap(section, 44)
            figure.text(0.64, line_y, "\n".join(wrapped), fontsize=9, va="top", linespacing=1.25)
            figure.text(0.97, line_y, pages, fontsize=9, va="top", ha="right", color=style.TEXT_GREY)
            line_y -= 0.022 * len(wrapped) + 0.008
    y -= 0.04
    for label, text in coverage_lines(inputs):
        wrapped = textwrap.wrap(text, 72, break_on_hyphens=False)
        figure.text(0.05, y, label, fontsize=9, color=style.TEXT_GREY, va="top")
        figure.text(0.17, y, "\n".join(wrapped), fontsize=9, va="top", linespacing=1.25)
        y -= 0.022 * len(wrapped) + 0.008
    return figure


def story_facts(inputs: ReportInputs, story: Story) -> list[tuple[str, str]]:
    """What the lead alert compares, as (label, value): observed, expected, range, p-value."""
    alert = story.lead
    observed, expected, range_name = _FACT_NAMES.get(alert.kind, _FACT_NAMES["surge"])
    facts = [
        ("Severity", f"{SEVERITY_LABELS[alert.severity]} ({STATUS_LABELS[alert.status].lower()})"),
        ("Period", period_label(alert.period)),
        (observed, count_cell(alert.observed)),
    ]
    if alert.expected is not None:
        facts.append((expected, count_cell(alert.expected)))
    if alert.lower is not None and alert.upper is not None:
        facts.append((range_name, value_range(alert.lower, alert.upper)))
    facts.append(("Chance of this by luck alone", p_value(alert.score)))
    # What the detector saw, in words; which model and how many tests are for the JSON.
    facts += [(label, text) for label, text in evidence_facts(alert.evidence)
              if label not in ("Forecast model", "Forecast fallback", "Tests this month", "Admin2 units")]
    if story.excess_deaths >= 1:
        label = "Deaths above expected, a month on average" if story.excess_is_average else "Deaths above expected in the month"
        facts.append((label, count_cell(story.excess_deaths)))
    return facts


def member_lines(inputs: ReportInputs, story: Story) -> list[str]:
    """The story's other alerts, one short line each."""
    lines = []
    for alert in story.members[1:]:
        lines.append(f"{KIND_LABELS.get(alert.kind, alert.kind)}, {place_name(alert.scope, inputs.watch_area)} "
                     f"({'deaths' if alert.measure == 'fatalities' else 'events'}: {count_cell(alert.observed)})")
    return lines


EVENT_COLUMNS = ("Date", "Place", "Actor", "Deaths", "Source id", "Note")
_EVENT_X = (0.05, 0.125, 0.285, 0.45, 0.5, 0.585)
_EVENT_WRAP = (10, 26, 26, 6, 13, 66)
#: Where a story page's table of driving events starts, and how far above that its heading is.
_EVENTS_TOP = 0.3
_EVENTS_HEADING = 0.035


#: The gid of a story page's chart axes: the incident email shows that part of the page.
STORY_CHART = "story-chart"


def story_page(inputs: ReportInputs, story: Story) -> Figure:
    """One story: heading, its sentence, the chart of what it compares, the facts, its other
    alerts, and the table of its driving events."""
    figure = style.new_page()
    colour = style.SEVERITY_COLOURS[story.severity]
    figure.text(0.05, 0.955, f"{SEVERITY_LABELS[story.severity]} \u00b7 {STATUS_LABELS[story.status].lower()}", fontsize=10, color=colour,
                fontweight="bold", va="top")
    figure.text(0.05, 0.93, story_title(inputs, story)[:1].upper() + story_title(inputs, story)[1:], fontsize=15,
                fontweight="bold", va="top")
    sentence = textwrap.wrap(story_sentence(story), 125, break_on_hyphens=False)
    figure.text(0.05, 0.885, "\n".join(sentence), fontsize=10.5, va="top", linespacing=1.35)
    top = 0.885 - 0.028 * len(sentence) - 0.06
    alert_chart(figure, (0.07, 0.42, 0.56, top - 0.42), inputs, story.lead).set_gid(STORY_CHART)
    y = top + 0.03
    for label, value in story_facts(inputs, story):
        figure.text(0.69, y, label, fontsize=8, color=style.TEXT_GREY, va="top")
        figure.text(0.69, y - 0.02, value, fontsize=9.5, va="top")
        y -= 0.045
    members = member_lines(inputs, story)
    if members:
        figure.text(0.69, y, f"Other alerts of this incident ({len(members)})", fontsize=8, color=style.TEXT_GREY, va="top")
        y -= 0.022
        shown = 0
        for line in members[:6]:
            wrapped = textwrap.wrap(line, 48)[:2]
            # Above the driving events' table, with room left for "and N more" where some follow.
            below = y - 0.018 * len(wrapped) - (0.022 if shown + 1 < len(members) else 0.0)
            if below < _EVENTS_TOP + _EVENTS_HEADING:
                break
            figure.text(0.69, y, "\n".join(wrapped), fontsize=8, va="top")
            y -= 0.018 * len(wrapped) + 0.004
            shown += 1
        if shown < len(members):
            rest = f"and {len(members) - shown} more (appendix table)" if shown else "listed in the appendix table"
            figure.text(0.69, y, rest, fontsize=8, va="top", color=style.TEXT_GREY)
    _events_table(figure, story, top=_EVENTS_TOP)
    return figure


def _events_table(figure: Figure, story: Story, top: float) -> None:
    figure.text(0.05, top + _EVENTS_HEADING, "Driving events, deadliest first", fontsize=11, fontweight="bold", va="top")
    for heading, x in zip(EVENT_COLUMNS, _EVENT_X):
        figure.text(x, top, heading, fontsize=8.5, fontweight="bold", va="top")
    y = top - 0.028
    if not story.events:
        figure.text(0.05, y, "No single event stands out: the finding is about a total.", fontsize=9, va="top",
                    color=style.TEXT_GREY)
        return
    for event in story.events:
        cells = event_cells(event)
        wrapped = [textwrap.wrap(cell, width, break_on_hyphens=False)[:2] or [""] for cell, width in zip(cells, _EVENT_WRAP)]
        height = max(len(lines) for lines in wrapped)
        if y - 0.018 * height < 0.05:
            break
        for lines, x in zip(wrapped, _EVENT_X):
            figure.text(x, y, "\n".join(lines), fontsize=7.8, va="top", linespacing=1.2)
        y -= 0.018 * height + 0.008


def event_cells(event) -> list[str]:
    """A driving event as the table shows it, column by column (EVENT_COLUMNS)."""
    return [event.date, event.place, event.actor, count_cell(event.fatalities), event.event_id, event.note]


TABLE_COLUMNS = ("Severity", "Where", "What", "Status", "Observed", "Expected (90% range)")


def story_row(inputs: ReportInputs, story: Story) -> list[str]:
    """A story as the other-stories table shows it (TABLE_COLUMNS), its numbers as its sentence
    prints them."""
    alert = story.lead
    return [SEVERITY_LABELS[alert.severity], place_name(alert.scope, inputs.watch_area), KIND_LABELS.get(alert.kind, alert.kind),
            STATUS_LABELS[alert.status].lower(), count_cell(alert.observed), expected_cell(alert.expected, alert.lower, alert.upper)]


def others_page(inputs: ReportInputs, others: Sequence[Story], resolved: Sequence[Story], period: str) -> Figure:
    """The stories without a page of their own (ongoing ones, and new ones past the brief's
    length) in one table, and the resolved ones in a line each."""
    figure = style.new_page()
    figure.text(0.05, 0.95, f"Other incidents, {period}", fontsize=15, fontweight="bold", va="top")
    figure.text(0.05, 0.905, "Ongoing incidents, and new ones without a page of their own, most human impact first.",
                fontsize=9.5, color=style.TEXT_GREY, va="top")
    xs, widths = (0.05, 0.13, 0.42, 0.6, 0.68, 0.76), (12, 44, 28, 10, 10, 26)
    y = 0.86
    for heading, x in zip(TABLE_COLUMNS, xs):
        figure.text(x, y, heading, fontsize=9, fontweight="bold", va="top")
    y -= 0.035
    if not others:
        figure.text(0.05, y, "No other incident this month.", fontsize=10, va="top")
        y -= 0.03
    shown = 0
    for story in others:
        cells = [textwrap.wrap(cell, width)[:2] or [""] for cell, width in zip(story_row(inputs, story), widths)]
        height = max(len(lines) for lines in cells)
        if y - 0.022 * height < 0.3 - (0.0 if not resolved else 0.0) and shown:
            figure.text(0.05, y, f"and {len(others) - shown} more: see the appendix's alert table.", fontsize=9, va="top")
            y -= 0.03
            break
        for lines, x, heading in zip(cells, xs, TABLE_COLUMNS):
            figure.text(x, y, "\n".join(lines), fontsize=8.8, va="top",
                        color=style.SEVERITY_COLOURS[story.severity] if heading == "Severity" else style.BLACK)
        y -= 0.022 * height + 0.008
        shown += 1
    y -= 0.02
    figure.text(0.05, y, "Resolved", fontsize=12, fontweight="bold", va="top")
    y -= 0.035
    if not resolved:
        figure.text(0.05, y, "No incident was resolved this month.", fontsize=9.5, va="top")
    for story in resolved:
        if y < 0.08:
            break
        figure.text(0.05, y, textwrap.shorten(resolved_line(inputs, story), 160), fontsize=9, va="top")
        y -= 0.025
    return figure


def resolved_line(inputs: ReportInputs, story: Story) -> str:
    """`Kayes (Mali), surge of May 2025: resolved.`"""
    alert = story.lead
    return (f"{place_name(alert.scope, inputs.watch_area)}, {KIND_LABELS.get(alert.kind, alert.kind).lower()} "
            f"({period_label(alert.period)}): resolved.")
