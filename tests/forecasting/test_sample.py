"""The shipped synthetic sample: fresh, ACLED-shaped, labelled synthetic, carrying its patterns.

Pattern checks re-measure the CSV with pandas rather than trusting the generator's own figures.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecasting.sample import generate

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = REPO_ROOT / "forecasting" / "sample" / "acled_sahel_synthetic.csv.gz"
PATTERNS_JSON = REPO_ROOT / "forecasting" / "sample" / "planted_patterns.json"
GAZETTEER_DIR = REPO_ROOT / "forecasting" / "gazetteer" / "data"

JNIM = "JNIM: Group for Support of Islam and Muslims"
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
]
ISO_NUMERIC = {"Burkina Faso": "854", "Mali": "466", "Niger": "562"}
ISO3 = {"Burkina Faso": "BFA", "Mali": "MLI", "Niger": "NER"}
INTER_NAMES = {1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia",
               5: "Rioters", 6: "Protesters", 7: "Civilians", 8: "External/Other forces"}
# ACLED's event taxonomy: sub-event type -> (event type, disorder type) as used in the sample.
TAXONOMY = {
    "Armed clash": ("Battles", "Political violence"),
    "Attack": ("Violence against civilians", "Political violence"),
    "Abduction/forced disappearance": ("Violence against civilians", "Political violence"),
    "Remote explosive/landmine/IED": ("Explosions/Remote violence", "Political violence"),
    "Air/drone strike": ("Explosions/Remote violence", "Political violence"),
    "Shelling/artillery/missile attack": ("Explosions/Remote violence", "Political violence"),
    "Looting/property destruction": ("Strategic developments", "Strategic developments"),
    "Peaceful protest": ("Protests", "Demonstrations"),
    "Excessive force against protesters": ("Protests", "Political violence; Demonstrations"),
    "Violent demonstration": ("Riots", "Demonstrations"),
    "Mob violence": ("Riots", "Demonstrations"),
}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("sample")
    generate.write_sample(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
    frame["fatality_count"] = frame["fatalities"].astype(int)
    frame["month"] = frame["event_date"].str[:7]
    return frame


@pytest.fixture(scope="module")
def seats() -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(GAZETTEER_DIR / f"{iso3}.csv", dtype=str, keep_default_na=False)
         for iso3 in ("BFA", "MLI", "NER")],
        ignore_index=True)


@pytest.fixture(scope="module")
def patterns() -> dict:
    document = json.loads(PATTERNS_JSON.read_text(encoding="utf-8"))
    return {pattern["id"]: pattern for pattern in document["patterns"]}


def seat_keys(seats: pd.DataFrame, levels: tuple[str, ...]) -> set[tuple[str, str, str]]:
    rows = seats[seats["level"].isin(levels)]
    return set(zip(rows["country"], rows["admin1"], rows["seat"]))


def place_keys(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(list(zip(frame["country"], frame["admin1"], frame["location"])),
                     index=frame.index)


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    d_lat = (lat2 - lat1) * 111.32
    d_lon = (lon2 - lon1) * 111.32 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(d_lat, d_lon)


# --------------------------------------------------------------------------- freshness


def test_regenerating_gives_byte_identical_files(regenerated: Path) -> None:
    fresh = gzip.decompress((regenerated / generate.CSV_NAME).read_bytes())
    shipped = gzip.decompress(SAMPLE_CSV.read_bytes())
    assert fresh == shipped, (
        "the shipped sample is stale (gazetteer or generator changed): "
        "run `python -m forecasting.sample.generate`")
    assert (regenerated / generate.CSV_NAME).read_bytes() == SAMPLE_CSV.read_bytes(), \
        "same CSV but different gzip bytes: the gzip header or compressor changed"
    assert (regenerated / generate.PATTERNS_NAME).read_bytes() == PATTERNS_JSON.read_bytes()


def test_command_line_writes_both_files(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "forecasting.sample.generate", "--out", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / generate.CSV_NAME).read_bytes() == SAMPLE_CSV.read_bytes()
    assert (tmp_path / generate.PATTERNS_NAME).read_bytes() == PATTERNS_JSON.read_bytes()


def test_gzip_header_has_no_timestamp_or_file_name() -> None:
    header = SAMPLE_CSV.read_bytes()[:10]
    assert header[:2] == b"\x1f\x8b"
    assert header[3] & 0x08 == 0  # no FNAME field
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0


# --------------------------------------------------------------------------- format


def test_columns_are_acled_export_columns_in_order(events: pd.DataFrame) -> None:
    with gzip.open(SAMPLE_CSV, "rt", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
    assert header == ACLED_COLUMNS


def test_row_count_and_unique_synthetic_ids(events: pd.DataFrame) -> None:
    assert 15_000 <= len(events) <= 25_000
    assert events["event_id_cnty"].is_unique
    prefixes = events["event_id_cnty"].str.extract(r"^SYN(BFA|MLI|NER)\d{6}$")[0]
    assert prefixes.notna().all()
    assert (prefixes == events["country"].map(ISO3)).all()


def test_every_row_is_labelled_synthetic(events: pd.DataFrame) -> None:
    assert (events["source"] == "conflictwatch synthetic sample (not ACLED data)").all()
    assert events["notes"].str.startswith("SYNTHETIC EVENT - not a real incident.").all()
    assert events["tags"].str.split("; ").map(lambda tags: "synthetic" in tags).all()
    assert "synthetic" in SAMPLE_CSV.name


def test_dates_years_and_timestamps(events: pd.DataFrame) -> None:
    dates = pd.to_datetime(events["event_date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2018-01-01")
    assert dates.max() <= pd.Timestamp("2025-08-31")
    assert (dates.dt.year.astype(str) == events["year"]).all()
    day_start = (dates - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    timestamps = events["timestamp"].astype("int64")
    delay_days = (timestamps - day_start) / 86_400
    assert (delay_days >= 1).all()
    assert (timestamps < (pd.Timestamp("2025-09-10") - pd.Timestamp("1970-01-01"))
            // pd.Timedelta(seconds=1)).all()
    assert (delay_days > 30).sum() > 50, "a few rows should carry later revisions"


def test_fatalities_are_non_negative_integers(events: pd.DataFrame) -> None:
    assert events["fatalities"].str.fullmatch(r"\d+").all()
    assert (events["fatality_count"] >= 0).all()
    zero_share = (events["fatality_count"] == 0).mean()
    assert 0.35 < zero_share < 0.75


def test_codes_follow_acled_conventions(events: pd.DataFrame) -> None:
    assert (events["iso"] == events["country"].map(ISO_NUMERIC)).all()
    assert (events["region"] == "Western Africa").all()
    assert events["time_precision"].isin(["1", "2", "3"]).all()
    assert events["geo_precision"].isin(["1", "2", "3"]).all()
    for sub_event_type, (event_type, disorder_type) in TAXONOMY.items():
        rows = events[events["sub_event_type"] == sub_event_type]
        assert (rows["event_type"] == event_type).all(), sub_event_type
        assert (rows["disorder_type"] == disorder_type).all(), sub_event_type
    assert events["sub_event_type"].isin(list(TAXONOMY)).all()
    inter1 = events["inter1"].astype(int)
    inter2 = events["inter2"].astype(int)
    assert inter1.between(1, 8).all() and inter2.between(0, 8).all()
    assert ((inter2 == 0) == (events["actor2"] == "")).all()
    expected = [f"{INTER_NAMES[a]} only" if b == 0 else
                f"{INTER_NAMES[min(a, b)]}-{INTER_NAMES[max(a, b)]}"
                for a, b in zip(inter1, inter2)]
    assert (events["interaction"] == expected).all()
    assert events["civilian_targeting"].isin(["", "Civilian targeting"]).all()
    targeted = events[events["civilian_targeting"] != ""]
    assert targeted["actor2"].str.startswith("Civilians (").all()
    assert (events.loc[events["sub_event_type"] == "Peaceful protest", "fatality_count"] == 0).all()


def test_actor_names_and_inter_codes(events: pd.DataFrame) -> None:
    inter_of = dict(zip(events["actor1"], events["inter1"].astype(int)))
    inter_of.update(zip(events["actor2"], events["inter2"].astype(int)))
    expected = {
        JNIM: 2,
        "Islamic State Sahel Province": 2,
        "Military Forces of Burkina Faso (2022-)": 1,
        "VDP: Volunteers for the Defense of the Homeland": 3,
        "Military Forces of Mali (2021-)": 1,
        "Military Forces of Niger (2023-)": 1,
        "Dozo Communal Militia (Mali)": 4,
        "Civilians (Burkina Faso)": 7,
        "Protesters (Mali)": 6,
    }
    for actor, inter in expected.items():
        assert inter_of.get(actor) == inter, actor
    partners = set(events["assoc_actor_1"]) | set(events["assoc_actor_2"])
    assert {"Wagner Group", "Africa Corps"} <= partners
    mali_partner = events[events["assoc_actor_1"].eq("Africa Corps")
                          | events["assoc_actor_2"].eq("Africa Corps")]
    assert (mali_partner["event_date"] >= "2025-06-01").all()


def test_names_are_kept_byte_for_byte() -> None:
    raw = gzip.decompress(SAMPLE_CSV.read_bytes())
    assert "Jama'at Nusrat al-Islam wal-Muslimin".encode("utf-8") in raw
    assert "Fada N'gourma".encode("utf-8") in raw
    assert re.search("[éèïü]".encode("utf-8"), raw), "accented commune names expected"


def test_places_come_from_the_gazetteer(events: pd.DataFrame, seats: pd.DataFrame) -> None:
    admin2_rows = seats[seats["level"] == "admin2_capital"]
    units = set(zip(admin2_rows["country"], admin2_rows["admin1"], admin2_rows["admin2"]))
    used = set(zip(events["country"], events["admin1"], events["admin2"]))
    assert used <= units
    located = seats[seats["latitude"] != ""]
    coordinates = {(c, a1, s): (float(lat), float(lon)) for c, a1, s, lat, lon in zip(
        located["country"], located["admin1"], located["seat"], located["latitude"],
        located["longitude"])}
    at_seat = events[place_keys(events).isin(coordinates)]
    assert len(at_seat) > 2_000
    for key, lat, lon in zip(place_keys(at_seat), at_seat["latitude"], at_seat["longitude"]):
        assert (float(lat), float(lon)) == coordinates[key]
    # Commune seats lie within ~30 km (40 allowed for two real-coordinate exceptions).
    admin2_seat = {(c, a1, a2): (float(lat), float(lon)) for c, a1, a2, lat, lon in zip(
        admin2_rows["country"], admin2_rows["admin1"], admin2_rows["admin2"],
        admin2_rows["latitude"], admin2_rows["longitude"]) if lat}
    communes = events[(events["location"] == events["admin3"])
                      & ~place_keys(events).isin(coordinates)].drop_duplicates("location")
    assert len(communes) > 300
    for row in communes.itertuples():
        seat_lat, seat_lon = admin2_seat[(row.country, row.admin1, row.admin2)]
        assert km_between(seat_lat, seat_lon, float(row.latitude), float(row.longitude)) < 40


def test_violence_concentrates_where_it_does_in_the_region(events: pd.DataFrame) -> None:
    violence = events[events["disorder_type"].str.contains("Political violence")]
    shares = violence.groupby(["country", "admin1"])["fatality_count"].sum()
    shares = shares / shares.groupby(level="country").transform("sum")
    core = {
        "Burkina Faso": ["Sahel", "Nord", "Est", "Centre-Nord", "Boucle du Mouhoun"],
        "Mali": ["Mopti", "Segou", "Timbuktu", "Gao", "Menaka"],
        "Niger": ["Tillaberi", "Tahoua", "Diffa"],
    }
    for country, admin1s in core.items():
        assert shares.loc[country].loc[admin1s].sum() > 0.75, country
    assert shares.loc[("Burkina Faso", "Sud-Ouest")] < 0.02
    kayes_before_2025 = violence[(violence["admin1"] == "Kayes") & (violence["year"] < "2025")]
    assert len(kayes_before_2025) < 30


def test_it_is_as_rough_as_real_exports(events: pd.DataFrame, seats: pd.DataFrame) -> None:
    # About a fifth of events coded to a nearby town (2) or the provincial capital (3), never a village.
    imprecise = events[events["geo_precision"] != "1"]
    assert 0.17 <= len(imprecise) / len(events) <= 0.25
    at_seat = place_keys(imprecise).isin(seat_keys(seats, ("national_capital", "admin1_capital", "admin2_capital")))
    assert (at_seat | (imprecise["location"] == imprecise["admin3"])).all()
    assert at_seat[imprecise["geo_precision"] == "3"].mean() > 0.9
    # Protests and riots, many, mostly in the capitals' regions and mostly without deaths.
    demonstrations = events[events["event_type"].isin(["Protests", "Riots"])]
    assert len(demonstrations) > 1_000
    assert demonstrations["admin1"].isin(["Centre", "Bamako", "Niamey"]).mean() > 0.5
    assert (demonstrations["fatality_count"] == 0).mean() > 0.9
    assert (events["event_type"] == "Strategic developments").sum() > 500
    # Single events with 100 or more deaths.
    assert (events["fatality_count"] >= 100).sum() >= 3


def test_monthly_levels_rise_as_in_the_region(events: pd.DataFrame) -> None:
    monthly = events.groupby("month").agg(fatalities=("fatality_count", "sum"),
                                          events=("event_id_cnty", "size"))
    year = monthly.index.str[:4]
    assert 150 <= monthly.loc[year == "2018", "fatalities"].mean() <= 250
    assert 550 <= monthly.loc[year.isin(["2024", "2025"]), "fatalities"].median() <= 650
    assert monthly["events"].between(120, 380).all()


# --------------------------------------------------------------------------- planted patterns


def violence(events: pd.DataFrame) -> pd.DataFrame:
    """Political violence as conflictwatch counts it: by event type (no protest or riot, even
    where ACLED writes "Political violence; Demonstrations")."""
    return events[events["event_type"].isin(["Battles", "Violence against civilians", "Explosions/Remote violence"])]


def test_record_may_2025(events: pd.DataFrame, patterns: dict) -> None:
    monthly = violence(events).groupby("month")["fatality_count"].sum()
    may = monthly["2025-05"]
    trailing_mean = monthly["2024-05":"2025-04"].mean()
    assert may > 1.3 * trailing_mean
    assert may > monthly["2024-09":"2025-04"].max()
    assert may > monthly[:"2025-04"].max(), "the deadliest month on record, above August 2024's spike"
    assert monthly["2024-08"] == monthly[:"2025-04"].max()
    assert monthly["2025-06":"2025-08"].max() < may
    measured = patterns["record_2025_05"]["measured"]
    assert measured["observed"] == may
    assert measured["trailing_12_month_mean"] == pytest.approx(trailing_mean, abs=0.05)


def bf_jnim(events: pd.DataFrame) -> pd.DataFrame:
    """JNIM's political violence in Burkina Faso located at its place (geo_precision 1): what
    settlement tiers count."""
    located = violence(events)[violence(events)["geo_precision"] == "1"]
    return located[(located["country"] == "Burkina Faso") & (located["actor1"] == JNIM)]


def run_rate(frame: pd.DataFrame, flag: pd.Series) -> tuple[float, int]:
    """(2025 Jan-Aug fatalities annualized, 2023 + 2024 fatalities) for flagged rows."""
    flagged = frame[flag]
    by_year = flagged.groupby("year")["fatality_count"].sum()
    return by_year.get("2025", 0) * 12 / 8, by_year.get("2023", 0) + by_year.get("2024", 0)


def test_bf_jnim_shift_towards_provincial_capitals(events: pd.DataFrame, seats: pd.DataFrame,
                                                   patterns: dict) -> None:
    jnim = bf_jnim(events)
    provincial = place_keys(jnim).isin(seat_keys(seats, ("admin2_capital",)))
    annualized, before = run_rate(jnim, provincial)
    assert annualized > 2 * before, "on pace to more than double 2023 and 2024 combined"
    share_before = provincial[jnim["year"].isin(["2023", "2024"])].mean()
    share_2025 = provincial[jnim["year"] == "2025"].mean()
    assert share_before < 0.15 and share_2025 > 0.25
    # Also without the admin1 capitals the gazetteer lists among admin2 capitals.
    strict = provincial & ~place_keys(jnim).isin(
        seat_keys(seats, ("admin1_capital", "national_capital")))
    strict_annualized, strict_before = run_rate(jnim, strict)
    assert strict_annualized > 2 * strict_before
    measured = patterns["run_rate_bf_jnim_admin2_capital_2025"]["measured"]
    assert measured["including_admin1_capitals"]["fatalities_2025_annualized"] == \
        pytest.approx(annualized, abs=0.05)


def test_bf_jnim_commune_seats_nearly_equal_two_years(events: pd.DataFrame,
                                                      seats: pd.DataFrame) -> None:
    jnim = bf_jnim(events)
    any_seat = seat_keys(seats, ("national_capital", "admin1_capital", "admin2_capital"))
    commune = (jnim["location"] == jnim["admin3"]) & ~place_keys(jnim).isin(any_seat)
    annualized, before = run_rate(jnim, commune)
    assert 0.8 * before <= annualized < before, "on pace to nearly equal 2023 and 2024 combined"
    assert commune[jnim["year"] == "2025"].mean() > commune[
        jnim["year"].isin(["2023", "2024"])].mean() + 0.1


def test_tier_shift_is_specific_to_burkina_faso(events: pd.DataFrame,
                                                seats: pd.DataFrame) -> None:
    provincial = seat_keys(seats, ("admin2_capital",))
    located = violence(events)[violence(events)["geo_precision"] == "1"]
    for country in ("Mali", "Niger"):
        jnim = located[(located["country"] == country) & (located["actor1"] == JNIM)
                      & ~located["tags"].str.contains("planted=")]
        flag = place_keys(jnim).isin(provincial)
        before = flag[jnim["year"].isin(["2023", "2024"])].mean()
        after = flag[jnim["year"] == "2025"].mean()
        assert abs(after - before) < 0.08, country


def test_synchronized_wave_in_mali(events: pd.DataFrame, patterns: dict) -> None:
    mali_jnim = events[(events["country"] == "Mali")
                       & ((events["actor1"] == JNIM) | (events["actor2"] == JNIM))]
    per_day = mali_jnim.groupby("event_date")["admin2"].nunique()
    assert per_day["2025-07-01"] >= 8
    assert per_day.drop("2025-07-01").max() <= 3
    wave = mali_jnim[mali_jnim["event_date"] == "2025-07-01"]
    assert {"Kayes", "Nioro", "Niono"} <= set(wave["admin2"])
    assert {"Segou", "Kayes"} <= set(wave["admin1"])
    assert patterns["synchronized_mli_jnim_2025_07_01"]["measured"]["distinct_admin2"] == \
        per_day["2025-07-01"]


def test_new_front_in_kayes(events: pd.DataFrame) -> None:
    kayes = events[(events["country"] == "Mali") & (events["admin1"] == "Kayes")
                   & events["disorder_type"].str.contains("Political violence")]
    per_month = kayes.groupby("month").size()
    quiet = per_month.reindex(pd.period_range("2024-05", "2025-04", freq="M").astype(str),
                              fill_value=0)
    assert quiet.sum() <= 1
    front = per_month.reindex(["2025-06", "2025-07", "2025-08"], fill_value=0)
    assert (front >= 3).all()
    assert kayes[kayes["month"] >= "2025-06"]["admin2"].nunique() >= 3


def test_the_shipped_seed_carries_every_pattern_and_other_seeds_are_kept_not_rejected(patterns: dict) -> None:
    from forecasting.sample.patterns import weak_patterns

    document = json.loads(PATTERNS_JSON.read_text(encoding="utf-8"))
    assert document["generator"]["weak_patterns"] == []
    # A seed whose synchronized wave came out weak is reported, not discarded.
    assert weak_patterns({**_measured(document), "synchronized": {
        "distinct_admin2": 4, "max_distinct_admin2_other_days": 3}}) == [
        "synchronized: {'distinct_admin2': 4, 'max_distinct_admin2_other_days': 3}"]


def _measured(document: dict) -> dict:
    """planted_patterns.json's figures in the shape `weak_patterns` reads."""
    by_id = {pattern["id"]: pattern["measured"] for pattern in document["patterns"]}
    run_rate = by_id["run_rate_bf_jnim_admin2_capital_2025"]
    return {
        "record": by_id["record_2025_05"],
        "tier_shift_admin2_capital": run_rate["including_admin1_capitals"],
        "tier_shift_admin2_capital_excluding_admin1_capitals": run_rate["excluding_admin1_capitals"],
        "tier_shift_admin3_seat": by_id["run_rate_bf_jnim_admin3_seat_2025"],
        "synchronized": by_id["synchronized_mli_jnim_2025_07_01"],
        "spread": by_id["spread_mli_kayes_2025"],
    }


def test_planted_patterns_document(patterns: dict, events: pd.DataFrame) -> None:
    assert {p["kind"] for p in patterns.values()} == {
        "record", "tier_shift", "run_rate", "synchronized", "spread"}
    for pattern in patterns.values():
        assert set(pattern["scope"]) == {"country", "admin1", "admin2", "tier", "actor"}
        assert pattern["planted"] and pattern["expected"]
    ids = set(events["event_id_cnty"])
    for key in ("record_2025_05", "synchronized_mli_jnim_2025_07_01", "spread_mli_kayes_2025"):
        assert set(patterns[key]["event_ids"]) <= ids
