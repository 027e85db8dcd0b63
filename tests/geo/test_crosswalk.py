"""Municipality lists with other codes matched to the workspace: method, confidence, misses."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.crosswalk import (
    CONFIDENCE,
    ListColumns,
    crosswalk_municipalities,
    crosswalk_table,
    guess_list_columns,
)
from geo.errors import InputError
from geo.io import read_path


@pytest.fixture
def reach_result(real_fixtures, demo_layers):
    table = read_path(real_fixtures / "reach_admin_lists" / "lby_municipalities.csv").table()
    return crosswalk_table(table, demo_layers["municipalities"])


def match(result, code):
    row = result.matches.set_index("source_code").loc[code]
    return row["pcode"], row["method"], row["confidence"]


def test_the_reach_list_columns_are_recognised():
    columns = ("region_id", "district_id", "municipality_id", "municipality_name_ar",
               "municipality_name_en")  # fmt: skip
    assert guess_list_columns(columns) == ListColumns(
        code="municipality_id", name_ar="municipality_name_ar", name_en="municipality_name_en"
    )


@pytest.mark.parametrize(
    ("reach_code", "pcode", "method"),
    [
        # both names equal after normalisation (مصراتة / Misrata)
        ("LBY020701", "DM-MI-01", "name"),
        # Bani Waleed is a known variant of Bani Walid; Arabic بني وليد equal
        ("LBY020704", "DM-MI-02", "name"),
        # ابوسليم vs أبو سليم (hamza, space); Abusliem vs Abu Salim (known variant)
        ("LBY020405", "DM-TB-05", "name"),
        # ام الرزم vs أم الرزم (alef with hamza); English Umm arrazam vs Umm ar Rizam differ
        ("LBY010101", "DM-DR-04", "name_ar"),
        # طرابلس المركزية vs طرابلس المركز differ; English Tripoli Center equal
        ("LBY020404", "DM-TB-09", "name_en"),
        # القره بولي vs القره بوللي differ; Garabolli vs Al Qarabulli share the skeleton krbl
        ("LBY020304", "DM-TB-03", "spelling"),
    ],
)
def test_reach_municipalities_match_by_name_with_the_stated_method(
    reach_result, reach_code, pcode, method
):
    found_pcode, found_method, confidence = match(reach_result, reach_code)
    assert (found_pcode, found_method) == (pcode, method)
    assert confidence == CONFIDENCE[method]


def test_reach_codes_never_match_the_workspace_codes_directly(reach_result):
    assert "code" not in set(reach_result.matches["method"])


def test_places_missing_from_the_workspace_stay_unmatched_and_are_listed(reach_result):
    unmatched = set(reach_result.unmatched["source_code"])
    # Al Qayqab, As Sahel and Bir al Ashhab are not among the demo's 99 municipalities.
    assert {"LBY010104", "LBY010203", "LBY010402"} <= unmatched
    note = reach_result.matches.set_index("source_code").loc["LBY010104", "note"]
    assert note == "no municipality of the workspace has this code or a similar name"


def test_survey_options_are_skipped_not_unmatched(reach_result):
    assert set(reach_result.skipped["source_code"]) == {"dk", "dwta"}


def test_every_matched_workspace_municipality_is_claimed_once(reach_result):
    matched = reach_result.matched
    assert matched["pcode"].is_unique
    assert len(matched) + len(reach_result.unmatched) + len(reach_result.skipped) == 103
    assert reach_result.summary().startswith(f"{len(matched)} matched (")


def test_a_second_row_for_a_taken_municipality_names_the_first(demo_layers):
    listing = pd.DataFrame({"name_en": ["Misrata", "Misurata"], "name_ar": ["", ""]})
    result = crosswalk_municipalities(listing, demo_layers["municipalities"])
    assert result.matches["pcode"].tolist() == ["DM-MI-01", ""]
    assert "already matched to row 2" in result.matches["note"].iloc[1]


def test_codes_equal_to_workspace_pcodes_match_first(demo_layers):
    listing = pd.DataFrame({"pcode": ["dm-mi-02 "], "name_en": ["Misrata"]})
    result = crosswalk_municipalities(listing, demo_layers["municipalities"])
    assert result.matches[["pcode", "method", "confidence"]].iloc[0].tolist() == [
        "DM-MI-02",
        "code",
        1.0,
    ]


def test_fuzzy_matches_get_a_confidence_below_exact_ones(demo_layers):
    listing = pd.DataFrame({"name_ar": ["الشويريف"]})  # the demo spells it الشويرف
    result = crosswalk_municipalities(listing, demo_layers["municipalities"])
    row = result.matches.iloc[0]
    # name keys شويريف / شويرف: similarity 2*5/11, confidence 0.8*s - 0.04
    assert (row["pcode"], row["method"]) == ("DM-JG-12", "fuzzy")
    assert row["confidence"] == pytest.approx(round(0.8 * 10 / 11 - 0.04, 3))


def test_rows_with_coordinates_match_spatially_when_names_fail():
    polygons = gpd.GeoDataFrame(
        {
            "pcode": ["A", "B"],
            "name_en": ["Alpha", "Beta"],
            "name_ar": ["الف", "باء"],
            "boundary_kind": ["official", "approximate"],
            "seat_lon": [13.05, 14.05],
            "seat_lat": [32.05, 32.05],
        },
        geometry=[shapely.box(13.0, 32.0, 13.1, 32.1), shapely.box(14.0, 32.0, 14.1, 32.1)],
        crs=4326,
    )
    listing = pd.DataFrame(
        {"name_en": ["Unknown One", "Unknown Two", "Far Away"],
         "longitude": ["13.05", "14.05", "20.0"], "latitude": ["32.05", "32.05", "25.0"]}
    )  # fmt: skip
    result = crosswalk_municipalities(listing, polygons)
    assert result.matches["pcode"].tolist() == ["A", "B", ""]
    assert result.matches["method"].tolist() == ["spatial", "spatial", "none"]
    assert result.matches["confidence"].tolist() == [0.7, 0.6, 0.0]


def test_without_locate_named_the_location_matches_only_rows_without_a_name():
    polygons = gpd.GeoDataFrame(
        {"pcode": ["A"], "name_en": ["Alpha"], "name_ar": ["الف"], "boundary_kind": ["official"],
         "seat_lon": [13.05], "seat_lat": [32.05]},
        geometry=[shapely.box(13.0, 32.0, 13.1, 32.1)],
        crs=4326,
    )  # fmt: skip
    # Both rows lie in A; the first names a place A is not, the second only has a code.
    listing = pd.DataFrame(
        {"code": ["101", "102"], "name_en": ["Unknown One", ""],
         "longitude": ["13.05", "13.06"], "latitude": ["32.05", "32.06"]}
    )  # fmt: skip
    result = crosswalk_municipalities(listing, polygons, locate_named=False)
    assert result.matches["pcode"].tolist() == ["", "A"]
    assert result.matches["method"].tolist() == ["none", "spatial"]
    assert result.matches["note"].iloc[0] == "it lies in Alpha (A) but names another place"


def test_a_seat_within_20_km_matches_when_there_are_no_polygons():
    seats = pd.DataFrame(
        {"pcode": ["A"], "name_en": ["Alpha"], "name_ar": ["الف"], "seat_lon": [13.0],
         "seat_lat": [32.0]}
    )  # fmt: skip
    # 0.1 degree of latitude is about 11 km
    listing = pd.DataFrame({"name_en": ["Somewhere"], "lon": ["13.0"], "lat": ["32.1"]})
    result = crosswalk_municipalities(listing, seats)
    assert result.matches[["pcode", "confidence"]].iloc[0].tolist() == ["A", 0.5]


def test_a_list_without_codes_or_names_is_refused(demo_layers):
    with pytest.raises(InputError, match="no column of codes or names"):
        crosswalk_municipalities(pd.DataFrame({"x": [1]}), demo_layers["municipalities"])
