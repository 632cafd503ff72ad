"""Settlement tiers: the shipped gazetteer files, name keys, matching rules and file errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ConflictwatchError
from forecasting.gazetteer import (
    SEAT_COLUMNS,
    SEAT_LEVELS,
    SETTLEMENT_TIERS,
    Gazetteer,
    GazetteerError,
    assign_tiers,
    haversine_km,
    load_gazetteer,
    normalize_name,
    normalize_names,
    unmatched_seat_candidates,
)

DATA = Path(__file__).parents[2] / "forecasting" / "gazetteer" / "data"
HEADER = ",".join(SEAT_COLUMNS)

# Rough national bounding boxes (lat_min, lat_max, lon_min, lon_max): catch a swapped or
# mis-signed coordinate, not a few kilometres.
BOUNDS = {
    "BFA": (9.3, 15.1, -5.6, 2.45),
    "MLI": (10.1, 25.0, -12.3, 4.3),
    "NER": (11.6, 23.6, 0.1, 16.0),
}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def events_frame(*rows: dict) -> pd.DataFrame:
    """Events with the columns assign_tiers reads; unspecified fields are missing."""
    columns = ["country", "admin1", "admin2", "admin3", "location", "latitude", "longitude"]
    frame = pd.DataFrame([{column: row.get(column) for column in columns} for row in rows], columns=columns)
    frame[["latitude", "longitude"]] = frame[["latitude", "longitude"]].astype(float)
    return frame


def tier_of(gazetteer: Gazetteer, **event) -> str:
    return assign_tiers(events_frame(event), gazetteer).iloc[0]


# --- the shipped files ---------------------------------------------------------------------


def test_shipped_files_have_the_exact_header():
    for name in ("BFA.csv", "MLI.csv", "NER.csv"):
        first_line = (DATA / name).read_text(encoding="utf-8").splitlines()[0]
        assert first_line == HEADER


def test_burkina_faso_has_13_regional_and_45_provincial_capitals(gazetteer):
    bfa = gazetteer.seats[gazetteer.seats["iso3"] == "BFA"]
    levels = bfa["level"].value_counts().to_dict()
    assert levels == {"national_capital": 1, "admin1_capital": 13, "admin2_capital": 45}
    provinces = bfa[bfa["level"] == "admin2_capital"]
    assert provinces["admin2"].nunique() == 45
    assert sorted(bfa.loc[bfa["level"] == "admin1_capital", "admin1"]) == [
        "Boucle du Mouhoun", "Cascades", "Centre", "Centre-Est", "Centre-Nord", "Centre-Ouest",
        "Centre-Sud", "Est", "Hauts-Bassins", "Nord", "Plateau-Central", "Sahel", "Sud-Ouest",
    ]
    # Every province lies in one of the 13 regions.
    assert set(provinces["admin1"]) == set(bfa.loc[bfa["level"] == "admin1_capital", "admin1"])


def test_mali_and_niger_have_their_regions_and_one_capital(gazetteer):
    seats = gazetteer.seats
    mali = seats[seats["iso3"] == "MLI"]
    assert sorted(mali.loc[mali["level"] == "admin1_capital", "admin1"]) == [
        "Bamako", "Gao", "Kayes", "Kidal", "Koulikoro", "Menaka", "Mopti", "Segou", "Sikasso", "Timbuktu",
    ]
    assert mali.loc[mali["level"] == "national_capital", "seat"].tolist() == ["Bamako"]
    niger = seats[seats["iso3"] == "NER"]
    assert sorted(niger.loc[niger["level"] == "admin1_capital", "admin1"]) == [
        "Agadez", "Diffa", "Dosso", "Maradi", "Niamey", "Tahoua", "Tillaberi", "Zinder",
    ]
    assert niger.loc[niger["level"] == "national_capital", "seat"].tolist() == ["Niamey"]
    # Niger's 63 departments plus the Niamey capital district.
    assert niger.loc[niger["level"] == "admin2_capital", "admin2"].nunique() == 64


def test_every_row_is_well_formed(gazetteer):
    seats = gazetteer.seats
    assert set(seats["level"]) <= set(SEAT_LEVELS)
    assert (seats["seat"].map(normalize_name) != "").all()
    assert (seats.loc[seats["level"] == "admin2_capital", "admin2"] != "").all()
    # Each country has one capital, and every region and province capital its own row.
    assert seats.groupby("iso3")["level"].apply(lambda levels: (levels == "national_capital").sum()).tolist() == [1, 1, 1]


def test_coordinates_lie_inside_their_country(gazetteer):
    located = gazetteer.seats.dropna(subset=["latitude", "longitude"])
    assert len(located) > 150
    for iso3, (lat_min, lat_max, lon_min, lon_max) in BOUNDS.items():
        country = located[located["iso3"] == iso3]
        outside = country[
            ~country["latitude"].between(lat_min, lat_max) | ~country["longitude"].between(lon_min, lon_max)
        ]
        assert outside.empty, outside[["seat", "latitude", "longitude"]]


def test_a_town_listed_at_several_levels_has_one_position(gazetteer):
    located = gazetteer.seats.dropna(subset=["latitude"])
    positions = located.groupby(["iso3", "seat"])[["latitude", "longitude"]].nunique()
    assert (positions == 1).all().all()


def test_tiers_are_the_event_record_tiers():
    from forecasting.events import TIERS

    assert SETTLEMENT_TIERS == TIERS


# --- name keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["Fada N'gourma", "Fada Ngourma", "FADA NGOURMA", "FADA-N'GOURMA", "Fada  N’Gourma ", "fada n'gourma."]
)
def test_spellings_of_fada_share_one_key(spelling):
    assert normalize_name(spelling) == "fada ngourma"


def test_accents_case_and_separators_do_not_matter():
    assert normalize_name("Ségou") == normalize_name("SEGOU") == "segou"
    assert normalize_name("Bobo-Dioulasso") == normalize_name("Bobo Dioulasso") == "bobo dioulasso"
    assert normalize_name("Tillabéri") == "tillaberi"
    assert normalize_name("Maïné-Soroa") == "maine soroa"
    assert normalize_name(None) == normalize_name(float("nan")) == ""


def test_normalize_names_keeps_the_index_and_maps_missing_to_empty():
    names = pd.Series(["Ségou", None, "Segou", "Pô"], index=[10, 11, 12, 13])
    keys = normalize_names(names)
    assert keys.index.tolist() == [10, 11, 12, 13]
    assert keys.tolist() == ["segou", "", "segou", "po"]


def test_haversine_matches_a_known_distance():
    # Ouagadougou to Bobo-Dioulasso is about 330 km as the crow flies.
    distance = haversine_km(np.array([12.37]), np.array([-1.52]), 11.18, -4.30)
    assert distance[0] == pytest.approx(328, abs=5)


# --- rule 1: seat names within country and admin1 ------------------------------------------


@pytest.mark.parametrize("location", ["Fada N'gourma", "Fada Ngourma", "FADA NGOURMA", "Fada-N'Gourma"])
def test_fada_ngourma_is_the_capital_of_est(gazetteer, location):
    assert tier_of(gazetteer, country="Burkina Faso", admin1="Est", admin2="Gourma", location=location) == "admin1_capital"
    assert tier_of(gazetteer, country="Burkina Faso", admin1="Est", location=location) == "admin1_capital"


def test_capitals_of_burkina_faso(gazetteer):
    events = events_frame(
        {"country": "Burkina Faso", "admin1": "Hauts-Bassins", "admin2": "Houet", "location": "Bobo Dioulasso"},
        {"country": "Burkina Faso", "admin1": "Hauts-Bassins", "admin2": "Houet", "location": "Bobo-Dioulasso"},
        {"country": "Burkina Faso", "admin1": "Centre", "admin2": "Kadiogo", "location": "Ouagadougou"},
        {"country": "Burkina Faso", "admin1": "Sahel", "admin2": "Soum", "location": "Djibo"},
        {"country": "Burkina Faso", "admin1": "Sahel", "admin2": None, "location": "Djibo"},
        {"country": "Burkina Faso", "admin1": "Centre-Sud", "admin2": "Nahouri", "location": "Pô"},
    )
    assert assign_tiers(events, gazetteer).tolist() == [
        "admin1_capital", "admin1_capital", "national_capital", "admin2_capital", "admin2_capital", "admin2_capital",
    ]


def test_segou_with_and_without_accent(gazetteer):
    events = events_frame(
        {"country": "Mali", "admin1": "Segou", "admin2": "Segou", "location": "Ségou"},
        {"country": "Mali", "admin1": "Ségou", "admin2": "Ségou", "location": "Segou"},
        {"country": "Mali", "admin1": "SEGOU", "location": "SÉGOU"},
    )
    assert assign_tiers(events, gazetteer).tolist() == ["admin1_capital"] * 3


def test_french_and_english_names_of_timbuktu_and_its_region(gazetteer):
    events = events_frame(
        {"country": "Mali", "admin1": "Timbuktu", "admin2": "Timbuktu", "location": "Timbuktu"},
        {"country": "Mali", "admin1": "Timbuktu", "admin2": "Timbuktu", "location": "Tombouctou"},
        {"country": "Mali", "admin1": "Tombouctou", "admin2": "Tombouctou", "location": "Tombouctou"},
        {"country": "Mali", "admin1": "Tombouctou", "location": "Goundam"},
    )
    assert assign_tiers(events, gazetteer).tolist() == ["admin1_capital"] * 3 + ["admin2_capital"]


def test_a_village_named_like_a_seat_in_another_region_stays_other(gazetteer):
    events = events_frame(
        # Djibo is the seat of Soum (Sahel), not of anything in the Nord region.
        {"country": "Burkina Faso", "admin1": "Nord", "admin2": "Yatenga", "location": "Djibo"},
        # Kaya is the capital of Centre-Nord; a Kaya in Bam province is another place.
        {"country": "Burkina Faso", "admin1": "Centre-Nord", "admin2": "Bam", "location": "Kaya"},
        # Same name in another country.
        {"country": "Niger", "admin1": "Tillaberi", "admin2": "Tera", "location": "Dori"},
    )
    assert assign_tiers(events, gazetteer).tolist() == ["other", "other", "other"]


def test_an_unknown_admin2_spelling_does_not_block_a_seat(gazetteer):
    # Maradi is a city with its own status; sources code its admin2 in several ways.
    assert tier_of(gazetteer, country="Niger", admin1="Maradi", admin2="Ville de Maradi", location="Maradi") == "admin1_capital"


def test_country_may_be_given_as_iso3(gazetteer):
    assert tier_of(gazetteer, country="NER", admin1="Niamey", location="Niamey") == "national_capital"


def test_a_country_without_gazetteer_rows_is_all_other(gazetteer):
    assert tier_of(gazetteer, country="Chad", admin1="Lac", location="Bol", latitude=13.46, longitude=14.71) == "other"


# --- rule 2: coordinates ---------------------------------------------------------------------


def test_an_event_near_a_seat_takes_its_tier(gazetteer):
    near = {"country": "Burkina Faso", "admin1": "Centre", "admin2": "Kadiogo", "location": "Secteur 30"}
    events = events_frame(
        {**near, "latitude": 12.37 + 3 / 111.2, "longitude": -1.52},  # 3 km north of Ouagadougou
        {**near, "latitude": 12.37 + 8 / 111.2, "longitude": -1.52},  # 8 km north
        {**near, "latitude": 14.10, "longitude": -1.63 + 0.02},  # 2 km from Djibo
        {**near, "latitude": np.nan, "longitude": np.nan},
    )
    assert assign_tiers(events, gazetteer).tolist() == ["national_capital", "other", "admin2_capital", "other"]
    assert assign_tiers(events, gazetteer, seat_radius_km=10).tolist()[:2] == ["national_capital", "national_capital"]
    assert assign_tiers(events, gazetteer, seat_radius_km=0).tolist() == ["other"] * 4


def test_coordinates_only_match_seats_of_the_same_country(gazetteer):
    # At Niamey's position, but coded as Burkina Faso.
    assert tier_of(gazetteer, country="Burkina Faso", admin1="Est", location="X", latitude=13.51, longitude=2.11) == "other"


def test_a_negative_radius_is_refused(gazetteer):
    with pytest.raises(ValueError, match="seat_radius_km"):
        assign_tiers(events_frame({"country": "Mali", "admin1": "Gao", "location": "Gao"}), gazetteer, seat_radius_km=-1)


# --- rule 3 and the frame contract -----------------------------------------------------------


def test_a_commune_centre_is_an_admin3_seat(gazetteer):
    events = events_frame(
        {"country": "Burkina Faso", "admin1": "Sahel", "admin2": "Soum", "admin3": "Arbinda", "location": "Arbinda"},
        {"country": "Burkina Faso", "admin1": "Sahel", "admin2": "Soum", "admin3": "Arbinda", "location": "Gasseliki"},
        # A seat outranks its commune.
        {"country": "Burkina Faso", "admin1": "Sahel", "admin2": "Soum", "admin3": "Djibo", "location": "Djibo"},
    )
    assert assign_tiers(events, gazetteer).tolist() == ["admin3_seat", "other", "admin2_capital"]


def test_keeps_the_index_and_leaves_the_events_untouched(gazetteer):
    events = events_frame(
        {"country": "Burkina Faso", "admin1": "Est", "location": "Fada N’gourma"},
        {"country": "Mali", "admin1": "Ségou", "location": "Ségou"},
    )
    events.index = [101, 7]
    before = events.copy()
    tiers = assign_tiers(events, gazetteer)
    assert tiers.index.tolist() == [101, 7]
    assert tiers.name == "tier"
    pd.testing.assert_frame_equal(events, before)
    assert events["location"].tolist() == ["Fada N’gourma", "Ségou"]


def test_optional_columns_may_be_absent(gazetteer):
    events = pd.DataFrame({"country": ["Mali"], "admin1": ["Kidal"], "location": ["Kidal"]})
    assert assign_tiers(events, gazetteer).tolist() == ["admin1_capital"]


def test_required_columns_are_named_when_missing(gazetteer):
    with pytest.raises(ValueError, match="location"):
        assign_tiers(pd.DataFrame({"country": ["Mali"], "admin1": ["Kidal"]}), gazetteer)


def test_an_empty_frame_gives_an_empty_series(gazetteer):
    tiers = assign_tiers(events_frame(), gazetteer)
    assert tiers.empty


def test_two_hundred_thousand_events_are_tiered_correctly(gazetteer):
    rng = np.random.default_rng(7)
    n = 200_000
    templates = events_frame(
        {"country": "Burkina Faso", "admin1": "Est", "admin2": "Gourma", "location": "Fada Ngourma"},
        {"country": "Burkina Faso", "admin1": "Centre", "admin2": "Kadiogo", "location": "Ouagadougou"},
        {"country": "Burkina Faso", "admin1": "Sahel", "admin2": "Soum", "location": "Djibo"},
        {"country": "Burkina Faso", "admin1": "Sahel", "admin2": "Soum", "admin3": "Arbinda", "location": "Arbinda"},
        {"country": "Burkina Faso", "admin1": "Nord", "admin2": "Yatenga", "location": "Djibo"},
        {"country": "Mali", "admin1": "Ségou", "admin2": "Ségou", "location": "Ségou"},
        {"country": "Niger", "admin1": "Tillabéri", "admin2": "Téra", "location": "Téra"},
        {"country": "Niger", "admin1": "Tillaberi", "admin2": "Ouallam", "location": "Tiloa", "latitude": 14.32, "longitude": 2.10},
    )
    expected = np.array([
        "admin1_capital", "national_capital", "admin2_capital", "admin3_seat", "other",
        "admin1_capital", "admin2_capital", "admin2_capital",
    ], dtype=object)
    picks = rng.integers(0, len(templates), n)
    events = templates.iloc[picks].reset_index(drop=True)
    tiers = assign_tiers(events, gazetteer)
    assert len(tiers) == n
    assert (tiers.to_numpy() == expected[picks]).all()
    assert tiers.value_counts().sum() == n


# --- unmatched seat candidates --------------------------------------------------------------


def test_a_missing_seat_is_found_with_its_count_and_a_hint(gazetteer):
    # The gazetteer without the seat of the cercle of Douentza, as if someone forgot that row.
    seats = gazetteer.seats
    without_douentza = Gazetteer(seats=seats[seats["seat"] != "Douentza"].reset_index(drop=True))
    douentza = {"country": "Mali", "admin1": "Mopti", "admin2": "Douentza", "location": "Douentza"}
    events = events_frame(
        *[douentza] * 5,
        *[{"country": "Niger", "admin1": "Zinder", "admin2": "Kantche", "location": "Kantché"}] * 2,
        {"country": "Burkina Faso", "admin1": "Est", "admin2": "Gourma", "location": "Fada N'gourma"},
        {"country": "Mali", "admin1": "Mopti", "admin2": "Douentza", "location": "Boni"},
        {"country": "Mali", "admin1": "Mopti", "admin2": "Mopti", "location": "Mopti"},
    )
    candidates = unmatched_seat_candidates(events, without_douentza)
    assert candidates.columns.tolist() == ["country", "admin1", "admin2", "location", "events", "hint"]
    assert candidates[["country", "admin1", "admin2", "location", "events"]].values.tolist() == [
        ["Mali", "Mopti", "Douentza", "Douentza", 5],
        ["Niger", "Zinder", "Kantche", "Kantché", 2],
    ]
    assert "no admin2_capital row for Mopti / Douentza" in candidates.loc[0, "hint"]
    # Kantché is a town, but the department's seat is Matamèye: the hint says so.
    assert "Matameye" in candidates.loc[1, "hint"]
    # With the full gazetteer, Douentza is matched and only Kantché remains.
    assert unmatched_seat_candidates(events, gazetteer)["location"].tolist() == ["Kantché"]


def test_candidates_keep_names_byte_for_byte_and_respect_the_limit(gazetteer):
    events = events_frame(
        *[{"country": "Mali", "admin1": "Mopti", "admin2": "Sévaré’s", "location": "Sévaré’s"}] * 3,
        *[{"country": "Mali", "admin1": "Gao", "admin2": "Almoustarat", "location": "Almoustarat"}] * 2,
        {"country": "Mali", "admin1": "Nioro", "admin2": "Nioro", "location": "Nioro"},
    )
    candidates = unmatched_seat_candidates(events, gazetteer, limit=2)
    assert candidates["location"].tolist() == ["Sévaré’s", "Almoustarat"]
    assert candidates["location"].iloc[0].encode("utf-8") == "Sévaré’s".encode("utf-8")
    assert candidates["events"].tolist() == [3, 2]
    everything = unmatched_seat_candidates(events, gazetteer)
    assert "admin1 'Nioro' is not in the gazetteer" in everything.loc[2, "hint"]


# --- files -----------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_an_extra_file_adds_a_country_with_accents_intact(tmp_path):
    extra = write(
        tmp_path, "TCD.csv",
        "Chad,TCD,national_capital,N'Djaména,N'Djaména,N'Djaména,Ndjamena|N'Djamena,12.11,15.04",
        "Chad,TCD,admin1_capital,Lac,Mamdi,Bol,,13.46,14.71",
    )
    gazetteer = load_gazetteer([extra])
    assert gazetteer.files[-1] == extra
    chad = gazetteer.seats[gazetteer.seats["iso3"] == "TCD"]
    assert chad["seat"].tolist() == ["N'Djaména", "Bol"]
    assert chad["variants"].tolist() == [("Ndjamena", "N'Djamena"), ()]
    events = events_frame(
        {"country": "Chad", "admin1": "N'Djamena", "location": "NDJAMENA"},
        {"country": "Chad", "admin1": "Lac", "location": "Kaiga", "latitude": 13.47, "longitude": 14.72},
    )
    assert assign_tiers(events, gazetteer).tolist() == ["national_capital", "admin1_capital"]


def test_an_extra_file_row_replaces_the_shipped_row_for_its_unit(tmp_path):
    extra = write(tmp_path, "fixes.csv", "Burkina Faso,BFA,admin2_capital,Sahel,Soum,Djibo,Djibo-Ville,14.10,-1.63")
    seats = load_gazetteer([extra]).seats
    soum = seats[(seats["admin2"] == "Soum") & (seats["level"] == "admin2_capital")]
    assert soum["variants"].tolist() == [("Djibo-Ville",)]
    assert soum["file"].tolist() == [str(extra)]


@pytest.mark.parametrize(
    ("lines", "header", "where", "what"),
    [
        (["Chad,TCD,capital,Lac,Mamdi,Bol,,13.46,14.71"], HEADER, "line 2, column 'level'", "not one of"),
        (["Chad,TCD,admin1_capital,Lac,Mamdi,Bol,,13.46,14.71", "Chad,TCD,admin1_capital,Lac,Mamdi,Bol,,north,14.71"],
         HEADER, "line 3, column 'latitude'", "not a number"),
        (["Chad,TCD,admin1_capital,Lac,Mamdi,Bol,,113.46,14.71"], HEADER, "line 2, column 'latitude'", "out of range"),
        (["Chad,TCD,admin1_capital,Lac,Mamdi,Bol,,13.46,"], HEADER, "line 2, column 'longitude'", "give both or neither"),
        (["Chad,TCD,admin1_capital,Lac,Mamdi,Bol,13.46,14.71"], HEADER, "line 2", "8 fields"),
        (["Chad,TCD,admin2_capital,Lac,,Bol,,13.46,14.71"], HEADER, "line 2, column 'admin2'", "is empty"),
        (["Chad,TCD,admin1_capital,,Mamdi,Bol,,13.46,14.71"], HEADER, "line 2, column 'admin1'", "is empty"),
        (["Chad,Tchad,admin1_capital,Lac,Mamdi,Bol,,13.46,14.71"], HEADER, "line 2, column 'iso3'", "three-letter"),
        (["Chad,NER,admin1_capital,Lac,Mamdi,Bol,,13.46,14.71"], HEADER, "line 2, column 'iso3'", "TCD.csv"),
        (["Chad,TCD,admin1_capital,Lac,Mamdi,Bol,,13.46,14.71", "", "Chad,TCD,admin1_capital,LAC,Mamdi,Bol,,13.46,14.71"],
         HEADER, "line 4", "the first is line 2"),
        ([], "country,iso3,level,admin1,admin2,seat,latitude,longitude", "line 1", "header must be exactly"),
    ],
)
def test_a_malformed_file_is_refused_naming_file_line_and_column(tmp_path, lines, header, where, what):
    bad = write(tmp_path, "TCD.csv", *lines, header=header)
    with pytest.raises(GazetteerError) as raised:
        load_gazetteer([bad])
    message = str(raised.value)
    assert str(bad) in message
    assert where in message
    assert what in message
    assert isinstance(raised.value, ConflictwatchError)


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "TCD.csv"
    bad.write_bytes((HEADER + "\nChad,TCD,admin1_capital,Lac,Mamdi,Bol,,13.46,14.71\n").encode()
                    + "Chad,TCD,national_capital,N'Djaména,N'Djaména,N'Djaména,,12.11,15.04\n".encode("latin-1"))
    with pytest.raises(GazetteerError, match=r"TCD\.csv, line 3: not UTF-8"):
        load_gazetteer([bad])


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(GazetteerError, match="nowhere.csv: cannot be read"):
        load_gazetteer([tmp_path / "nowhere.csv"])


def test_one_iso_code_per_country_across_files(tmp_path):
    bad = write(tmp_path, "extra.csv", "Mali,MAL,admin1_capital,Kayes,Kayes,Kayes,,14.45,-11.44")
    with pytest.raises(GazetteerError, match="country 'Mali' has the codes MAL, MLI"):
        load_gazetteer([bad])


def test_a_seat_coded_in_another_admin2_gets_a_hint_about_admin2(gazetteer):
    events = events_frame(
        *[{"country": "Mali", "admin1": "Tombouctou", "admin2": "Dire", "location": "Timbuktu"}] * 2,
    )
    # Dire is a cercle the gazetteer knows, so Timbuktu there is not taken for the capital...
    assert assign_tiers(events, gazetteer).tolist() == ["other", "other"]
    # ...and the candidate says why, reading "Tombouctou" as the region Timbuktu.
    candidates = unmatched_seat_candidates(events, gazetteer)
    assert candidates["events"].tolist() == [2]
    assert "is the seat of Timbuktu / Timbuktu in the gazetteer" in candidates.loc[0, "hint"]
    assert "coded in admin2 'Dire'" in candidates.loc[0, "hint"]


def test_a_gazetteer_built_from_a_plain_frame_splits_its_variants():
    frame = pd.read_csv(DATA / "BFA.csv", keep_default_na=False, dtype=str)
    frame[["latitude", "longitude"]] = frame[["latitude", "longitude"]].replace("", np.nan).astype(float)
    gazetteer = Gazetteer(seats=frame)
    fada = gazetteer.seats[gazetteer.seats["seat"] == "Fada N'gourma"]
    assert fada["variants"].iloc[0] == ("Fada Ngourma", "Fada N'Gourma", "Fada-N'Gourma", "Fada")
    assert tier_of(gazetteer, country="Burkina Faso", admin1="Est", location="Fada") == "admin1_capital"
