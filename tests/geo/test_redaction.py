"""Unit tests of geo.redaction: unit positions only for roles allowed to see them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo.errors import AccessDeniedError
from geo.permissions import ROLES, Viewer
from geo.redaction import (
    COUNT_COLUMNS,
    UNIT_DISTANCE_COLUMNS,
    UNKNOWN_MUNICIPALITY,
    coverage_for_viewer,
    require_unit_positions,
    unit_counts_by_municipality,
    unit_positions,
    units_for_viewer,
)
from tests.geo import builders as b

PLANNER = Viewer("p", "planner")
BRIEFER = Viewer("b", "briefer")


def units() -> gpd.GeoDataFrame:
    """Five units in two municipalities; U5 has no municipality but a centre in M2."""
    return b.units(
        {"unit_type": "static_guard", "municipality_pcode": "M1", "officers": 6,
         "female_officers": 1, "vehicles": 0, "assigned_centre_id": "C1", "pos": b.at(1, 0)},
        {"unit_type": "static_guard", "municipality_pcode": "M1", "officers": 4,
         "female_officers": 0, "vehicles": 0, "assigned_centre_id": "C2", "pos": b.at(2, 0)},
        {"unit_type": "patrol", "municipality_pcode": "M1", "officers": 4,
         "female_officers": 2, "vehicles": 1, "pos": b.at(3, 0)},
        {"unit_type": "rapid_response", "municipality_pcode": "M2", "officers": 12,
         "female_officers": 0, "vehicles": 3, "pos": b.at(0, 20)},
        {"unit_type": "static_guard", "officers": 5, "female_officers": 1, "vehicles": 0,
         "assigned_centre_id": "C9", "pos": b.at(0, 21)},
    )  # fmt: skip


def centres() -> pd.DataFrame:
    return b.centres(
        {"centre_id": "C1", "municipality_pcode": "M1"},
        {"centre_id": "C2", "municipality_pcode": "M1"},
        {"centre_id": "C9", "municipality_pcode": "M2"},
    )


def test_counts_per_municipality_add_up_by_hand():
    counts = unit_counts_by_municipality(units(), centres=centres()).set_index("municipality_pcode")
    assert list(counts.index) == ["M1", "M2"]
    assert counts.loc["M1", "units"] == 3
    assert counts.loc["M1", "units_static_guard"] == 2
    assert counts.loc["M1", "units_patrol"] == 1
    assert counts.loc["M1", "officers"] == 14
    assert counts.loc["M1", "female_officers"] == 3
    assert counts.loc["M1", "vehicles"] == 1
    # U5 has no municipality of its own; its assigned centre C9 lies in M2
    assert counts.loc["M2", "units"] == 2
    assert counts.loc["M2", "officers"] == 17
    assert counts.loc["M2", "units_rapid_response"] == 1


def test_units_that_cannot_be_placed_are_counted_as_unknown():
    counts = unit_counts_by_municipality(units())
    assert UNKNOWN_MUNICIPALITY in set(counts["municipality_pcode"])
    assert counts["units"].sum() == 5


def test_counts_hold_no_position_no_id_and_no_assignment():
    counts = unit_counts_by_municipality(units(), centres=centres())
    assert list(counts.columns) == list(COUNT_COLUMNS)
    assert not isinstance(counts, gpd.GeoDataFrame)
    for column in ("geometry", "unit_id", "assigned_centre_id", "lat", "lon", "agency"):
        assert column not in counts.columns


def test_no_units_give_an_empty_count_table():
    counts = unit_counts_by_municipality(units().iloc[0:0])
    assert counts.empty
    assert list(counts.columns) == list(COUNT_COLUMNS)


@pytest.mark.parametrize("role", ["admin", "planner"])
def test_roles_allowed_to_see_positions_get_the_units_themselves(role):
    shown = units_for_viewer(units(), Viewer("x", role))
    assert isinstance(shown, gpd.GeoDataFrame)
    assert list(shown["unit_id"]) == list(units()["unit_id"])
    assert shown.geometry.notna().all()


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("admin", "planner")])
def test_every_other_role_gets_counts_only(role):
    shown = units_for_viewer(units(), Viewer("x", role), centres=centres())
    assert not isinstance(shown, gpd.GeoDataFrame)
    assert "unit_id" not in shown.columns
    assert "assigned_centre_id" not in shown.columns
    assert shown["units"].sum() == 5


def test_units_for_viewer_returns_a_copy():
    layer = units()
    shown = units_for_viewer(layer, PLANNER)
    shown.loc[0, "officers"] = 99
    assert layer.loc[0, "officers"] == 6


def test_positions_are_refused_to_a_briefer_with_a_reason():
    with pytest.raises(AccessDeniedError, match="may not see the positions"):
        unit_positions(units(), BRIEFER)
    with pytest.raises(AccessDeniedError, match="briefer"):
        require_unit_positions(BRIEFER)
    require_unit_positions(PLANNER)


def test_coverage_without_unit_distances_for_a_briefer():
    table = pd.DataFrame(
        {
            "centre_id": ["C1"],
            "status": ["full"],
            "nearest_static_km": [0.1],
            "nearest_patrol_km": [3.0],
            "patrol_response_min": [5.0],
            "nearest_unit_km": [0.1],
            "shortfall": [2],
        }
    )
    redacted = coverage_for_viewer(table, BRIEFER)
    assert list(redacted.columns) == ["centre_id", "status", "shortfall"]
    assert not set(UNIT_DISTANCE_COLUMNS) & set(redacted.columns)
    assert coverage_for_viewer(table, PLANNER) is table
