"""build_report and `conflictwatch report`: from stored events to the files, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from factories import acled_row
from forecasting.gazetteer import load_gazetteer
from jobs.cli import app
from jobs.config import Config, ForecastConfig
from jobs.ingest import ingest_files
from jobs.report import build_report

SYNTHETIC_SOURCE = "conflictwatch synthetic sample (not ACLED data)"
PLACES = [  # country, admin1, admin2, location, latitude, longitude
    ("Burkina Faso", "Est", "Gourma", "Fada N'gourma", "12.0616", "0.3584"),
    ("Burkina Faso", "Centre-Nord", "Sanmatenga", "Kaya", "13.0917", "-1.0844"),
    ("Mali", "Ségou", "Ségou", "Ségou", "13.4317", "-6.2157"),
    ("Niger", "Tillabéri", "Tillabéri", "Tillabéri", "14.2117", "1.4531"),
]


def event_rows(*, synthetic: bool) -> list[str]:
    """Two years of steady events, a deadly May 2025 in Est, and one event after May (which a
    May report must not use)."""
    rows = []
    for month in pd.date_range("2023-05-01", "2025-05-01", freq="MS"):
        for index, (country, admin1, admin2, location, latitude, longitude) in enumerate(PLACES):
            for day in (3, 17):
                deaths = 60 if (month == pd.Timestamp("2025-05-01") and admin1 == "Est") else 2 + (month.month + index + day) % 4
                rows.append(acled_row(
                    f"T{len(rows):05d}", f"{month:%Y-%m}-{day:02d}", country=country, admin1=admin1, admin2=admin2,
                    admin3=location, location=location, latitude=latitude, longitude=longitude, fatalities=str(deaths),
                ))
    rows.append(acled_row("T99999", "2025-06-02", fatalities="500"))
    if synthetic:
        rows = [row.replace("Test source", SYNTHETIC_SOURCE) for row in rows]
    return rows


def quick_config(**report) -> Config:
    config = Config(forecast=ForecastConfig(model="seasonal_naive", horizon=3, executor="serial", workers=1))
    return dataclasses.replace(config, report=dataclasses.replace(config.report, **report)) if report else config


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer([])


def test_build_report_uses_nothing_after_as_of_and_credits_acled(store, write_acled, gazetteer, tmp_path):
    ingest_files(store, [write_acled("events.csv", event_rows(synthetic=False))], gazetteer, seat_radius_km=5.0)

    stale = tmp_path / "report-2025-05" / "alert-99-from-an-earlier-run.png"
    stale.parent.mkdir()
    stale.write_bytes(b"old")

    files = build_report(store, quick_config(), "2025-05", out_dir=tmp_path)

    assert files.out_dir == tmp_path / "report-2025-05"
    summary = json.loads(files.json.read_text(encoding="utf-8"))
    assert summary["data_cutoff"] == "2025-05-17"  # the June event is after the as-of month
    assert summary["synthetic_data"] is False
    assert [source["name"] for source in summary["sources"]] == ["Armed Conflict Location & Event Data (ACLED)"]
    assert summary["sources"][0]["events"] == 2 * 4 * 25
    assert "attribution" in summary["sources"][0]["licence"]
    assert len(PdfReader(files.pdf).pages) == files.pages
    assert 1 <= files.alert_pages and files.brief_pages <= 8
    # The deadly May in Est is found and shown on the admin1 page and in the alert table.
    assert any(alert["scope"]["admin1"] == "Est" and alert["measure"] == "fatalities" for alert in summary["alerts"])
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(files.pdf).pages)
    assert "Burkina Faso: fatalities by admin1 unit" in text and "Ségou" in text
    assert "synthetic" not in text.lower()
    # Every incident page charts its own series, whatever its scope (tier, actor, admin2...).
    assert "not in the report's data" not in text
    assert not stale.exists()
    # Page 1 tells the deadly May in Est first; the June event (500 deaths) is never shown.
    first = summary["headline_findings"][0]
    assert "Est (Burkina Faso)" in first or "Burkina Faso" in first
    assert "T99999" not in text and "500" not in text


def test_report_command_says_where_the_files_went_and_marks_synthetic_data(write_acled, gazetteer, tmp_path):
    from forecasting.store import open_store

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    store = open_store(url)
    ingest_files(store, [write_acled("sample.csv", event_rows(synthetic=True))], gazetteer, seat_radius_km=5.0)
    store.engine.dispose()
    config = tmp_path / "config.yaml"
    config.write_text(
        "forecast:\n  model: seasonal_naive\n  horizon: 2\n  executor: serial\n  workers: 1\n"
        "report:\n  out_dir: reports\n  max_alert_pages: 1\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(app, ["--db", url, "--config", str(config), "report", "--as-of", "2025-05-20"])

    assert result.exit_code == 0, result.output
    folder = tmp_path / "reports" / "report-2025-05-20"
    lines = dict(line.split("\t", 1) for line in result.stdout.splitlines() if "\t" in line)
    assert lines["PDF"] == str(folder / "central-sahel-2025-05-20.pdf")
    assert (folder / "central-sahel-2025-05-20.pdf").is_file()
    summary = json.loads((folder / "central-sahel-2025-05-20.json").read_text(encoding="utf-8"))
    assert summary["synthetic_data"] is True and summary["partial_month"] is True
    assert summary["data_cutoff"] == "2025-05-17"
    # The deadly first half of May in Est makes an alert page; max_alert_pages: 1 keeps it to one.
    assert summary["alert_pages"] == 1 and summary["alert_counts"]["critical"] + summary["alert_counts"]["warning"] > 1
    cover = " ".join(PdfReader(folder / "central-sahel-2025-05-20.pdf").pages[0].extract_text().split())
    assert "Synthetic data: this report was made from conflictwatch's synthetic sample" in cover
    assert "Period: 1–20 May 2025 (month so far)" in cover
    assert "Synthetic data" in (folder / "central-sahel-2025-05-20-email.html").read_text(encoding="utf-8")


def test_report_command_rejects_a_bad_month(write_acled, gazetteer, tmp_path):
    from forecasting.detectors.settings import InvalidAsOfError
    from forecasting.store import open_store

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    store = open_store(url)
    ingest_files(store, [write_acled("events.csv", event_rows(synthetic=False))], gazetteer, seat_radius_km=5.0)
    store.engine.dispose()

    result = CliRunner().invoke(app, ["--db", url, "report", "--as-of", "May 2025"])

    # The CLI's entry point prints a user error's message (not a traceback) and exits 1.
    assert result.exit_code == 1 and isinstance(result.exception, InvalidAsOfError)
    assert str(result.exception).startswith("--as-of 'May 2025' is not a month or a day: use YYYY-MM (e.g. 2025-05)")
    assert result.stdout == "" and not (tmp_path / "out").exists()


def report_config(tmp_path, *, sample_when_empty: bool):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"data:\n  sample_when_empty: {str(sample_when_empty).lower()}\n"
        "forecast:\n  model: seasonal_naive\n  horizon: 2\n  executor: serial\n  workers: 1\n"
        "report:\n  out_dir: reports\n  max_alert_pages: 1\n",
        encoding="utf-8",
    )
    return config


def test_report_command_loads_the_synthetic_sample_into_an_empty_store_and_says_so(write_acled, tmp_path, monkeypatch):
    import jobs.ingest

    # A small stand-in for the shipped sample keeps the test fast; the wiring is the same.
    sample = write_acled("sample.csv", event_rows(synthetic=True))
    monkeypatch.setattr(jobs.ingest, "sample_path", lambda: sample)
    url = f"sqlite:///{tmp_path / 'cw.db'}"

    result = CliRunner().invoke(app, ["--db", url, "--config", str(report_config(tmp_path, sample_when_empty=True)),
                                      "report", "--as-of", "2025-05"])

    assert result.exit_code == 0, result.output
    assert "the store is empty: loading the shipped SYNTHETIC sample" in result.stderr
    summary = json.loads((tmp_path / "reports" / "report-2025-05" / "central-sahel-2025-05.json").read_text(encoding="utf-8"))
    assert summary["synthetic_data"] is True
    assert summary["sources"][0]["events"] == 2 * 4 * 25
    assert summary["data_cutoff"] == "2025-05-17"


def test_report_command_on_an_empty_store_without_the_sample_fails_clearly(tmp_path):
    from forecasting.errors import ConflictwatchError

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    result = CliRunner().invoke(app, ["--db", url, "--config", str(report_config(tmp_path, sample_when_empty=False)),
                                      "report", "--as-of", "2025-05"])

    assert result.exit_code == 1
    assert isinstance(result.exception, ConflictwatchError)
    assert "the store holds no events" in str(result.exception)
    assert "data.sample_when_empty" in str(result.exception)
    assert not (tmp_path / "reports").exists()


@pytest.fixture(scope="module")
def sample_july(tmp_path_factory):
    """The shipped sample's July 2025: report inputs and alerts (SQLite; its critical alerts
    include year-to-date paces and a shift of JNIM events in Mali toward provincial capitals)."""
    from forecasting.detectors import parse_as_of
    from forecasting.store import open_store
    from jobs.detect import run_detection
    from jobs.ingest import ingest_sample_if_empty
    from jobs.report import report_inputs

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('sample') / 'conflictwatch.db'}")
    ingest_sample_if_empty(store, load_gazetteer([]), seat_radius_km=5.0)
    config = Config()
    detection = run_detection(store, config, "2025-07")
    inputs = report_inputs(store, config, parse_as_of("2025-07"), detection)
    store.engine.dispose()
    return inputs


def _critical(inputs, kind, measure, **scope):
    # Any severity: paces are warnings at most and a tier shift of events carries no excess deaths
    # (docs/detectors.md, Severity); the page draws the same chart whatever the grade.
    found = [alert for alert in inputs.alerts if alert.kind == kind and alert.status != "resolved" and alert.measure == measure
             and all(alert.scope.get(key) == value for key, value in scope.items())]
    assert len(found) == 1, [alert.message for alert in inputs.alerts if alert.kind == kind]
    return found[0]


def _page_png(inputs, alert, path):
    """The alert's chart as an incident page draws it; returns (figure, PNG path)."""
    from reports import style
    from reports.charts import alert_chart

    with style.report_style():
        figure = style.new_page()
        alert_chart(figure, (0.07, 0.1, 0.64, 0.66), inputs, alert)
        figure.savefig(path, dpi=style.PNG_DPI, format="png")
    return figure, path


def _assert_png_is_a_chart(path):
    from PIL import Image

    from reports.style import PNG_SIZE

    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == PNG_SIZE
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50
        grey = image.convert("L")
        assert sum(count for value, count in enumerate(grey.histogram()) if value < 200) > 0.015 * grey.size[0] * grey.size[1]


def test_a_run_rate_page_draws_this_years_running_total_against_the_earlier_years(sample_july, tmp_path):
    inputs = sample_july
    # JNIM's pace there (656 of them) is told within this alert for all actors.
    alert = _critical(inputs, "run_rate", "fatalities", country="Burkina Faso", tier="admin2_capital", actor=None)
    assert alert.observed == 704 and alert.evidence["actor_families"][0]["observed"] == 656
    curves = inputs.year_to_date[inputs.year_to_date["alert_id"] == alert.id]
    last = curves.groupby(["curve", "year"]).tail(1).set_index(["curve", "year"])["value"]
    month_ends = pd.date_range("2025-01-31", "2025-12-31", freq="ME")

    this_year = curves[curves["curve"] == "this_year"]
    assert list(this_year["date"]) == [pd.Timestamp("2025-01-01"), *month_ends[:7]]
    assert this_year["value"].iloc[0] == 0 and this_year["value"].is_monotonic_increasing
    assert last["this_year", 2025] == alert.observed == 704  # the claim: 704 so far this year
    # Each earlier year the alert compares with, its running total ending at its full-year total.
    for year, total in alert.evidence["earlier_years"].items():
        earlier = curves[(curves["curve"] == "earlier_year") & (curves["year"] == int(year))]
        assert list(earlier["date"]) == [pd.Timestamp("2025-01-01"), *month_ends]
        assert earlier["value"].iloc[-1] == total
    assert sorted(alert.evidence["earlier_years"].values()) == [184.0, 241.0]
    # The straight paces: on pace for the projected total in December, and the expected value
    # at the earlier pace on 31 July.
    assert last["on_pace", 2025] == pytest.approx(alert.evidence["projected_year_total"], abs=0.5)
    pace = curves[curves["curve"] == "earlier_pace"].set_index("date")["value"]
    assert pace[pd.Timestamp("2025-07-31")] == pytest.approx(alert.expected, abs=0.051)  # expected is rounded to 0.1
    assert pace.iloc[-1] == pytest.approx(alert.evidence["earlier_years_combined"] / 2)

    figure, png = _page_png(inputs, alert, tmp_path / "run-rate.png")
    axes = figure.axes[0]
    assert axes.get_ylabel() == "Reported fatalities since 1 January"
    drawn = {line.get_label(): line for line in axes.get_lines()}
    assert list(drawn["2025 so far"].get_ydata()) == list(this_year["value"])
    # One number, one format: the sentence's "on pace for 1,207" is the chart's.
    assert "on pace for 1,207 in 2025 (704 to July 2025" in alert.message
    assert {"2023 (full year: 184)", "2024 (full year: 241)", "2025 on pace: 1,207 by December"} <= drawn.keys()
    _assert_png_is_a_chart(png)


def test_a_tier_shift_page_draws_the_monthly_share_at_the_tier_against_the_baseline(sample_july, tmp_path):
    inputs = sample_july
    (alert,) = [alert for alert in inputs.alerts if alert.kind == "tier_shift" and alert.measure == "events"
                and (alert.scope["country"], alert.scope["tier"], alert.scope["actor"]) == ("Mali", "admin2_capital", "JNIM")]
    evidence = alert.evidence
    shares = inputs.alert_tier_shares[inputs.alert_tier_shares["alert_id"] == alert.id]
    window, baseline = shares[shares["part"] == "window"], shares[shares["part"] == "baseline"]

    assert list(window["period"]) == list(pd.date_range("2025-05-01", "2025-07-01", freq="MS"))
    assert len(baseline) == evidence["baseline_months"] == 24
    assert baseline["period"].max() == pd.Timestamp("2025-04-01")
    # The window's pooled share and the baseline share are the alert's: 27 of 136 events located at
    # their place against 7.7% (the 26 coded to a nearby town or capital are in no share).
    assert window["at_tier"].sum() == alert.observed == 27 and window["total"].sum() == evidence["total"] == 136
    assert evidence["unlocated_left_out"] == 26
    assert baseline["at_tier"].sum() / baseline["total"].sum() == pytest.approx(evidence["baseline_share"], abs=5e-5)
    assert (shares["share"] == shares["at_tier"] / shares["total"]).all()
    assert window["share"].round(3).tolist() == [0.156, 0.2, 0.22]

    figure, png = _page_png(inputs, alert, tmp_path / "tier-shift.png")
    axes = figure.axes[0]
    assert axes.get_ylabel() == "Share of events at provincial (admin2) capitals (%)"
    drawn = {line.get_label(): line for line in axes.get_lines()}
    monthly = drawn["Monthly share at provincial (admin2) capitals"]
    assert list(monthly.get_ydata()[-3:]) == pytest.approx(list(window["share"] * 100))
    assert "20% (27 of 136)" in alert.message and "Share in the window: 20% (27 of 136)" in drawn
    assert "Usual share, 24 months before the window: 8%" in drawn
    _assert_png_is_a_chart(png)


def test_a_synchronized_wave_page_draws_the_units_struck_each_day(sample_july, tmp_path):
    inputs = sample_july
    alert = next(alert for alert in inputs.alerts if alert.kind == "synchronized" and alert.period == "2025-07-01")
    units = inputs.units_hit[inputs.units_hit["alert_id"] == alert.id].set_index("day")["units"]
    # The detector's own count: 9 admin2 units on 1 July, against 1.4 a day usually.
    assert units[pd.Timestamp("2025-07-01")] == alert.observed == 9
    assert units.index.max() == pd.Timestamp("2025-07-31") and len(units) == 90
    figure, png = _page_png(inputs, alert, tmp_path / "wave.png")
    axes = figure.axes[0]
    labels = axes.get_legend_handles_labels()[1]
    assert "1 July 2025: 9 units" in labels and "Usual number a day: 1.4" in labels
    assert "struck 9 admin2 units of Mali on 1 July 2025" in alert.message and "against 1.4 expected" in alert.message
    _assert_png_is_a_chart(png)


@pytest.fixture(scope="module")
def sample_july_report(sample_july, tmp_path_factory):
    from reports.render import render_report

    return render_report(sample_july, tmp_path_factory.mktemp("july"))


def test_the_reports_months_ahead_of_a_country_are_the_forecast_commands(sample_july):
    """The trend charts' months ahead of each country are the forecasts `conflictwatch forecast
    --by country --as-of 2025-07` prints: fitted on the whole geographic hierarchy, from the area
    to the districts (`jobs.forecast.stored_hierarchy`), so a country's are its districts' sums.
    Fitted on the area and the countries alone, Mali's August 2025 read 182 deaths on the chart
    against the command's 175."""
    from forecasting.models import QUANTILE_COLUMNS, forecast
    from jobs.forecast import other_geographic_levels

    series = sample_july.series
    fitted = series[(series["measure"] == "fatalities") & series["level"].isin(("country", *other_geographic_levels("country")))
                    & (series["period"] <= "2025-07-01")]
    command = forecast(fitted, "default", horizon=6, seed=Config().forecast.seed)
    command = command[command["series_id"].str.startswith("fatalities|country|")]
    charted = sample_july.forecasts
    ahead = charted[(charted["period"] > "2025-07-01") & charted["series_id"].str.startswith("fatalities|country|")]
    both = ahead.merge(command, on=["series_id", "period"], suffixes=("_report", "_command"))
    assert len(both) == len(command) == 3 * 6
    for column in ("mean", *QUANTILE_COLUMNS):
        assert both[f"{column}_report"].tolist() == both[f"{column}_command"].tolist(), column


def test_the_july_brief_tells_the_deadliest_incident_first_in_at_most_eight_pages(sample_july, sample_july_report):
    files = sample_july_report
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(files.pdf).pages]
    assert files.brief_pages <= 8
    deadliest = max((story for story in sample_july.stories if story.status != "resolved"), key=lambda story: story.impact)
    first_line = pages[0].split("The month in five lines ", 1)[1]
    assert first_line.startswith("1. " + deadliest.lead.message.split(" (")[0])
    # It points to its own page, which tells the same sentence.
    page = int(re.search(r"page (\d+)", first_line).group(1))
    assert deadliest.lead.message.split(" (")[0] in pages[page - 1]
    assert all("Appendix" in text for text in pages[files.brief_pages:])
    for text in pages[: files.brief_pages]:
        assert "series_id" not in text and "|" not in text and "None" not in text


def test_the_reports_forecast_ahead_is_judged_once_and_kept_in_the_store(store, write_acled, gazetteer):
    from forecasting.detectors import parse_as_of
    from forecasting.store.judgements import count_judgements
    from jobs.detect import run_detection
    from jobs.report import report_inputs

    ingest_files(store, [write_acled("events.csv", event_rows(synthetic=False))], gazetteer, seat_radius_km=5.0)
    config = Config(forecast=ForecastConfig(horizon=3, executor="serial", workers=1))
    detection = run_detection(store, config, "2025-05")
    detected = count_judgements(store)

    first = report_inputs(store, config, parse_as_of("2025-05"), detection)
    assert count_judgements(store) == detected + 1  # the ensemble's judgement of the fit ahead
    again = report_inputs(store, config, parse_as_of("2025-05"), detection)
    assert count_judgements(store) == detected + 1
    ahead = first.forecasts[first.forecasts["period"] > "2025-05-01"]
    assert set(ahead["period"].dt.strftime("%Y-%m")) == {"2025-06", "2025-07", "2025-08"}
    pd.testing.assert_frame_equal(first.forecasts, again.forecasts)


def test_the_synthetic_sample_is_credited_without_a_none_on_the_page():
    """The methods page prints 'Licence: <licence>': the sample's must not read 'Licence: None'."""
    from jobs.report import source_notes

    counts = pd.DataFrame([{"source": SYNTHETIC_SOURCE, "synthetic": True, "events": 12}])

    [note] = source_notes(counts)

    assert note.events == 12 and note.name == SYNTHETIC_SOURCE
    assert not re.search(r"\bNone\b", f"{note.citation} Licence: {note.licence}")
