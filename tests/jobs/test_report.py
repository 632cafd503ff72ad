"""build_report and `conflictwatch report`: from stored events to the files, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json

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
    assert files.alert_pages == summary["alert_counts"]["critical"] >= 1
    # The deadly May in Est is found and shown on the admin1 page and in the alert table.
    assert any(alert["scope"]["admin1"] == "Est" and alert["measure"] == "fatalities" for alert in summary["alerts"])
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(files.pdf).pages)
    assert "Burkina Faso: fatalities by admin1 unit" in text and "Ségou" in text
    assert "synthetic" not in text.lower()
    # Every alert page charts its own series, whatever its scope (tier, actor, admin2...).
    assert "not in the report's data" not in text
    assert not stale.exists()
    first = summary["headline_findings"][0]
    assert first.startswith("In May 2025, ") and " fatalities were reported across Central Sahel " in first


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
    assert summary["alert_pages"] <= 1
    cover = " ".join(PdfReader(folder / "central-sahel-2025-05-20.pdf").pages[0].extract_text().split())
    assert "Synthetic data: this report was made from conflictwatch's synthetic sample" in cover
    assert "Period: 1–20 May 2025 (month so far)" in cover
    assert "Synthetic data" in (folder / "central-sahel-2025-05-20-email.html").read_text(encoding="utf-8")


def test_report_command_rejects_a_bad_month(tmp_path):
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'cw.db'}", "report", "--as-of", "May 2025"])
    assert result.exit_code != 0


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
    assert "the store holds no events, so there is nothing to report" in str(result.exception)
    assert "data.sample_when_empty" in str(result.exception)
    assert not (tmp_path / "reports").exists()
