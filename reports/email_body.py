"""The report as HTML: headline findings, alert table, inline charts, methods.

One template serves two files: the email body, whose images are `cid:` references (the email
step attaches each inline chart's PNG under its Content-ID; webmail blocks data URIs, not cid),
and a page for a browser, whose images are the PNG files beside it. Every text value goes
through `html.escape`; the markup is XHTML-style (closed empty elements) so it also parses as
XML. Styles are inline because email clients drop <style> blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from reports import style
from reports.inputs import SYNTHETIC_NOTICE, Chart, ReportInputs
from reports.pages import ALERT_COLUMNS, alert_row, methods_text, period_text, report_title
from reports.selection import by_severity

#: Rows of the alert table in the email; the PDF has them all.
MAX_EMAIL_ALERTS = 40

_FONT = "font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; color: #111111;"
_CELL = "padding: 4px 8px; border-bottom: 1px solid #dddddd; vertical-align: top; text-align: left;"


def report_html(
    inputs: ReportInputs,
    findings: Sequence[str],
    charts: Sequence[Chart],
    image_source: Callable[[Chart], str],
    *,
    pdf_name: str,
) -> str:
    """The report body. `image_source(chart)` gives each <img> its src (`cid:...` or a file name)."""
    title = report_title(inputs)
    cutoff = inputs.data_cutoff.isoformat() if inputs.data_cutoff else "no events"
    parts = [
        "<!DOCTYPE html>",
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en">',
        f'<head><meta charset="utf-8" /><title>{escape(title)}</title></head>',
        f'<body style="{_FONT} max-width: 760px; margin: 0 auto; font-size: 14px; line-height: 1.45;">',
        f'<h1 style="font-size: 22px; margin-bottom: 4px;">{escape(title)}</h1>',
        f'<p style="color: #555555; margin-top: 0;">Period: {escape(period_text(inputs))} &#183; '
        f"Data cut-off: {escape(cutoff)} &#183; Countries: {escape(', '.join(inputs.countries))} &#183; "
        f"Model: {escape(inputs.model)}</p>",
    ]
    if inputs.synthetic:
        parts.append(
            f'<p style="border: 2px solid {style.VERMILLION}; background: #fbebdd; color: #8a3200; padding: 8px 12px; '
            f'font-weight: bold;">{escape(SYNTHETIC_NOTICE)}</p>'
        )
    parts.append('<h2 style="font-size: 18px;">Headline findings</h2>')
    parts.append("<ol>" + "".join(f"<li>{escape(finding)}</li>" for finding in findings) + "</ol>")
    parts.extend(_alert_table(inputs))
    shown = [chart for chart in charts if chart.inline]
    if shown:
        parts.append('<h2 style="font-size: 18px;">Charts</h2>')
    for chart in shown:
        parts.append(
            f'<p style="margin: 16px 0 4px 0; font-weight: bold;">{escape(chart.title)}</p>'
            f'<img src="{escape(image_source(chart))}" alt="{escape(chart.title)}" width="740" '
            f'style="width: 100%; max-width: 740px; height: auto; border: 1px solid #dddddd;" />'
        )
    parts.append('<h2 style="font-size: 18px;">Methods and data</h2>')
    for heading, paragraphs in methods_text(inputs):
        parts.append(f'<h3 style="font-size: 15px; margin-bottom: 2px;">{escape(heading)}</h3>')
        parts.extend(f'<p style="margin-top: 2px;">{escape(paragraph)}</p>' for paragraph in paragraphs)
    parts.append(f'<p style="color: #555555; font-size: 12px;">The full report, with every chart and a page per '
                 f"critical alert, is the PDF {escape(pdf_name)}.</p>")
    parts.append("</body>")
    parts.append("</html>")
    return "\n".join(parts) + "\n"


def _alert_table(inputs: ReportInputs) -> list[str]:
    alerts = by_severity(inputs.alerts)
    parts = [f'<h2 style="font-size: 18px;">Alerts ({len(alerts)})</h2>']
    if not alerts:
        return parts + ["<p>No alerts: every series stayed within its expected range.</p>"]
    header = "".join(f'<th style="{_CELL} background: #f2f2f2;">{escape(name)}</th>' for name in ALERT_COLUMNS)
    rows = []
    for alert in alerts[:MAX_EMAIL_ALERTS]:
        cells = alert_row(inputs, alert)
        colour = style.SEVERITY_COLOURS[alert.severity]
        rows.append(
            "<tr>"
            + f'<td style="{_CELL} color: {colour}; font-weight: bold; white-space: nowrap;">{escape(cells[0])}</td>'
            + "".join(f'<td style="{_CELL}">{escape(cell)}</td>' for cell in cells[1:])
            + "</tr>"
        )
    parts.append(f'<table style="border-collapse: collapse; font-size: 12px; width: 100%;"><thead><tr>{header}</tr></thead>'
                 f"<tbody>{''.join(rows)}</tbody></table>")
    if len(alerts) > MAX_EMAIL_ALERTS:
        parts.append(f"<p>{len(alerts) - MAX_EMAIL_ALERTS} more alerts are listed in the PDF.</p>")
    return parts
