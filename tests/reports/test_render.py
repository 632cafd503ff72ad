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
from reports.render import render_report
from reports.style import PNG_SIZE


def pdf_pages_text(path) -> list[str]:
    """Each page's text with whitespace collapsed (wrapped lines become one line)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def test_pdf_has_one_page_per_section_and_per_critical_alert(rendered, report_inputs):
    critical = [alert for alert in report_inputs.alerts if alert.severity == "critical"]
    # cover, alert table, area trend, 3 country trends, tiers, 3 admin1 pages, methods
    expected = 1 + 1 + 1 + 3 + 1 + 3 + len(critical) + 1
    assert len(critical) == 5
    assert rendered.pages == expected
    assert len(PdfReader(rendered.pdf).pages) == expected
    assert rendered.alert_pages == len(critical)
    # What the report shows is what its email waits for under email.require_review.
    assert sorted(rendered.alert_ids) == sorted(alert.id for alert in report_inputs.alerts) and len(rendered.alert_ids) > len(critical)


def test_cover_carries_period_cutoff_headlines_and_synthetic_notice(rendered):
    pages = pdf_pages_text(rendered.pdf)
    cover = pages[0]
    assert "Central Sahel: political violence trends, May 2025" in cover
    assert "Data cut-off: 2025-05-31" in cover
    assert SYNTHETIC_NOTICE in cover
    assert 3 <= len(rendered.headline_findings) <= 5
    for finding in rendered.headline_findings:
        assert finding in cover
    # The top critical alert's message is a headline; the area count against its range leads.
    assert rendered.headline_findings[1] == "Central Sahel fatalities reached 1,210 in May 2025, well above the expected 640."
    assert re.match(r"In May 2025, [\d,]+ fatalities were reported across Central Sahel \(Burkina Faso, Mali and Niger\), "
                    r"(above|within|below) the 90% expected range of [\d,]+ to [\d,]+\.$", rendered.headline_findings[0])
    assert rendered.headline_findings[-1] == "The detectors raised 8 alerts for May 2025: 5 critical, 2 warnings and 1 for information."


def test_methods_page_credits_sources_explains_band_and_says_synthetic(rendered):
    methods = pdf_pages_text(rendered.pdf)[-1]
    assert methods.startswith("Methods and data")
    assert "Synthetic data" in methods and SYNTHETIC_NOTICE in methods
    assert "90% expected range" in methods and "5th to its 95th percentile" in methods
    assert "conflictwatch synthetic sample" in methods


def test_every_page_says_synthetic_and_numbers_itself(rendered):
    pages = pdf_pages_text(rendered.pdf)
    for number, text in enumerate(pages, start=1):
        assert "SYNTHETIC DATA" in text
        assert f"page {number} of {len(pages)}" in text


def test_alert_table_lists_alerts_most_severe_first(rendered):
    table = pdf_pages_text(rendered.pdf)[1]
    positions = [table.index(word) for word in ("critical", "warning", "info")]
    assert positions == sorted(positions)
    # Within critical: the smallest (strongest) score first.
    assert table.index("Central Sahel fatalities reached") < table.index("Fatalities in Est (Burkina Faso)")


def test_accented_and_apostrophe_place_names_are_text_in_the_pdf(rendered):
    text = " ".join(pdf_pages_text(rendered.pdf))
    for name in ("Ségou", "Tillabéri", "Boucle du Mouhoun"):
        assert name in text
    assert "<script>alert('x')</script>/../Kaya" in text


def test_every_png_opens_at_page_size_and_is_not_blank(rendered):
    assert len(rendered.charts) == 13  # area, 3 countries, tiers, 3 admin1, 5 critical alerts
    for chart in rendered.charts:
        with Image.open(chart.path) as image:
            assert image.format == "PNG"
            assert image.size == PNG_SIZE == (chart.width, chart.height)
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 50, chart.path.name
            # Ink on at least 1.5% of the image: a chart, not a page with only its heading and footer (0.85%).
            grey = image.convert("L")
            assert sum(count for value, count in enumerate(grey.histogram()) if value < 200) > 0.015 * grey.size[0] * grey.size[1]


def test_file_names_are_safe_and_stay_in_the_folder(rendered):
    names = sorted(path.name for path in rendered.out_dir.iterdir())
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*\.(png|pdf|html|json)", name) for name in names), names
    assert all(path.parent == rendered.out_dir for path in rendered.out_dir.iterdir())
    assert "alert-03-script-alert-x-script-kaya-burkina-faso.png" in names
    assert len(names) == len(set(names)) == 13 + 4


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("which", ["html", "email_html"])
def test_html_is_well_formed_and_escapes_every_text(rendered, which, unsafe_place):
    document = getattr(rendered, which).read_text(encoding="utf-8")
    root = ElementTree.fromstring(document.split("\n", 1)[1])  # after <!DOCTYPE html>
    namespace = "{http://www.w3.org/1999/xhtml}"
    assert root.find(f"{namespace}body/{namespace}h1").text == "Central Sahel: political violence trends, May 2025"
    assert root.findall(f".//{namespace}script") == []
    assert "<script" not in document
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;/../Kaya" in document
    parser = _Collect()
    parser.feed(document)
    text = " ".join("".join(parser.text).split())
    assert unsafe_place in text  # the reader sees the name as it is, as text
    assert SYNTHETIC_NOTICE in text
    for finding in rendered.headline_findings:
        assert finding in text
    rows = root.findall(f".//{namespace}tbody/{namespace}tr")
    assert len(rows) == 8


def test_email_images_are_cid_references_to_the_inline_charts(rendered):
    parser = _Collect()
    parser.feed(rendered.html_body)
    sources = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    inline = [chart for chart in rendered.charts if chart.inline]
    assert sources == [f"cid:{chart.content_id}" for chart in inline]
    assert [chart.key for chart in inline] == ["trend-watch-area", "trend-burkina-faso", "trend-mali", "trend-niger", "settlement-tiers"]
    page = _Collect()
    page.feed(rendered.html.read_text(encoding="utf-8"))
    assert [attrs["src"] for tag, attrs in page.tags if tag == "img"] == [chart.path.name for chart in inline]


def test_json_summary_describes_the_report(rendered, report_inputs):
    summary = json.loads(rendered.json.read_text(encoding="utf-8"))
    assert summary["as_of"] == "2025-05" and summary["period"] == "May 2025"
    assert summary["synthetic_data"] is True and summary["data_notice"] == SYNTHETIC_NOTICE
    assert summary["data_cutoff"] == "2025-05-31"
    assert summary["headline_findings"] == list(rendered.headline_findings)
    assert summary["alert_counts"] == {"critical": 5, "warning": 2, "info": 1}
    assert [alert["severity"] for alert in summary["alerts"]] == ["critical"] * 5 + ["warning"] * 2 + ["info"]
    assert {alert["id"] for alert in summary["alerts"]} == {alert.id for alert in report_inputs.alerts}
    assert len(summary["pages"]) == rendered.pages and summary["pages"][0] == "Cover"
    assert [chart["file"] for chart in summary["files"]["charts"]] == [chart.path.name for chart in rendered.charts]
    assert summary["files"]["pdf"] == rendered.pdf.name


def test_real_data_month_so_far_without_alerts(tmp_path, make_inputs):
    inputs = make_inputs(alerts=[], synthetic=False, as_of="2025-05-14", countries=("Mali",))
    files = render_report(inputs, tmp_path)
    pages = pdf_pages_text(files.pdf)
    # cover, empty alert table, area, Mali, tiers, Mali admin1, methods
    assert len(pages) == files.pages == 7
    assert "Period: 1–14 May 2025 (month so far)" in pages[0]
    assert files.headline_findings[-1] == "The detectors raised no alert for May 2025."
    assert files.headline_findings[0].startswith("From 1 to 14 May 2025, ")
    assert "No alerts: every series stayed within its expected range." in pages[1]
    assert "synthetic" not in (" ".join(pages) + files.html.read_text(encoding="utf-8")).lower()
    summary = json.loads(files.json.read_text(encoding="utf-8"))
    assert summary["synthetic_data"] is False and summary["data_notice"] is None


def test_critical_alerts_beyond_the_page_limit_stay_in_the_table(tmp_path, make_inputs):
    inputs = dataclasses.replace(make_inputs(countries=("Niger",)), max_alert_pages=2)
    files = render_report(inputs, tmp_path)
    assert files.alert_pages == 2
    # cover, table, area, Niger, tiers, Niger admin1, 2 alert pages, methods
    assert files.pages == len(PdfReader(files.pdf).pages) == 9
    table = pdf_pages_text(files.pdf)[1]
    assert "Burkina Faso had its deadliest month since August 2024" in table


def cover_contents(cover: str) -> dict[str, str]:
    """The cover's contents as {title: pages}, from its text after "Contents"."""
    listed = cover.split(" Contents ", 1)[1].split(" conflictwatch · ", 1)[0]
    return {title.strip(): pages for title, pages in re.findall(r"(.+?) (\d+(?:–\d+)?)(?= |$)", listed)}


def assert_cover_lists_every_page(files):
    """Every page after the cover is in the contents, by its own title or in a folded group."""
    titles = json.loads(files.json.read_text(encoding="utf-8"))["pages"]
    listed = cover_contents(pdf_pages_text(files.pdf)[0])
    covered = set()
    for title, pages in listed.items():
        first, _, last = pages.partition("–")
        covered.update(range(int(first), int(last or first) + 1))
    assert covered == set(range(2, len(titles) + 1)), listed
    assert listed["Methods and data"] == str(len(titles))
    for number, title in enumerate(titles[1:], start=2):
        shown = title if len(title) <= 62 else title[:59] + "..."
        if title.endswith("(continued)") or title.startswith("Critical:") and shown not in listed:
            continue
        assert shown in listed and int(listed[shown].partition("–")[0]) == number, (title, listed)


def test_cover_contents_list_every_section_with_its_page(rendered):
    assert_cover_lists_every_page(rendered)
    listed = cover_contents(pdf_pages_text(rendered.pdf)[0])
    # The five critical-alert pages are listed one by one when they fit.
    assert sum(title.startswith("Critical:") for title in listed) == 5


def test_cover_folds_many_alert_pages_into_one_line_rather_than_drop_any(tmp_path, make_inputs):
    base = make_inputs()
    template = next(alert for alert in base.alerts if alert.severity == "critical" and alert.scope["admin1"] == "Est")
    many = [dataclasses.replace(template, scope={**template.scope, "admin1": f"Unit {index}"}, score=0.0001 * (index + 1),
                                message=f"Fatalities in Unit {index} (Burkina Faso) rose to {140 + index} in May 2025, "
                                        f"far above the expected 31 and the highest since records began in 2018.")
            for index in range(40)]
    files = render_report(dataclasses.replace(base, alerts=many), tmp_path)
    titles = json.loads(files.json.read_text(encoding="utf-8"))["pages"]
    first_alert = next(number for number, title in enumerate(titles, start=1) if title.startswith("Critical:"))

    listed = cover_contents(pdf_pages_text(files.pdf)[0])

    assert listed["Critical-alert pages (30)"] == f"{first_alert}–{first_alert + 29}"  # max_alert_pages
    assert listed["Methods and data"] == str(files.pages) == str(first_alert + 30)
    assert_cover_lists_every_page(files)
