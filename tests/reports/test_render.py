"""render_report, checked as a reader would: PDF pages and text, PNGs, HTML, JSON, file names."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import pytest
from PIL import Image
from pypdf import PdfReader

from reports.inputs import SYNTHETIC_NOTICE
from reports.render import render_report, save_pages
from reports.style import PNG_SIZE


def pdf_pages_text(path) -> list[str]:
    """Each page's text with whitespace collapsed (wrapped lines become one line)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def brief_and_appendix(files) -> tuple[list[str], list[str]]:
    pages = pdf_pages_text(files.pdf)
    return pages[: files.brief_pages], pages[files.brief_pages:]


def test_a_brief_then_an_appendix(rendered, report_inputs):
    brief, appendix = brief_and_appendix(rendered)
    # page 1, a page per new or escalating story (4 fit), a map per country they are in, the others' table
    assert len(brief) == rendered.brief_pages <= 8
    assert brief[0].startswith("conflictwatch brief Central Sahel: political violence trends, May 2025")
    assert all(not page.startswith("Appendix") and "Appendix " not in page[:40] for page in brief)
    # Every appendix page is headed so: overviews, tiers, admin1 units, maps, every alert, methods.
    assert appendix and all(page.split(" ")[0] != "" and "Appendix" in page for page in appendix)
    titles = json.loads(rendered.json.read_text(encoding="utf-8"))["pages"]
    assert titles[rendered.brief_pages:][-1] == "Methods and data"
    assert any(title.startswith("Every alert") for title in titles[rendered.brief_pages:])
    assert len(PdfReader(rendered.pdf).pages) == rendered.pages == len(titles)
    # What the report shows is what its email waits for under email.require_review.
    assert sorted(rendered.alert_ids) == sorted(alert.id for alert in report_inputs.alerts)


def test_page_one_lists_the_deadliest_story_first_with_its_page(rendered, report_inputs):
    first = pdf_pages_text(rendered.pdf)[0]
    titles = json.loads(rendered.json.read_text(encoding="utf-8"))["pages"]
    # The area's surge (1,210 against 640: 570 more deaths than expected) is the deadliest story.
    deadliest = max(report_inputs.stories, key=lambda story: story.impact)
    assert deadliest.lead.message.startswith("Central Sahel fatalities reached 1,210")
    lines = re.findall(r"(\d)\. (.+?) (page \d+)", first)
    assert lines[0][1] == deadliest.lead.message and lines[0][2] == "page 2"
    assert titles[1].startswith("Central Sahel: surge")
    # Five lines, by human impact; each points to the page telling it.
    assert [number for number, _text, _page in lines] == ["1", "2", "3", "4", "5"]
    impacts = [next(story.impact for story in report_inputs.stories if story.lead.message == text) for _n, text, _p in lines]
    assert impacts == sorted(impacts, reverse=True)


def test_page_one_says_what_the_data_cover(rendered):
    first = pdf_pages_text(rendered.pdf)[0]
    assert "Months held 41 months, January 2022 to May 2025" in first
    assert "Newest event 31 May 2025" in first
    assert "conflictwatch synthetic sample (4,000 events)" in first or "conflictwatch synthetic sample (" in first
    assert "What is counted Political-violence events" in first
    assert SYNTHETIC_NOTICE in first


def test_a_warning_with_more_deaths_comes_before_a_critical_with_fewer(tmp_path, make_inputs):
    base = make_inputs()
    critical = next(alert for alert in base.alerts if alert.scope.get("admin1") == "Est")  # 140 against 31
    warning = dataclasses.replace(next(alert for alert in base.alerts if alert.scope.get("admin1") == "Ségou"),
                                  observed=900.0, expected=100.0, lower=45.0, upper=180.0,
                                  message="Fatalities in Ségou (Mali) rose to 900 in May 2025.")
    inputs = make_inputs(alerts=[critical, warning])
    files = render_report(inputs, tmp_path)
    first = pdf_pages_text(files.pdf)[0]
    assert first.index("1. Fatalities in Ségou (Mali) rose to 900") < first.index("2. Fatalities in Est (Burkina Faso)")
    story_pages = pdf_pages_text(files.pdf)[1:3]
    assert "Ségou (Mali) rose to 900" in story_pages[0] and "Est (Burkina Faso) rose to 140" in story_pages[1]


def test_a_story_page_lists_its_driving_events_deadliest_first(rendered):
    est = next(page for page in pdf_pages_text(rendered.pdf)[1:rendered.brief_pages] if "Fatalities in Est (Burkina Faso)" in page)
    assert "Driving events, deadliest first Date Place Actor Deaths Source id Note" in est
    assert "2025-05-04 Fada N'gourma, Est, Burkina Faso JNIM: Group for Support of Islam and Muslims 60 EV" in est
    assert "On 4 May 2025, militants attacked Fada N'gourma." in est
    assert "p < 0.001" in est or "p = " in est
    # No internal ids or raw field names on a page.
    assert "surge-2025-05" not in est and "series_id" not in est and "|" not in est


def test_numbers_on_a_story_page_match_its_chart_labels(rendered, report_inputs):
    from forecasting.wording import count as number

    for story in report_inputs.stories[:3]:
        page = next(page for page in pdf_pages_text(rendered.pdf)[1:rendered.brief_pages] if story.lead.message in page)
        assert f"Observed {number(story.lead.observed)}" in page
        assert f"Expected {number(story.lead.expected)}" in page or f"Expected (forecast) {number(story.lead.expected)}" in page


def test_methods_page_credits_sources_explains_band_and_says_synthetic(rendered):
    methods = pdf_pages_text(rendered.pdf)[-1]
    assert "Methods and data" in methods[:40]
    assert "Synthetic data" in methods and SYNTHETIC_NOTICE in methods
    assert "90% expected range" in methods and "5th to its 95th percentile" in methods
    assert "conflictwatch synthetic sample" in methods


def test_every_page_says_synthetic_and_numbers_itself(rendered):
    pages = pdf_pages_text(rendered.pdf)
    for number, text in enumerate(pages, start=1):
        assert "SYNTHETIC DATA" in text
        assert f"page {number} of {len(pages)}" in text


def test_alert_table_lists_alerts_most_severe_first(rendered):
    table = next(page for page in pdf_pages_text(rendered.pdf) if "Alerts for May 2025" in page)
    positions = [table.index(word) for word in ("Critical", "Warning", "Information")]
    assert positions == sorted(positions)
    # Within critical: the smallest (strongest) score first.
    assert table.index("Central Sahel fatalities reached") < table.index("Fatalities in Est (Burkina Faso)")


def test_accented_and_apostrophe_place_names_are_text_in_the_pdf(rendered):
    text = " ".join(pdf_pages_text(rendered.pdf))
    for name in ("Ségou", "Tillabéri", "Boucle du Mouhoun"):
        assert name in text
    assert "<script>alert('x')</script>/../Kaya" in text


def test_every_png_opens_at_page_size_and_is_not_blank(rendered):
    keys = [chart.key for chart in rendered.charts]
    # 4 incident pages, 3 maps, area, 3 countries, tiers, 3 admin1
    assert len(keys) == 15 and sum(key.startswith("incident-") for key in keys) == 4
    assert sorted(key for key in keys if key.startswith("map-")) == ["map-burkina-faso", "map-mali", "map-niger"]
    for chart in rendered.charts:
        with Image.open(chart.path) as image:
            assert image.format == "PNG"
            assert image.size == PNG_SIZE == (chart.width, chart.height)
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 50, chart.path.name
            # Ink on at least 1.5% of the image: a chart, not a page with only its heading and footer (0.85%).
            grey = image.convert("L")
            assert sum(count for value, count in enumerate(grey.histogram()) if value < 200) > 0.015 * grey.size[0] * grey.size[1]


def _small_figures(count: int):
    from matplotlib.figure import Figure

    figures = []
    for index in range(count):
        figure = Figure(figsize=(3, 2))
        figure.add_subplot().plot([0, 1, 2], [index, 2 * index, 1])
        figure.text(0.1, 0.9, f"figure {index}")
        figures.append(figure)
    return figures


def test_pages_saved_by_forked_workers_are_those_saved_here(tmp_path):
    figures = _small_figures(3)
    metadata = {"Title": "Small figures", "CreationDate": None}
    for workers in (2, 1):
        pngs = [tmp_path / f"{workers}-{index}.png" if index != 1 else None for index in range(3)]
        boxes = save_pages([lambda figure=figure: figure for figure in figures], pngs, tmp_path / f"{workers}.pdf", metadata,
                           workers=workers)
        assert boxes == [None, None, None]  # no story chart to cut out for an email
    for index in (0, 2):
        with Image.open(tmp_path / f"2-{index}.png") as forked, Image.open(tmp_path / f"1-{index}.png") as here:
            # The PNG is the PDF page rasterized: the figure's size at 100 dpi, number included.
            assert forked.size == here.size == (300, 200)
            assert forked.tobytes() == here.tobytes()
    assert not (tmp_path / "2-1.png").exists()
    with Image.open(tmp_path / "2-0.png") as first, Image.open(tmp_path / "2-2.png") as third:
        assert first.tobytes() != third.tobytes()
    # The workers' shares (pages 1 and 3, page 2) are joined in page order, numbered, titled.
    joined, here = pdf_pages_text(tmp_path / "2.pdf"), pdf_pages_text(tmp_path / "1.pdf")
    assert joined == here
    assert all(f"figure {index}" in page and f"page {index + 1} of 3" in page for index, page in enumerate(joined))
    assert PdfReader(tmp_path / "2.pdf").metadata.title == "Small figures"


def test_workers_sharing_pages_unevenly_still_give_them_in_order(tmp_path):
    import time

    figures = _small_figures(6)

    def slow(figure):
        time.sleep(0.5)  # one worker busy with this page while the other takes the rest
        return figure

    draws = [lambda figure=figure: figure for figure in figures]
    draws[1] = lambda: slow(figures[1])
    save_pages(draws, [None] * 6, tmp_path / "report.pdf", {}, workers=2)
    pages = pdf_pages_text(tmp_path / "report.pdf")
    assert [re.findall(r"figure \d|page \d of \d", page) for page in pages] == [
        [f"figure {index}", f"page {index + 1} of 6"] for index in range(6)]


def test_a_png_a_worker_cannot_write_fails_the_report(tmp_path):
    pngs = [tmp_path / "fine.png", tmp_path / "no-such-folder" / "lost.png"]
    with pytest.raises(FileNotFoundError):
        save_pages([lambda figure=figure: figure for figure in _small_figures(2)], pngs, tmp_path / "report.pdf", {}, workers=2)


def test_file_names_are_safe_and_stay_in_the_folder(rendered):
    names = sorted(path.name for path in rendered.out_dir.iterdir())
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*\.(png|pdf|html|json|eml)", name) for name in names), names
    assert all(path.parent == rendered.out_dir for path in rendered.out_dir.iterdir())
    assert "incident-04-segou-mali.png" in names and "map-burkina-faso.png" in names
    assert len(names) == len(set(names))


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("which", ["html", "email_html"])
def test_html_escapes_every_text(rendered, which, unsafe_place):
    document = getattr(rendered, which).read_text(encoding="utf-8")
    assert document.startswith("<!DOCTYPE html>") and "<script" not in document
    parser = _Collect()
    parser.feed(document)
    assert [attrs for tag, attrs in parser.tags if tag == "script"] == []
    text = " ".join("".join(parser.text).split())
    assert "Central Sahel: political violence trends, May 2025" in text
    assert SYNTHETIC_NOTICE in text
    for finding in rendered.headline_findings:
        assert finding in text
    if which == "html":
        # The browser page holds what the PDF does: the unsafe name (as text), every alert, methods.
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;/../Kaya" in document
        assert unsafe_place in text
        assert "Appendix: every alert (8)" in text and "Appendix: methods and data" in text
        assert "Driving events, deadliest first" in text and "On 4 May 2025, militants attacked Fada N'gourma." in text


def test_the_browser_page_links_the_pdf_and_json_and_shows_every_chart(rendered):
    parser = _Collect()
    parser.feed(rendered.html.read_text(encoding="utf-8"))
    links = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert rendered.pdf.name in links and rendered.json.name in links
    images = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    assert sorted(images) == sorted(chart.path.name for chart in rendered.charts)


def test_email_images_are_cid_references_to_the_inline_charts(rendered):
    parser = _Collect()
    parser.feed(rendered.html_body)
    sources = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    inline = [chart for chart in rendered.charts if chart.inline]
    assert sources == [f"cid:{chart.content_id}" for chart in inline]
    # The first three incident pages and the watch area's trend.
    assert [chart.key for chart in inline] == ["incident-01-central-sahel", "incident-02-burkina-faso", "incident-03-est-burkina-faso",
                                               "trend-watch-area"]


def test_json_summary_describes_the_report(rendered, report_inputs):
    summary = json.loads(rendered.json.read_text(encoding="utf-8"))
    assert summary["as_of"] == "2025-05" and summary["period"] == "May 2025"
    assert summary["synthetic_data"] is True and summary["data_notice"] == SYNTHETIC_NOTICE
    assert summary["data_cutoff"] == "2025-05-31"
    assert summary["headline_findings"] == list(rendered.headline_findings)
    assert summary["alert_counts"] == {"critical": 5, "warning": 2, "info": 1}
    assert [alert["severity"] for alert in summary["alerts"]] == ["critical"] * 5 + ["warning"] * 2 + ["info"]
    assert {alert["id"] for alert in summary["alerts"]} == {alert.id for alert in report_inputs.alerts}
    assert len(summary["pages"]) == rendered.pages and summary["pages"][0] == "The month in five lines"
    assert [chart["file"] for chart in summary["files"]["charts"]] == [chart.path.name for chart in rendered.charts]
    assert summary["files"]["pdf"] == rendered.pdf.name


def test_real_data_month_so_far_without_alerts(tmp_path, make_inputs):
    inputs = make_inputs(alerts=[], synthetic=False, as_of="2025-05-14", countries=("Mali",))
    files = render_report(inputs, tmp_path)
    pages = pdf_pages_text(files.pdf)
    # page 1 and the (empty) others' table; appendix: area, Mali, tiers, Mali admin1, Mali map, empty alert table, methods
    assert files.brief_pages == 2 and len(pages) == files.pages == 9
    assert "Period: 1–14 May 2025 (month so far)" in pages[0]
    assert files.headline_findings[0].startswith("From 1 to 14 May 2025, ")
    assert "No alerts: every series stayed within its expected range." in " ".join(pages)
    assert "synthetic" not in (" ".join(pages) + files.html.read_text(encoding="utf-8")).lower()
    summary = json.loads(files.json.read_text(encoding="utf-8"))
    assert summary["synthetic_data"] is False and summary["data_notice"] is None


def test_critical_stories_beyond_the_page_limit_stay_in_the_table(tmp_path, make_inputs):
    inputs = dataclasses.replace(make_inputs(countries=("Niger",)), max_alert_pages=2)
    files = render_report(inputs, tmp_path)
    assert files.alert_pages == 2
    table = pdf_pages_text(files.pdf)[files.brief_pages - 1]
    assert table.startswith("Other incidents, May 2025")
    assert "Burkina Faso" in table  # the record of Burkina Faso (a critical) has no page of its own


def test_the_tier_chart_counts_its_events_leaves_thin_months_blank_and_names_every_tier(report_inputs):
    """A month of 3 located events would swing to 0% or 100%: it is a gap. Each panel says how
    many events are behind it, and the legend names a tier only one country has."""
    import pandas as pd

    from reports import charts, style

    shares = report_inputs.tier_shares
    thin_month = shares["period"].max()
    countries = sorted(shares["country"].unique())
    # The last country has no national capital events at all; the thin month has 3 events.
    shares = shares[~((shares["country"] == countries[-1]) & (shares["tier"] == "national_capital"))].copy()
    thin = shares["period"] == thin_month
    shares.loc[thin, "events"] = 0
    shares.loc[thin & (shares["tier"] == "other"), "events"] = 3
    table = charts.tier_table(shares[shares["country"] == countries[0]])
    assert table.loc[thin_month].isna().all() and table.drop(index=thin_month).notna().all().all()

    inputs = dataclasses.replace(report_inputs, tier_shares=shares, countries=tuple(countries))
    with style.report_style():
        figure = charts.tier_figure(inputs)
    titles = ["".join(axes.get_title(loc=loc) for loc in ("left", "center", "right")) for axes in figure.axes]
    totals = shares.groupby("country")["events"].sum()
    start = inputs.month - pd.DateOffset(months=inputs.history_months)
    shown = shares[shares["period"] >= start].groupby("country")["events"].sum()
    assert titles == [f"{country}: {shown[country]:,} located events" for country in countries]
    assert totals.sum() >= shown.sum()
    (legend,) = figure.legends
    assert "National capital" in [text.get_text() for text in legend.get_texts()]


def test_a_series_of_zeros_gets_an_axis_to_one_not_to_a_fraction_of_an_event(report_inputs):
    from reports import charts, style

    scope = {"country": "Niger", "admin1": "Diffa", "admin2": None, "tier": None, "actor": None}
    series = report_inputs.series.copy()
    diffa = (series["admin1"] == "Diffa") & (series["measure"] == "fatalities")
    series.loc[diffa, "value"] = 0
    ids = set(series.loc[diffa, "series_id"])
    forecasts = report_inputs.forecasts[~report_inputs.forecasts["series_id"].isin(ids)]
    inputs = dataclasses.replace(report_inputs, series=series, forecasts=forecasts)
    with style.report_style():
        figure = style.new_page()
        axes = figure.add_axes((0.1, 0.1, 0.8, 0.8))
        charts.draw_trend(axes, inputs, scope, "fatalities", label_alerts=False)
    assert diffa.any() and axes.get_ylim() == (0.0, 1.0)


def test_a_story_of_many_alerts_lists_what_fits_above_its_events_table(report_inputs):
    """An incident of ten alerts with long names (May 2025 in the sample): the side column lists
    those that fit and counts the rest, and no line of it runs into the driving events' table."""
    from reports.brief import story_page

    story = next(story for story in report_inputs.stories if story.events)
    long_scope = {**story.lead.scope, "admin2": "Provincial (admin2) capitals and their communes"}
    members = [dataclasses.replace(story.lead, scope=long_scope, observed=1000 + index) for index in range(10)]
    crowded = dataclasses.replace(story, members=(story.lead, *members))
    figure = story_page(report_inputs, crowded)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    texts = {text.get_text(): text.get_window_extent(renderer) for text in figure.texts}
    table_top = texts["Driving events, deadliest first"].y1
    side = {text: box for text, box in texts.items() if box.x0 >= figure.bbox.width * 0.68}
    listed = [text for text in side if "(deaths: 1," in text or "(events: 1," in text]
    assert 0 < len(listed) < 10
    assert f"and {10 - len(listed)} more (appendix table)" in side
    assert all(box.y0 >= table_top for box in side.values()), {text: (box.y0, table_top) for text, box in side.items()}


def test_a_new_levels_excess_is_labelled_an_average_month_and_a_surges_the_months_own(report_inputs):
    """A lasting change's observed value is its new level's mean a month (the sample's Kayes in
    August 2025: 32 a month over June's 9, July's 72 and August's 15), so the side column must not
    call 32 the deaths above expected in August; a surge's excess is its month's own."""
    from reports.brief import story_facts

    story = next(story for story in report_inputs.stories if story.events)
    surge = dataclasses.replace(story.lead, kind="surge", measure="fatalities", observed=40.0, expected=10.0)
    level = dataclasses.replace(surge, kind="change_point", observed=32.0, expected=0.0)
    for lead, label, value in ((surge, "Deaths above expected in the month", "30"),
                               (level, "Deaths above expected, a month on average", "32")):
        told = dataclasses.replace(story, lead=lead, members=(lead,), excess_deaths=float(value))
        facts = dict(story_facts(report_inputs, told))
        assert facts.get(label) == value, facts
        assert sum("Deaths above expected" in name for name in facts) == 1, facts


def test_a_story_whose_other_alerts_do_not_fit_points_to_the_appendix_without_counting(report_inputs, monkeypatch):
    """Where not one of the incident's other alerts fits above the driving events' table (a long
    column of facts, as Kayes' lasting change in August 2025), the column says where they are,
    not "and 2 more" after listing none."""
    from reports import brief

    story = next(story for story in report_inputs.stories if story.events)
    crowded = dataclasses.replace(story, members=(story.lead, story.lead, story.lead))
    monkeypatch.setattr(brief, "_EVENTS_TOP", 0.85)
    texts = [text.get_text() for text in brief.story_page(report_inputs, crowded).texts]
    assert "listed in the appendix table" in texts
    assert not any(text.startswith("and ") and "more (appendix table)" in text for text in texts)
