"""Unit tests of geo.filters: the filter model, its application, the URL form and search."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.errors import InputError
from geo.filters import (
    CENTRE,
    MUNICIPALITY,
    NO_ELECTION,
    MapFilters,
    apply_filters,
    area_pcodes,
    filter_options,
    filters_from_query,
    filters_to_query,
    search_places,
)
from tests.geo.map_world import world


def ids(frame: pd.DataFrame, column: str) -> list[str]:
    return sorted(frame[column].astype(str))


# --- the filter model ---------------------------------------------------------------------


def test_equal_choices_give_equal_filters_whatever_their_order():
    assert MapFilters(districts=("D2", "D1", "D1")) == MapFilters(districts=["D1", "D2"])
    assert MapFilters(districts=("D2", "D1")).districts == ("D1", "D2")


def test_no_choice_means_everything():
    assert MapFilters().is_empty
    assert not MapFilters().has_area
    assert MapFilters(municipalities=("M1",)).has_area


def test_an_inverted_date_range_is_refused_with_a_fix():
    with pytest.raises(InputError, match="swap the two dates"):
        MapFilters(date_from=dt.date(2025, 2, 1), date_to=dt.date(2025, 1, 1))


def test_datetimes_are_taken_as_dates():
    filters = MapFilters(date_from=dt.datetime(2025, 1, 1, 13, 30))
    assert filters.date_from == dt.date(2025, 1, 1)


# --- applying filters ------------------------------------------------------------------------


def test_without_filters_every_row_is_kept_and_access_status_added():
    layers = apply_filters(world(), MapFilters())
    assert len(layers.centres) == 4
    assert len(layers.units) == 3
    assert len(layers.incidents) == 4
    assert len(layers.municipalities) == 4
    assert layers.area_pcodes is None
    status = dict(zip(layers.centres["centre_id"], layers.centres["access_status"], strict=True))
    assert status == {
        "10001": "accessible",
        "10002": "inaccessible",
        "20001": "partial",
        "30001": "unknown",
    }


def test_region_keeps_its_municipalities_and_places_rows_through_their_centre():
    layers = apply_filters(world(), MapFilters(regions=("R-E",)))
    assert layers.area_pcodes == frozenset({"M4"})
    assert ids(layers.municipalities, "pcode") == ["M4"]
    assert ids(layers.centres, "centre_id") == ["30001"]
    # U3 and I3 have no municipality of their own: they are placed by their centre
    assert ids(layers.units, "unit_id") == ["U3"]
    assert ids(layers.incidents, "incident_id") == ["I3"]


def test_district_and_municipality_must_both_hold():
    filters = MapFilters(districts=("D1",), municipalities=("M1", "M3"))
    assert area_pcodes(filters, world()["municipalities"]) == frozenset({"M1"})


def test_district_filter_keeps_regions_and_districts_for_context():
    layers = apply_filters(world(), MapFilters(districts=("D1",)))
    assert ids(layers.centres, "centre_id") == ["10001", "10002"]
    assert ids(layers.incidents, "incident_id") == ["I1", "I4"]
    assert len(layers.districts) == 3
    assert len(layers.regions) == 2


def test_region_filter_without_districts_layer_says_what_is_missing():
    layers = world()
    with pytest.raises(InputError, match="districts layer"):
        area_pcodes(MapFilters(regions=("R-W",)), layers["municipalities"], None)


def test_election_filter_can_ask_for_incidents_without_election():
    layers = apply_filters(world(), MapFilters(elections=(NO_ELECTION,)))
    assert ids(layers.incidents, "incident_id") == ["I4"]
    layers = apply_filters(world(), MapFilters(elections=("municipal 2025 phase 2",)))
    assert ids(layers.incidents, "incident_id") == ["I2", "I3"]


def test_date_range_includes_both_ends():
    filters = MapFilters(date_from=dt.date(2025, 1, 5), date_to=dt.date(2025, 8, 1))
    layers = apply_filters(world(), filters)
    assert ids(layers.incidents, "incident_id") == ["I2", "I4"]


def test_category_filter():
    layers = apply_filters(world(), MapFilters(incident_categories=("attack_on_centre",)))
    assert ids(layers.incidents, "incident_id") == ["I1"]


def test_centre_type_and_access_filters_also_restrict_audits():
    layers = apply_filters(world(), MapFilters(access_statuses=("inaccessible", "partial")))
    assert ids(layers.centres, "centre_id") == ["10002", "20001"]
    assert ids(layers.audits, "centre_id") == ["10002", "20001"]
    layers = apply_filters(world(), MapFilters(centre_types=("displaced",)))
    assert ids(layers.centres, "centre_id") == ["10002"]


def test_unit_agency_and_type_filters():
    layers = apply_filters(world(), MapFilters(unit_agencies=("ESD",)))
    assert ids(layers.units, "unit_id") == ["U1", "U3"]
    layers = apply_filters(world(), MapFilters(unit_types=("patrol",)))
    assert ids(layers.units, "unit_id") == ["U2"]


def test_filters_do_not_change_the_input_frames():
    layers = world()
    before = layers["centres"].copy()
    apply_filters(layers, MapFilters(districts=("D1",)))
    pd.testing.assert_frame_equal(layers["centres"], before)


def test_filter_options_offer_the_values_of_the_workspace():
    options = filter_options(world())
    assert list(options.regions["pcode"]) == ["R-E", "R-W"]  # sorted by English name
    assert set(options.districts.columns) >= {"pcode", "name_en", "name_ar", "region_pcode"}
    assert options.unit_agencies == ("ESD", "Police")
    assert options.elections == ("municipal 2024 phase 1", "municipal 2025 phase 2", NO_ELECTION)
    assert (options.first_date, options.last_date) == (dt.date(2024, 11, 1), dt.date(2025, 8, 10))
    assert "inaccessible" in options.access_statuses


# --- URL query parameters -------------------------------------------------------------------


def test_filters_round_trip_through_the_url_query():
    filters = MapFilters(
        regions=("R-W",),
        districts=("D1", "D2"),
        elections=("municipal 2025 phase 2",),
        date_from=dt.date(2025, 1, 1),
        unit_types=("patrol",),
        access_statuses=("inaccessible",),
    )
    query = filters_to_query(filters)
    assert query["district"] == ["D1", "D2"]
    assert query["from"] == ["2025-01-01"]
    assert "to" not in query
    back, problems = filters_from_query(query, options=filter_options(world()))
    assert back == filters
    assert problems == []


def test_empty_filters_give_an_empty_query():
    assert filters_to_query(MapFilters()) == {}


def test_unknown_values_in_a_link_are_left_out_and_reported():
    query = {"district": ["D1", "D9"], "category": "riot", "other": "x"}
    filters, problems = filters_from_query(query, options=filter_options(world()))
    assert filters == MapFilters(districts=("D1",))
    assert any("D9" in p for p in problems)
    assert any("riot" in p for p in problems)


def test_bad_and_inverted_dates_in_a_link_are_ignored_and_reported():
    filters, problems = filters_from_query({"from": "16/05/2025"})
    assert filters.date_from is None
    assert "YYYY-MM-DD" in problems[0]
    filters, problems = filters_from_query({"from": "2025-05-02", "to": "2025-05-01"})
    assert (filters.date_from, filters.date_to) == (None, None)
    assert "swap" in problems[0]


# --- search ------------------------------------------------------------------------------------


def search(query: str, **kwargs) -> pd.DataFrame:
    layers = world()
    return search_places(query, layers["centres"], layers["municipalities"], **kwargs)


def test_exact_centre_id_comes_first():
    hits = search("10001")
    assert (hits.loc[0, "kind"], hits.loc[0, "id"]) == (CENTRE, "10001")


def test_id_prefix_finds_every_centre_it_starts():
    hits = search("1000")
    assert set(hits["id"]) == {"10001", "10002"}


@pytest.mark.parametrize("query", ["طرابلس", "Tripoli", "tripoli center", "Tarabulus"])
def test_tripoli_in_arabic_or_english_finds_the_municipality_and_its_centres(query):
    hits = search(query)
    assert (hits.loc[0, "kind"], hits.loc[0, "id"]) == (MUNICIPALITY, "M1")
    assert {"10001", "10002"} <= set(hits.loc[hits["kind"] == CENTRE, "id"])
    assert hits.loc[0, "bounds"] == (12.5, 32.0, 14.0, 33.0)


@pytest.mark.parametrize("query", ["مصراته", "مُصراتة", "Misurata", "Misratah"])
def test_spelling_variants_find_misrata(query):
    hits = search(query)
    assert hits.loc[0, "id"] == "M3"


@pytest.mark.parametrize("query", ["El-Amal school", "al amal", "الامل", "مدرسة الأمل"])
def test_centre_name_variants_find_the_centre(query):
    hits = search(query)
    assert hits.loc[hits["kind"] == CENTRE, "id"].iloc[0] == "10001"


def test_municipality_without_polygon_is_found_at_its_seat():
    hits = search("بنغازي")
    municipality = hits[hits["kind"] == MUNICIPALITY].iloc[0]
    assert municipality["bounds"] is None
    assert (municipality["lat"], municipality["lon"]) == (32.11, 20.07)


def test_centre_hits_carry_their_position():
    hit = search("20001").iloc[0]
    assert (hit["lat"], hit["lon"]) == pytest.approx((32.37, 15.09))


def test_blank_or_unknown_search_finds_nothing():
    assert search("   ").empty
    assert search("zzzz").empty


def test_search_respects_the_limit():
    assert len(search("1", limit=1)) == 1
