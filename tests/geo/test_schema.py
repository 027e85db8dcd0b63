"""Tests of geo/schema.py: every problem named with layer, row and column; canonical dtypes."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.errors import SchemaError
from geo.schema import (
    LAYER_NAMES,
    LAYERS,
    check_layer,
    coerce_layer,
    empty_layer,
    validate_layer,
)

TODAY = pd.Timestamp("2025-06-01")


def make_centres() -> gpd.GeoDataFrame:
    """Three valid centres in Tripoli, Misrata and Sabha."""
    return gpd.GeoDataFrame(
        {
            "centre_id": ["00101", "00102", "00103"],
            "name_ar": ["مدرسة طرابلس", "مركز مصراتة", "مدرسة سبها"],
            "name_en": ["Tripoli School", None, "Sabha School"],
            "municipality_pcode": ["LY021104", "LY020502", "LY030101"],
            "centre_type": ["general", "displaced", "other"],
            "stations_male": [1, 2, 1],
            "stations_female": [1, 1, 0],
            "stations_mixed": [0, 0, 1],
            "registered_voters": [800, 1500, 600],
            "voters_male": [400, None, None],
            "voters_female": [400, None, None],
            "status": ["open", "open", "planned"],
            "source": ["HNEC", "HNEC", "HNEC"],
        },
        geometry=[Point(13.19, 32.89), Point(15.09, 32.38), Point(14.43, 27.04)],
        crs="EPSG:4326",
    )


def make_incidents() -> gpd.GeoDataFrame:
    """Two valid incidents."""
    return gpd.GeoDataFrame(
        {
            "incident_id": ["I-1", "I-2"],
            "date": ["2024-11-16", "2025-05-31"],
            "election": ["municipal 2024 phase 1", None],
            "category": ["intimidation", "attack_on_centre"],
            "severity": [2, 5],
            "fatalities": [0, 1],
            "injuries": [0, 3],
            "centre_id": [None, "00101"],
            "municipality_pcode": ["LY021104", None],
            "verified": ["yes", None],
            "description": ["تهديد الناخبين", "Attack on the centre"],
            "source": ["ACLED", "UNSMIL"],
        },
        geometry=[Point(13.2, 32.9), Point(13.19, 32.89)],
        crs="EPSG:4326",
    )


def located(report_problems: tuple) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in report_problems]


def test_valid_frames_have_no_problem() -> None:
    assert validate_layer("centres", make_centres(), today=TODAY).problems == ()
    assert validate_layer("incidents", make_incidents(), today=TODAY).problems == ()


def test_missing_column_is_named() -> None:
    report = validate_layer("centres", make_centres().drop(columns=["status"]))
    assert located(report.errors) == [(None, "status")]
    assert "required column 'status' is missing" in report.errors[0].message


def test_duplicate_id_gives_the_row_of_both() -> None:
    centres = make_centres()
    centres.loc[2, "centre_id"] = "00101"
    report = validate_layer("centres", centres)
    assert located(report.errors) == [(3, "centre_id")]
    assert "duplicate ID '00101' (first used on row 1)" in report.errors[0].message


def test_negative_count_is_an_error() -> None:
    centres = make_centres()
    centres.loc[0, "stations_female"] = -1
    report = validate_layer("centres", centres)
    # Row 1 keeps 1 - 1 + 0 = 0 stations for 800 voters, which is also reported.
    assert located(report.errors) == [(1, "stations_female"), (1, "registered_voters")]
    assert "-1 is below the minimum 0; counts cannot be negative" in report.errors[0].message


def test_unknown_category_lists_the_allowed_values() -> None:
    incidents = make_incidents()
    incidents.loc[1, "category"] = "riot"
    report = validate_layer("incidents", incidents, today=TODAY)
    assert located(report.errors) == [(2, "category")]
    assert "'riot' is not one of attack_on_centre, armed_interference" in (report.errors[0].message)


def test_more_than_550_voters_per_station_is_an_error() -> None:
    centres = make_centres()
    # Row 1 has 1 + 1 + 0 = 2 stations: 1100 voters fit, 1101 do not.
    centres.loc[0, ["registered_voters", "voters_male", "voters_female"]] = [1100, 550, 550]
    assert validate_layer("centres", centres).errors == ()
    centres.loc[0, ["registered_voters", "voters_male"]] = [1101, 551]
    report = validate_layer("centres", centres)
    assert located(report.errors) == [(1, "registered_voters")]
    assert "1101 voters in 2 station(s) is more than 550 per station" in (report.errors[0].message)


def test_voters_by_sex_that_do_not_add_up_are_a_warning() -> None:
    centres = make_centres()
    centres.loc[0, "voters_male"] = 300
    report = validate_layer("centres", centres)
    assert report.ok
    assert located(report.warnings) == [(1, "registered_voters")]


def test_swapped_looking_point_falls_outside_libya() -> None:
    centres = make_centres()
    centres.loc[1, "geometry"] = Point(32.38, 15.09)  # Misrata with lat and lon swapped
    report = validate_layer("centres", centres)
    assert located(report.errors) == [(2, "geometry")]
    assert "outside Libya" in report.errors[0].message
    assert "swapped" in report.errors[0].message


def test_future_date_is_an_error_but_today_is_not() -> None:
    incidents = make_incidents()
    incidents.loc[0, "date"] = "2025-06-01"
    incidents.loc[1, "date"] = "2025-06-02"
    report = validate_layer("incidents", incidents, today=TODAY)
    assert located(report.errors) == [(2, "date")]
    assert "date 2025-06-02 is in the future" in report.errors[0].message


def test_unreadable_values_are_named_with_the_expected_kind() -> None:
    incidents = make_incidents()
    incidents["severity"] = [2.5, 5]
    incidents.loc[1, "verified"] = "maybe"
    report = validate_layer("incidents", incidents, today=TODAY)
    assert located(report.errors) == [(1, "severity"), (2, "verified")]
    assert report.errors[0].message == "'2.5' is not a whole number; correct the value"
    assert report.errors[1].message == "'maybe' is not yes or no; correct the value"


def test_row_numbers_follow_row_base() -> None:
    centres = make_centres()
    centres.loc[2, "centre_id"] = "00101"
    centres.loc[1, "status"] = "closed?"
    report = validate_layer("centres", centres, row_base=2)
    # With a header line, data rows are numbered 2, 3, 4.
    assert located(report.errors) == [(3, "status"), (4, "centre_id")]
    assert "(first used on row 2)" in report.errors[1].message


def test_every_problem_names_its_layer_row_and_column() -> None:
    centres = make_centres()
    centres.loc[0, "name_ar"] = " "
    centres.loc[1, "centre_type"] = "school"
    centres["stations_mixed"] = [0, 0, "two"]
    centres.loc[2, "geometry"] = None
    report = validate_layer("centres", centres)
    assert located(report.errors) == [
        (1, "name_ar"),
        (2, "centre_type"),
        (3, "stations_mixed"),
        (3, "geometry"),
    ]
    assert all(p.layer == "centres" for p in report.problems)
    assert str(report.errors[0]) == (
        "centres, row 1, column 'name_ar': value is empty; fill it in or remove the row"
    )


def test_check_layer_raises_with_every_problem_in_the_report() -> None:
    centres = make_centres()
    centres.loc[0, "status"] = "shut"
    centres.loc[1, "stations_male"] = -2
    centres.loc[2, "geometry"] = Point(50.0, 10.0)
    with pytest.raises(SchemaError) as caught:
        check_layer("centres", centres)
    report = caught.value.report
    # Row 2: -2 + 1 + 0 = -1 stations, so its 1500 voters are also too many.
    assert located(report.errors) == [
        (2, "stations_male"),
        (1, "status"),
        (3, "geometry"),
        (2, "registered_voters"),
    ]
    assert str(caught.value).startswith("4 error(s), 0 warning(s) in 'centres'")
    assert report.to_frame()["row"].tolist() == [2, 1, 3, 2]


def test_plain_table_for_a_point_layer_is_reported() -> None:
    report = validate_layer("centres", pd.DataFrame(make_centres().drop(columns="geometry")))
    assert located(report.errors) == [(None, "geometry")]


def test_coerce_gives_canonical_dtypes_and_keeps_leading_zeros() -> None:
    incidents = make_incidents()
    incidents["centre_id"] = [None, "00101"]
    incidents["extra"] = ["a", "b"]
    coerced = coerce_layer("incidents", incidents)
    assert coerced.columns.tolist() == [*LAYERS["incidents"].column_names, "extra", "geometry"]
    assert coerced["centre_id"].tolist()[1] == "00101"
    assert str(coerced["severity"].dtype) == "Int64"
    assert str(coerced["verified"].dtype) == "boolean"
    assert coerced["verified"].tolist() == [True, pd.NA]
    assert str(coerced["date"].dtype) == "datetime64[ms]"
    assert coerced["date"].tolist() == [pd.Timestamp("2024-11-16"), pd.Timestamp("2025-05-31")]
    assert coerced.crs == "EPSG:4326"


def test_coerce_reads_arabic_and_english_yes_and_no() -> None:
    audits = pd.DataFrame(
        {
            "audit_id": ["1", "2", "3", "4"],
            "centre_id": ["00101"] * 4,
            "audit_date": ["2025-01-02"] * 4,
            "ramp": ["نعم", "لا", " Yes ", ""],
            "source": ["audit"] * 4,
        }
    )
    coerced = coerce_layer("access_audits", audits)
    assert coerced["ramp"].tolist() == [True, False, True, pd.NA]
    assert coerced["notes"].isna().all()
    assert not isinstance(coerced, gpd.GeoDataFrame)


def test_coerce_reads_a_zero_one_column_with_blanks() -> None:
    audits = pd.DataFrame(
        {
            "audit_id": ["1", "2", "3"],
            "centre_id": ["00101"] * 3,
            "audit_date": ["2025-01-02"] * 3,
            "step_free_entrance": [True, True, False],
            "ramp": [1.0, 0.0, None],
            "ground_floor_voting": [True, True, False],
            "accessible_toilet": [True, True, False],
            "parking_near": [True, True, False],
            "notes": [None, None, None],
            "source": ["audit"] * 3,
        }
    )
    assert validate_layer("access_audits", audits).errors == ()
    assert coerce_layer("access_audits", audits)["ramp"].tolist() == [True, False, pd.NA]


@pytest.mark.parametrize("layer", LAYER_NAMES)
def test_empty_layer_is_valid_and_canonical(layer: str) -> None:
    empty = empty_layer(layer)
    assert len(empty) == 0
    assert validate_layer(layer, empty).problems == ()
    assert empty.columns.tolist()[: len(LAYERS[layer].columns)] == list(LAYERS[layer].column_names)


def test_optional_columns_may_be_absent_but_required_ones_may_not() -> None:
    audits = pd.DataFrame(
        {
            "audit_id": ["1"],
            "centre_id": ["00101"],
            "audit_date": ["2025-01-02"],
            "source": ["audit"],
        }
    )
    assert validate_layer("access_audits", audits).ok
    report = validate_layer("access_audits", audits.drop(columns="audit_date"))
    assert [(p.row, p.column) for p in report.errors] == [(None, "audit_date")]
