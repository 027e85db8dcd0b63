"""Unit tests of geo.redaction: unit positions only for roles allowed to see them."""

from __future__ import annotations

import dataclasses

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


POSITION_ROLES = ("admin", "planner", "operator")


@pytest.mark.parametrize("role", POSITION_ROLES)
def test_roles_allowed_to_see_positions_get_the_units_themselves(role):
    shown = units_for_viewer(units(), Viewer("x", role))
    assert isinstance(shown, gpd.GeoDataFrame)
    assert list(shown["unit_id"]) == list(units()["unit_id"])
    assert shown.geometry.notna().all()


@pytest.mark.parametrize("role", [r for r in ROLES if r not in POSITION_ROLES])
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


# --- the allow-list, through every export ------------------------------------------------

#: A column nobody has checked yet, with a value that shows wherever it leaks.
NEW_COLUMN = "unit_bearing_deg"
NEW_VALUE = 271.828


@pytest.fixture
def with_new_column(monkeypatch, demo_workspace):
    """The demo workspace whose coverage table (and gap list) carries :data:`NEW_COLUMN`."""
    import geo.reports as reports
    from geo.workspace import open_workspace

    original = reports.analyse_coverage

    def analyse_with_new_column(*args, **kwargs):
        result = original(*args, **kwargs)
        centres = result.centres.assign(**{NEW_COLUMN: NEW_VALUE})
        return dataclasses.replace(result, centres=centres)

    monkeypatch.setattr(reports, "analyse_coverage", analyse_with_new_column)
    monkeypatch.setattr(reports, "_GAP_COLUMNS", (*reports._GAP_COLUMNS, NEW_COLUMN))
    return open_workspace(demo_workspace)


def _export(workspace, viewer, fmt, table=None) -> bytes:
    from geo.reports import ReportOptions, export_report

    options = ReportOptions(viewer=viewer, as_of="2025-08-01", generated_at="2025-08-02")
    return export_report(workspace, fmt, options, table=table)


def _layer_columns(content: bytes, suffix: str, tmp_path) -> set[str]:
    import pyogrio

    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"export{suffix}"
    path.write_bytes(content)
    columns: set[str] = set()
    for name, _ in pyogrio.list_layers(path):
        columns |= set(pyogrio.read_info(path, layer=name)["fields"])
    return columns


@pytest.mark.parametrize(("fmt", "suffix"), [("geojson", ".geojson"), ("gpkg", ".gpkg")])
def test_new_column_is_withheld_from_briefers_gis_exports(with_new_column, fmt, suffix, tmp_path):
    planner = _layer_columns(_export(with_new_column, PLANNER, fmt), suffix, tmp_path / "p")
    briefer = _layer_columns(_export(with_new_column, BRIEFER, fmt), suffix, tmp_path / "b")
    assert NEW_COLUMN in planner
    assert NEW_COLUMN not in briefer
    assert not set(UNIT_DISTANCE_COLUMNS) & briefer
    from geo.risk import COMPONENTS

    assert {"status", "risk_score", *(column for column, _ in COMPONENTS)} <= briefer


def test_new_column_is_withheld_from_briefers_csv(with_new_column):
    planner = _export(with_new_column, PLANNER, "csv", "gaps").decode("utf-8-sig")
    briefer = _export(with_new_column, BRIEFER, "csv", "gaps").decode("utf-8-sig")
    assert NEW_COLUMN in planner.splitlines()[0]
    assert str(NEW_VALUE) in planner
    assert NEW_COLUMN not in briefer.splitlines()[0]
    assert str(NEW_VALUE) not in briefer


def test_new_column_is_withheld_from_briefers_excel(with_new_column):
    import io

    def cells(content: bytes) -> str:
        sheets = pd.read_excel(io.BytesIO(content), sheet_name=None, header=None, dtype=str)
        return "\n".join(sheet.to_csv() for sheet in sheets.values())

    planner = cells(_export(with_new_column, PLANNER, "xlsx"))
    briefer = cells(_export(with_new_column, BRIEFER, "xlsx"))
    assert NEW_COLUMN in planner
    assert NEW_COLUMN not in briefer
    assert str(NEW_VALUE) not in briefer


@pytest.mark.parametrize("role", ["briefer", "analyst"])
def test_new_column_is_withheld_from_the_command_line_role(with_new_column, role, tmp_path):
    import shutil

    from geo.cli import main

    # A copy: the command records the export in the workspace's audit log.
    workspace = shutil.copy(with_new_column.path, tmp_path / "workspace.gpkg")
    outputs = {}
    for who in ("planner", role):
        out = tmp_path / f"{who}.geojson"
        code = main(
            ["report", "--workspace", str(workspace), "--format", "geojson",
             "--role", who, "--as-of", "2025-08-01", "--out", str(out)]
        )  # fmt: skip
        assert code == 0
        outputs[who] = out.read_text(encoding="utf-8")
    assert NEW_COLUMN in outputs["planner"]
    assert NEW_COLUMN not in outputs[role]


def test_new_column_is_withheld_from_briefers_map_details(demo_workspace):
    from geo.mapview import centre_details
    from geo.reports import analyse_workspace
    from geo.workspace import open_workspace

    workspace = open_workspace(demo_workspace)
    centres = workspace.layer("centres").assign(**{NEW_COLUMN: NEW_VALUE})
    coverage = analyse_workspace(workspace, as_of="2025-08-01").centres
    coverage = coverage.assign(**{NEW_COLUMN: NEW_VALUE})
    centre_id = str(centres["centre_id"].iloc[0])

    def shown(viewer: Viewer) -> str:
        details = centre_details(
            centre_id, centres=centres, viewer=viewer, coverage=coverage,
            units=workspace.layer("units"),
        )  # fmt: skip
        tables = [details.attributes, details.coverage]
        return "\n".join(t.to_csv() for t in tables if t is not None)

    assert NEW_COLUMN in shown(PLANNER)
    assert NEW_COLUMN not in shown(BRIEFER)
    assert str(NEW_VALUE) not in shown(BRIEFER)


def test_allow_list_holds_no_distance_to_units():
    from geo.redaction import COLUMNS_WITHOUT_UNIT_POSITIONS

    assert not set(UNIT_DISTANCE_COLUMNS) & COLUMNS_WITHOUT_UNIT_POSITIONS
    assert "nearest_unit_km" not in COLUMNS_WITHOUT_UNIT_POSITIONS
