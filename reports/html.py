"""The report as HTML, from Jinja2 templates with autoescaping (reports/templates).

- `report_page`: the whole report for a browser, everything the PDF holds (page 1, a section
  per incident with its chart, facts and driving events, the maps, the other incidents, the
  appendix's charts, every alert, methods), its images the PNGs beside it, with links to the PDF
  and the JSON. Charts are the PNGs the PDF's pages were drawn as (1169 x 827 px): readable at
  1200 px, and scaled to the width of a phone.
- `weekly_email`: the brief's first page for the weekly email, images as `cid:` references (the
  email attaches the inline charts; webmail blocks data URIs, not cid), inline styles (email
  clients drop <style> blocks).

Every value is text escaped by Jinja2; the same wording and numbers as the PDF (reports.brief).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from forecasting.report_data import Story
from forecasting.wording import SEVERITY_LABELS
from reports.brief import (
    EVENT_COLUMNS,
    TABLE_COLUMNS,
    BriefLine,
    coverage_lines,
    event_cells,
    member_lines,
    resolved_line,
    story_facts,
    story_row,
    story_title,
)
from reports.findings import story_sentence
from reports.inputs import SYNTHETIC_NOTICE, Chart, ReportInputs
from reports.pages import ALERT_COLUMNS, alert_row, methods_text, period_text, report_title
from reports.selection import by_severity

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class HtmlPlan:
    """What the HTML shows, in the PDF's order: the stories with a page (and their chart keys),
    the brief's maps, the other and resolved stories, the appendix's chart keys."""

    lines: Sequence[BriefLine]
    paged: Sequence[tuple[Story, str | None]]
    brief_maps: Sequence[str]
    others: Sequence[Story]
    resolved: Sequence[Story]
    appendix_charts: Sequence[str]


@functools.cache
def environment(*, keep_trailing_newline: bool = True):
    """The templates' Jinja2 environment, one per process: it compiles each template once (a
    compile costs more than a render, and a report renders a dozen emails)."""
    import jinja2

    # autoescape on every template whatever its name: they are all HTML.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=keep_trailing_newline)


def report_page(inputs: ReportInputs, plan: HtmlPlan, charts: Mapping[str, Chart], *, pdf_name: str, json_name: str) -> str:
    """The report for a browser (images: the PNG files beside it)."""
    def picture(key: str | None) -> dict | None:
        chart = charts.get(key) if key else None
        if chart is None:
            return None
        return {"src": chart.path.name, "title": chart.title, "width": chart.width, "height": chart.height}

    stories = []
    for number, (story, key) in enumerate(plan.paged, start=1):
        title = story_title(inputs, story)
        stories.append({
            "anchor": f"incident-{number}", "severity": story.severity, "severity_label": SEVERITY_LABELS[story.severity],
            "status": story.status, "title": title[:1].upper() + title[1:], "sentence": story_sentence(story),
            "chart": picture(key), "facts": story_facts(inputs, story), "members": member_lines(inputs, story),
            "events": [event_cells(event) for event in story.events],
        })
    anchors = {story.id: f"#incident-{number}" for number, (story, _key) in enumerate(plan.paged, start=1)}
    return environment().get_template("report.html.j2").render(
        title=report_title(inputs), period=period_text(inputs), notice=SYNTHETIC_NOTICE if inputs.synthetic else None,
        pdf_name=pdf_name, json_name=json_name,
        lines=_lines(plan.lines, lambda line: anchors.get(line.story.id, "#other-incidents")),
        coverage=coverage_lines(inputs), stories=stories, event_columns=EVENT_COLUMNS,
        brief_maps=[picture(key) for key in plan.brief_maps if picture(key)],
        story_columns=TABLE_COLUMNS, others=[story_row(inputs, story) for story in plan.others],
        resolved=[resolved_line(inputs, story) for story in plan.resolved],
        appendix_charts=[picture(key) for key in plan.appendix_charts if picture(key)],
        alert_columns=ALERT_COLUMNS, alerts=[(alert.severity, alert_row(inputs, alert)) for alert in by_severity(inputs.alerts)],
        methods=methods_text(inputs),
    )


def weekly_email(inputs: ReportInputs, lines: Sequence[BriefLine], inline: Sequence[Chart], *, pdf_name: str) -> str:
    """The brief's first page as an email body, with the `inline` charts as cid: images."""
    return environment().get_template("weekly_email.html.j2").render(
        title=report_title(inputs), period=period_text(inputs), notice=SYNTHETIC_NOTICE if inputs.synthetic else None,
        lines=_lines(lines, lambda line: None), coverage=coverage_lines(inputs), pdf_name=pdf_name,
        charts=[{"src": f"cid:{chart.content_id}", "title": chart.title} for chart in inline],
    )


def _lines(lines: Sequence[BriefLine], href: Callable[[BriefLine], str | None]) -> list[dict]:
    shown = []
    for line in lines:
        story = line.story
        shown.append({
            "text": line.text, "page": line.page,
            "severity": story.severity if story else None,
            "severity_label": SEVERITY_LABELS[story.severity] if story else None,
            "href": href(line) if story else None,
            "link_text": f"(page {line.page})" if line.page else "(other incidents)",
        })
    return shown
