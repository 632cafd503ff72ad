"""render_report: ReportInputs -> a PDF, a PNG per chart, HTML (browser and email) and a JSON summary.

A brief, then an appendix. The brief: page 1 (the month in five lines ranked by human impact,
each with its page, and what the data cover); a page per new or escalating incident, most human
impact first; a map of each country they are in; the other incidents in one table and the
resolved ones a line each; at most BRIEF_PAGES pages. The appendix, every page headed
"Appendix": the watch-area and country trends, settlement tiers, admin1 small multiples, the
other countries' maps, every alert, methods. Every chart page is also written as a PNG.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from forecasting.report_data import Story
from forecasting.wording import month_label, place_name
from reports import charts, maps, pages, style
from reports.brief import STORY_CHART, BriefLine, first_page, others_page, story_page, story_title
from reports.emails import IncidentEmail, incident_email, write_eml
from reports.html import HtmlPlan, report_page, weekly_email
from reports.findings import month_lines
from reports.inputs import SYNTHETIC_NOTICE, Chart, ReportFiles, ReportInputs
from reports.filenames import safe_filename, unique_filename
from reports.selection import by_severity

log = logging.getLogger(__name__)

_AREA = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}


@dataclass
class _Page:
    """A page in the making: what builds its figure (called in the worker process that draws
    the page), its contents title, its chart key if it is a chart, the group it belongs to, and
    the story it tells (None: not a story page)."""

    draw: Callable[[], Figure]
    title: str
    chart_key: str | None = None
    inline: bool = False
    group: str | None = None
    story_id: str | None = None


#: The brief (page 1, incident pages, maps, the other incidents) is at most this many pages.
BRIEF_PAGES = 8
APPENDIX = "Appendix"


@dataclass(frozen=True)
class BriefPlan:
    """Which stories get a page, which countries a map in the brief, what goes in the table."""

    paged: tuple[Story, ...]
    mapped: tuple[str, ...]
    others: tuple[Story, ...]
    resolved: tuple[Story, ...]


def plan_brief(inputs: ReportInputs, limit: int = BRIEF_PAGES) -> BriefPlan:
    """New (and critical ongoing, i.e. escalating) stories get a page, most human impact first,
    with a map of their country, while the brief stays within `limit` pages (page 1 and the
    table of the others included) and `max_alert_pages`; the rest go in the table."""
    paged: list[Story] = []
    mapped: list[str] = []
    for story in inputs.stories:
        escalating = story.status == "new" or (story.status == "ongoing" and story.severity == "critical")
        if not escalating or story.severity == "info" or len(paged) >= inputs.max_alert_pages:
            continue
        country = story.lead.scope.get("country")
        new_map = [country] if country and country not in mapped else []
        if 1 + len(paged) + 1 + len(mapped) + len(new_map) + 1 > limit:
            continue
        paged.append(story)
        mapped.extend(new_map)
    others = [story for story in inputs.stories if story not in paged and story.status != "resolved"]
    resolved = [story for story in inputs.stories if story.status == "resolved"]
    return BriefPlan(tuple(paged), tuple(mapped), tuple(others), tuple(resolved))


def render_report(inputs: ReportInputs, out_dir: Path) -> ReportFiles:
    """Render `inputs` into `out_dir` (created if missing); returns where everything went.

    Files: `<area>-<as_of>.pdf`, `<area>-<as_of>.html` (for a browser), `<area>-<as_of>-email.html`
    (cid: images), `<area>-<as_of>.json`, and one PNG per chart, all named from safe stems.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{safe_filename(inputs.watch_area)}-{safe_filename(inputs.as_of)}"
    plan = plan_brief(inputs)
    with style.report_style():
        brief = _brief_pages(inputs, plan)
        appendix = [dataclasses.replace(page, draw=functools.partial(_in_appendix, page.draw)) for page in _appendix_pages(inputs, plan)]
        # Page 1 points to the pages after it, so it is planned last, once page numbers are known.
        numbers = {page.story_id: number for number, page in enumerate([*brief, *appendix], start=2) if page.story_id}
        lines = [BriefLine(story, text, numbers.get(story.id) if story else None) for text, story in month_lines(inputs)]
        ordered = [*brief, *appendix]
        contents = _contents(ordered, len(brief))
        first = _Page(functools.partial(first_page, inputs, lines, pages.report_title(inputs), pages.period_text(inputs), contents,
                                        len(brief) + 1), "The month in five lines")
        ordered.insert(0, first)
        findings = [line.text for line in lines]

        pdf_path = out_dir / f"{stem}.pdf"
        chart_files, boxes = _write_pages(inputs, ordered, out_dir, pdf_path)

    charts_by_key = {chart.key: chart for chart in chart_files}
    html_path, email_path, json_path = out_dir / f"{stem}.html", out_dir / f"{stem}-email.html", out_dir / f"{stem}.json"
    story_keys = {page.story_id: page.chart_key for page in brief if page.story_id}
    html_plan = HtmlPlan(
        lines=lines, paged=[(story, story_keys.get(story.id)) for story in plan.paged],
        brief_maps=[page.chart_key for page in brief if page.chart_key and page.chart_key.startswith("map-")],
        others=plan.others, resolved=plan.resolved, appendix_charts=[page.chart_key for page in appendix if page.chart_key],
    )
    page_html = report_page(inputs, html_plan, charts_by_key, pdf_name=pdf_path.name, json_name=json_path.name)
    html_body = weekly_email(inputs, lines, [chart for chart in chart_files if chart.inline], pdf_name=pdf_path.name)
    html_path.write_text(page_html, encoding="utf-8")
    email_path.write_text(html_body, encoding="utf-8")
    # One email per incident with a page (its chart that page's PNG), and per critical one the
    # brief had no room for (no chart); a .eml of each to look at.
    charted = [(story, _email_chart(charts_by_key[key], boxes[key]) if key in charts_by_key else None)
               for story, key in html_plan.paged]
    charted += [(story, None) for story in plan.others if story.severity == "critical"]
    incident_emails = _incident_emails(inputs, charted, out_dir, stem, report_name=pdf_path.name)

    files = ReportFiles(
        out_dir=out_dir, pdf=pdf_path, html=html_path, email_html=email_path, json=json_path, charts=tuple(chart_files),
        html_body=html_body, headline_findings=tuple(findings), alert_ids=tuple(alert.id for alert in inputs.alerts),
        pages=len(ordered), alert_pages=len(plan.paged), brief_pages=1 + len(brief), incident_emails=tuple(incident_emails),
    )
    json_path.write_text(json.dumps(summary(inputs, files, [page.title for page in ordered]), indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    log.info("report for %s: %d pages (brief %d), %d charts, %d alerts in %s", inputs.as_of, files.pages, files.brief_pages,
             len(chart_files), len(inputs.alerts), out_dir)
    return files


def render_incident_emails(inputs: ReportInputs, out_dir: Path) -> tuple[IncidentEmail, ...]:
    """The emails of the critical incidents not resolved, for a pass that writes no report (the
    daily pull): each incident's page drawn as the report draws it, saved as its chart's PNG in
    `out_dir`, with a .eml of each email."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{safe_filename(inputs.watch_area)}-{safe_filename(inputs.as_of)}"
    taken: set[str] = set()
    charted = []
    with style.report_style():
        for number, story in enumerate((story for story in inputs.stories
                                        if story.severity == "critical" and story.status != "resolved"), start=1):
            page = _story_page(inputs, story, number, taken)
            figure = page.draw()
            pages.stamp(figure, inputs)
            path = out_dir / f"{page.chart_key}.png"
            figure.savefig(path, dpi=style.PNG_DPI, format="png")
            charted.append((story, _email_chart(_chart(inputs, page, path), _chart_box(figure))))
    return _incident_emails(inputs, charted, out_dir, stem, report_name=None)


def _chart_box(figure: Figure) -> tuple[float, float, float, float] | None:
    """The part of a story page an email shows, in figure fractions (left, bottom, right, top):
    its chart with the tick labels and title around it, not the sentence, facts and events the
    email writes out in text. None for a page that is no story page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    charts = [axes for axes in figure.axes if axes.get_gid() == STORY_CHART]
    if not charts:
        return None
    (axes,) = charts
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    box = axes.get_tightbbox(canvas.get_renderer()).transformed(figure.transFigure.inverted())
    pad = 0.01
    return max(box.x0 - pad, 0.0), max(box.y0 - pad, 0.0), min(box.x1 + pad, 1.0), min(box.y1 + pad, 1.0)


def _email_chart(chart: Chart, box: tuple[float, float, float, float]) -> Chart:
    """`chart` (a page's PNG) cut to `box`, saved beside it as `<key>-email.png`: an email shows
    the chart at a readable size rather than a whole A4 page squeezed into a mail client."""
    from PIL import Image  # a dependency of matplotlib's

    left, bottom, right, top = box
    path = chart.path.with_name(f"{chart.path.stem}-email.png")
    with Image.open(chart.path) as page:
        width, height = page.size
        cut = page.crop((round(left * width), round((1 - top) * height), round(right * width), round((1 - bottom) * height)))
        cut.save(path, compress_level=PNG_COMPRESSION)
    return dataclasses.replace(chart, path=path, width=cut.width, height=cut.height, content_id=path.name)


def _incident_emails(inputs: ReportInputs, charted: list[tuple[Story, Chart | None]], out_dir: Path, stem: str, *,
                     report_name: str | None) -> tuple[IncidentEmail, ...]:
    emails = []
    for number, (story, chart) in enumerate(charted, start=1):
        message = incident_email(inputs, story, chart, report_name=report_name)
        write_eml(out_dir / f"{stem}-incident-{number:02d}.eml", message, pdf=None)
        emails.append(message)
    return tuple(emails)


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


def _brief_pages(inputs: ReportInputs, plan: BriefPlan) -> list[_Page]:
    """A page per paged story, a map per country they are in, then the table of the others."""
    taken: set[str] = set()
    body = []
    for number, story in enumerate(plan.paged, start=1):
        body.append(_story_page(inputs, story, number, taken))
    for country in plan.mapped:
        body.append(_map_page(inputs, country, taken))
    body.append(_Page(functools.partial(others_page, inputs, plan.others, plan.resolved, pages.period_text(inputs)), "Other incidents"))
    return body


def _story_page(inputs: ReportInputs, story: Story, number: int, taken: set[str]) -> _Page:
    title = story_title(inputs, story)
    key = unique_filename(f"incident-{number:02d}-{safe_filename(place_name(story.lead.scope, inputs.watch_area), limit=40)}", taken)
    return _Page(functools.partial(story_page, inputs, story), title[:1].upper() + title[1:], key, inline=number <= 3, story_id=story.id)


def _map_page(inputs: ReportInputs, country: str, taken: set[str]) -> _Page:
    places = []
    for story in inputs.stories:
        if story.lead.scope.get("country") != country or story.status == "resolved":
            continue
        located = [event for event in story.events if event.latitude is not None]
        if located:
            deadliest = located[0]
            name = story.lead.scope.get("admin2") or story.lead.scope.get("admin1") or deadliest.place.split(",")[0]
            places.append((name, deadliest.latitude, deadliest.longitude))
    title = f"{country}: where political violence happened, {month_label(inputs.month)}"
    figure = functools.partial(maps.map_figure, inputs, country, title, list(dict.fromkeys(places))[:8])
    return _Page(figure, f"Map: {country}", unique_filename(f"map-{safe_filename(country)}", taken), inline=False)


def _appendix_pages(inputs: ReportInputs, plan: BriefPlan) -> list[_Page]:
    taken: set[str] = set()
    title = f"{inputs.watch_area}: fatalities per month"
    body = [_Page(functools.partial(charts.trend_figure, inputs, _AREA, "fatalities", title), title,
                  unique_filename("trend-watch-area", taken), True)]
    for country in inputs.countries:
        title = f"{country}: fatalities per month"
        figure = functools.partial(charts.trend_figure, inputs, {**_AREA, "country": country}, "fatalities", title)
        body.append(_Page(figure, title, unique_filename(f"trend-{safe_filename(country)}", taken), group="Trends by country"))
    body.append(_Page(functools.partial(charts.tier_figure, inputs), "Share of events by settlement tier",
                      unique_filename("settlement-tiers", taken)))
    for country in inputs.countries:
        for index, figure in enumerate(charts.admin1_pages(inputs, country)):
            title = f"{country}: fatalities by admin1 unit" + (" (continued)" if index else "")
            body.append(_Page(figure, title, unique_filename(f"admin1-{safe_filename(country)}", taken), group="Admin1 units by country"))
    for country in inputs.countries:
        if country not in plan.mapped:
            body.append(_map_page(inputs, country, taken))
    body.extend(_Page(figure, "Every alert" if index == 0 else "Every alert (continued)")
                for index, figure in enumerate(pages.alert_table_pages(inputs)))
    body.append(_Page(functools.partial(pages.methods_page, inputs), "Methods and data"))
    return body


def _in_appendix(draw: Callable[[], Figure]) -> Figure:
    figure = draw()
    figure.text(0.97, 0.975, APPENDIX, fontsize=10, fontweight="bold", color=style.TEXT_GREY, ha="right", va="top")
    return figure


def _contents(ordered: list[_Page], brief: int) -> list[tuple[str, str]]:
    """Page 1's list of where things are: (section, pages), numbered as if after page 1."""
    def span(first: int, last: int) -> str:
        return f"page {first}" if first == last else f"pages {first}\u2013{last}"

    stories = [number for number, page in enumerate(ordered, start=2) if page.story_id]
    maps_ = [number for number, page in enumerate(ordered[:brief], start=2) if page.title.startswith("Map:")]
    contents = []
    if stories:
        contents.append((f"A page per new or escalating incident ({len(stories)})", span(stories[0], stories[-1])))
    if maps_:
        contents.append(("Maps of the countries they are in", span(maps_[0], maps_[-1])))
    contents.append(("Other incidents: ongoing, new without a page, resolved", span(brief + 1, brief + 1)))
    contents.append(("Appendix: trends, settlement tiers, admin1 units, maps, every alert, methods",
                     span(brief + 2, len(ordered) + 1)))
    return contents


def _write_pages(inputs: ReportInputs, ordered: list[_Page], out_dir: Path,
                 pdf_path: Path) -> tuple[list[Chart], dict[str, tuple[float, float, float, float]]]:
    """Every page into the PDF, numbered "page n of N", and each chart page also as a PNG: the
    PDF page rasterized (pdfium), so each figure is built and drawn once. Returns the charts and
    the email box of each story page's chart (by chart key)."""
    pngs = [out_dir / f"{page.chart_key}.png" if page.chart_key is not None else None for page in ordered]
    drawn = save_pages([functools.partial(_stamped, page.draw, inputs) for page in ordered], pngs, pdf_path, _pdf_metadata(inputs))
    boxes = {page.chart_key: box for page, box in zip(ordered, drawn) if page.story_id and page.chart_key and box}
    return [_chart(inputs, page, png) for page, png in zip(ordered, pngs) if png is not None], boxes


def _stamped(draw: Callable[[], Figure], inputs: ReportInputs) -> Figure:
    figure = draw()
    pages.stamp(figure, inputs)
    return figure


def _chart(inputs: ReportInputs, page: _Page, path: Path) -> Chart:
    return Chart(key=page.chart_key, title=_chart_title(inputs, page), path=path, width=style.PNG_SIZE[0],
                 height=style.PNG_SIZE[1], content_id=path.name, inline=page.inline)


#: What builds each page `save_pages` is saving, and the number of the next page no worker has
#: taken yet: forked workers inherit both, never pickled.
_DRAWS: list[Callable[[], Figure]] = []
_NEXT: list = []


def save_pages(draws: list[Callable[[], Figure]], pngs: list[Path | None], pdf_path: Path, metadata: dict,
               workers: int | None = None) -> list[tuple[float, float, float, float] | None]:
    """The figures that `draws` build, as the pages of the PDF at `pdf_path`, each numbered
    "page n of N", and each with a path in `pngs` also as that PNG: its PDF page rasterized at
    `style.PNG_DPI` (number included), so each figure is built and drawn once, for the PDF.
    Returns, by page, the email box of its story chart (`_chart_box`; None: no story page).

    Building and drawing are most of a report's time, so the pages are shared among forked
    worker processes, one per usable core (a fork costs milliseconds, where a fresh interpreter
    would import matplotlib again): each takes the next page no worker has taken, builds and
    draws it into a PDF of its own, and so on until none is left, then rasterizes its charts'
    pages; this process joins their PDFs page by page (pypdf). Pages cost from 0.05 to 0.5 s,
    so taking them one at a time, rather than every other page each, lets the workers finish
    together. With one core, or without fork, this process does it all. Raises the first error
    of a worker."""
    import multiprocessing

    from forecasting.models.executors import usable_cores

    workers = min(workers or usable_cores(), len(draws))
    forked = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
    _DRAWS[:] = draws
    _NEXT[:] = [multiprocessing.Value("i", 0)]
    try:
        if not forked:
            share, drawn = _save_share(pngs, metadata)
            pdf_path.write_bytes(share)
            return [box for _, box in drawn]
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as executor:
            futures = [executor.submit(_save_share, pngs, metadata) for _ in range(workers)]
            shares = [future.result() for future in futures]
    finally:
        _DRAWS.clear()
        _NEXT.clear()
    _join_shares(shares, pdf_path, metadata)
    boxes = {index: box for _, drawn in shares for index, box in drawn}
    return [boxes[index] for index in range(len(draws))]


def _taken() -> Iterator[int]:
    """The pages of _DRAWS this process draws: each the next that no process has taken yet
    (`_NEXT`, a counter in memory the forked workers share)."""
    counter = _NEXT[0]
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= len(_DRAWS):
            return
        yield index


def _save_share(pngs: list[Path | None], metadata: dict) -> tuple[bytes, list[tuple[int, tuple | None]]]:
    """The pages of _DRAWS this process takes (`_taken`), each built, drawn into one PDF and let
    go: that PDF returned with, page by page, its number in _DRAWS and its story-chart box; the
    PNG of each page with a path in `pngs` saved. No page taken: no PDF (b"")."""
    import io

    from matplotlib.backends.backend_pdf import PdfPages

    total = len(_DRAWS)
    pdf = io.BytesIO()
    drawn, charted = [], []
    with _lean_font_subsets(), PdfPages(pdf, metadata=metadata) as document:
        for position, index in enumerate(_taken()):
            figure = _DRAWS[index]()
            figure.text(0.95, 0.025, f"page {index + 1} of {total}", fontsize=7.5, color=style.TEXT_GREY, ha="right")
            document.savefig(figure)
            drawn.append((index, _chart_box(figure)))
            if pngs[index] is not None:
                charted.append((position, pngs[index], tuple(figure.get_size_inches())))
    share = pdf.getvalue()
    if charted:
        _rasterize(share, charted)
    return share, drawn


@contextlib.contextmanager
def _lean_font_subsets() -> Iterator[None]:
    """Fonts embedded in a PDF without their layout tables (GSUB, GPOS, GDEF, kern): a PDF places
    every glyph itself, so no viewer or text extractor reads them, and carrying them into the
    subset was most of the time matplotlib spends embedding a font (about 60 of 85 ms a font,
    four fonts in each worker's PDF). matplotlib has no option for it: fontTools' default list
    of tables to drop is extended while the PDF is written (left as it is if fontTools no longer
    has that list)."""
    from fontTools import subset

    default = getattr(subset.Options, "_drop_tables_default", None)
    if not isinstance(default, list):
        yield
        return
    subset.Options._drop_tables_default = [*default, "GSUB", "GPOS", "GDEF", "kern"]
    try:
        yield
    finally:
        subset.Options._drop_tables_default = default


def _rasterize(pdf: bytes, pngs: list[tuple[int, Path, tuple[float, float]]]) -> None:
    """Pages of `pdf` (position, PNG path, page size in inches) as PNGs at `style.PNG_DPI`, as
    many pixels as matplotlib would give (an A4 page: `style.PNG_SIZE`)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        for position, path, (width, height) in pngs:
            page = document[position]
            bitmap = page.render(scale=style.PNG_DPI / 72, rev_byteorder=True, may_draw_forms=False)
            # pdfium rounds a page's pixel size up (8.27 in: 828 px), matplotlib to the nearest (827).
            image = bitmap.to_pil().crop((0, 0, round(width * style.PNG_DPI), round(height * style.PNG_DPI)))
            image.save(path, format="png", compress_level=PNG_COMPRESSION)
            page.close()
    finally:
        document.close()


#: zlib level of the PNGs: 1 is about twice as fast as Pillow's default 6 on these pages, for
#: files a few per cent larger.
PNG_COMPRESSION = 1


def _join_shares(shares: list[tuple[bytes, list[tuple[int, tuple | None]]]], path: Path, metadata: dict) -> None:
    """One PDF of the workers' shares (each a PDF and the page number in the report of each of
    its pages, as `_save_share` returns them), in page order."""
    import io

    from pypdf import PdfReader, PdfWriter

    where = {}
    for share, drawn in shares:
        if drawn:
            reader = PdfReader(io.BytesIO(share))
            where.update((index, reader.pages[position]) for position, (index, _) in enumerate(drawn))
    writer = PdfWriter()
    for index in range(len(where)):
        writer.add_page(where[index])
    writer.add_metadata({f"/{key}": value for key, value in metadata.items() if value is not None})
    with open(path, "wb") as file:
        writer.write(file)


def _pdf_metadata(inputs: ReportInputs) -> dict:
    return {
        "Title": pages.report_title(inputs),
        "Subject": "SYNTHETIC DATA - " + SYNTHETIC_NOTICE if inputs.synthetic else f"Trend report, {month_label(inputs.month)}",
        "Creator": "conflictwatch",
        # No creation date: the same inputs give the same file.
        "CreationDate": None,
    }


def _chart_title(inputs: ReportInputs, page: _Page) -> str:
    return f"{page.title} ({month_label(inputs.month)})"
