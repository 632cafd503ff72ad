"""render_report: ReportInputs -> a PDF, a PNG per chart, HTML (browser and email) and a JSON summary.

Page order: cover; alert table; watch-area fatality trend; one trend per country; settlement
tiers; admin1 small multiples per country; one page per critical alert (only flagged series);
methods and data. Every chart page is also written as a PNG of the same layout.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from forecasting.wording import KIND_LABELS, month_label, place_name
from reports import charts, pages, style
from reports.email_body import report_html
from reports.findings import headline_findings
from reports.inputs import SYNTHETIC_NOTICE, Chart, ReportFiles, ReportInputs
from reports.selection import by_severity
from reports.filenames import safe_filename, unique_filename

log = logging.getLogger(__name__)

_AREA = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}


@dataclass
class _Page:
    """A page in the making: its figure, its contents title, its chart key if it is a chart, and
    the group the cover's contents may fold it into (pages.ContentsEntry)."""

    figure: Figure
    title: str
    chart_key: str | None = None
    inline: bool = False
    group: str | None = None


def render_report(inputs: ReportInputs, out_dir: Path) -> ReportFiles:
    """Render `inputs` into `out_dir` (created if missing); returns where everything went.

    Files: `<area>-<as_of>.pdf`, `<area>-<as_of>.html` (for a browser), `<area>-<as_of>-email.html`
    (cid: images), `<area>-<as_of>.json`, and one PNG per chart, all named from safe stems.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{safe_filename(inputs.watch_area)}-{safe_filename(inputs.as_of)}"
    with style.report_style():
        findings = headline_findings(inputs)
        body = _body_pages(inputs)
        tables = [_Page(figure, "Alerts" if index == 0 else "Alerts (continued)") for index, figure in enumerate(pages.alert_table_pages(inputs))]
        methods = _Page(pages.methods_page(inputs), "Methods and data")
        # The cover lists the contents, so it is drawn last, once page numbers are known.
        ordered = [*tables, *body, methods]
        contents = _contents(ordered)
        cover = _Page(pages.cover_page(inputs, findings, contents), "Cover")
        ordered.insert(0, cover)

        chart_files = _write_pngs(inputs, ordered, out_dir)
        pdf_path = out_dir / f"{stem}.pdf"
        _write_pdf(inputs, ordered, pdf_path)

    html_path, email_path = out_dir / f"{stem}.html", out_dir / f"{stem}-email.html"
    page_html = report_html(inputs, findings, chart_files, lambda chart: chart.path.name, pdf_name=pdf_path.name)
    html_body = report_html(inputs, findings, chart_files, lambda chart: f"cid:{chart.content_id}", pdf_name=pdf_path.name)
    html_path.write_text(page_html, encoding="utf-8")
    email_path.write_text(html_body, encoding="utf-8")

    alert_pages = sum(page.chart_key is not None and page.chart_key.startswith("alert-") for page in ordered)
    json_path = out_dir / f"{stem}.json"
    files = ReportFiles(
        out_dir=out_dir, pdf=pdf_path, html=html_path, email_html=email_path, json=json_path, charts=tuple(chart_files),
        html_body=html_body, headline_findings=tuple(findings), alert_ids=tuple(alert.id for alert in inputs.alerts),
        pages=len(ordered), alert_pages=alert_pages,
    )
    json_path.write_text(json.dumps(summary(inputs, files, [page.title for page in ordered]), indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    log.info("report for %s: %d pages, %d charts, %d alerts in %s", inputs.as_of, files.pages, len(chart_files),
             len(inputs.alerts), out_dir)
    return files


def summary(inputs: ReportInputs, files: ReportFiles, page_titles: list[str]) -> dict:
    """What the report contains, for machines: the JSON file's content."""
    counts = {severity: sum(alert.severity == severity for alert in inputs.alerts) for severity in ("critical", "warning", "info")}
    return {
        "title": pages.report_title(inputs),
        "as_of": inputs.as_of,
        "period": pages.period_text(inputs),
        "partial_month": inputs.partial_month,
        "watch_area": inputs.watch_area,
        "countries": list(inputs.countries),
        "data_cutoff": inputs.data_cutoff.isoformat() if inputs.data_cutoff else None,
        "synthetic_data": inputs.synthetic,
        "data_notice": SYNTHETIC_NOTICE if inputs.synthetic else None,
        "sources": [{"name": source.name, "events": source.events, "citation": source.citation, "licence": source.licence}
                    for source in inputs.sources],
        "model": inputs.model,
        "headline_findings": list(files.headline_findings),
        "alert_counts": counts,
        "alerts": [alert.to_json() for alert in by_severity(inputs.alerts)],
        "pages": page_titles,
        "alert_pages": files.alert_pages,
        "files": {
            "pdf": files.pdf.name,
            "html": files.html.name,
            "email_html": files.email_html.name,
            "charts": [{"file": chart.path.name, "title": chart.title, "width": chart.width, "height": chart.height,
                        "content_id": chart.content_id, "inline": chart.inline} for chart in files.charts],
        },
    }


def _body_pages(inputs: ReportInputs) -> list[_Page]:
    taken: set[str] = set()
    title = f"{inputs.watch_area}: fatalities per month"
    body = [_Page(charts.trend_figure(inputs, _AREA, "fatalities", title), title, unique_filename("trend-watch-area", taken), True)]
    for country in inputs.countries:
        title = f"{country}: fatalities per month"
        figure = charts.trend_figure(inputs, {**_AREA, "country": country}, "fatalities", title)
        body.append(_Page(figure, title, unique_filename(f"trend-{safe_filename(country)}", taken), True, group="Trends by country"))
    body.append(_Page(charts.tier_figure(inputs), "Share of events by settlement tier", unique_filename("settlement-tiers", taken), True))
    for country in inputs.countries:
        for index, figure in enumerate(charts.admin1_figures(inputs, country)):
            title = f"{country}: fatalities by admin1 unit" + (" (continued)" if index else "")
            body.append(_Page(figure, title, unique_filename(f"admin1-{safe_filename(country)}", taken), group="Admin1 units by country"))
    critical = [alert for alert in by_severity(inputs.alerts) if alert.severity == "critical"]
    if len(critical) > inputs.max_alert_pages:
        log.info("%d critical alerts: pages for the first %d, the rest are in the table", len(critical), inputs.max_alert_pages)
    for number, alert in enumerate(critical[: inputs.max_alert_pages], start=1):
        place = place_name(alert.scope, inputs.watch_area)
        title = f"Critical: {KIND_LABELS.get(alert.kind, alert.kind)}, {place}"
        key = unique_filename(f"alert-{number:02d}-{safe_filename(place, limit=40)}", taken)
        body.append(_Page(charts.alert_figure(inputs, alert), title, key, group=pages.CRITICAL_GROUP))
    return body


def _contents(ordered: list[_Page]) -> list[pages.ContentsEntry]:
    """One contents entry per section, numbered as if after the cover; a "(continued)" page
    extends the entry before it."""
    contents: list[pages.ContentsEntry] = []
    for number, page in enumerate(ordered, start=2):
        if page.title.endswith("(continued)") and contents:
            contents[-1] = dataclasses.replace(contents[-1], last=number)
        else:
            contents.append(pages.ContentsEntry(page.title, number, number, page.group))
    return contents


def _write_pngs(inputs: ReportInputs, ordered: list[_Page], out_dir: Path) -> list[Chart]:
    written = []
    for page in ordered:
        pages.stamp(page.figure, inputs)
        if page.chart_key is None:
            continue
        path = out_dir / f"{page.chart_key}.png"
        page.figure.savefig(path, dpi=style.PNG_DPI, format="png")
        written.append(Chart(key=page.chart_key, title=_chart_title(inputs, page), path=path, width=style.PNG_SIZE[0],
                             height=style.PNG_SIZE[1], content_id=path.name, inline=page.inline))
    return written


def _write_pdf(inputs: ReportInputs, ordered: list[_Page], path: Path) -> None:
    from matplotlib.backends.backend_pdf import PdfPages

    metadata = {
        "Title": pages.report_title(inputs),
        "Subject": "SYNTHETIC DATA - " + SYNTHETIC_NOTICE if inputs.synthetic else f"Trend report, {month_label(inputs.month)}",
        "Creator": "conflictwatch",
        # No creation date: the same inputs give the same file.
        "CreationDate": None,
    }
    with PdfPages(path, metadata=metadata) as pdf:
        for number, page in enumerate(ordered, start=1):
            footer = page.figure.text(0.95, 0.025, f"page {number} of {len(ordered)}", fontsize=7.5, color=style.TEXT_GREY, ha="right")
            pdf.savefig(page.figure)
            footer.remove()


def _chart_title(inputs: ReportInputs, page: _Page) -> str:
    return f"{page.title} ({month_label(inputs.month)})"
