"""Reports and exports: every number is checked against the coverage analysis itself."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from geo.cli import main
from geo.coverage import analyse_coverage, gap_list, need_list, rollup_coverage
from geo.errors import AccessDeniedError, InputError
from geo.export import FORMULA_PREFIXES
from geo.i18n import translate
from geo.pdf import isolate_numbers, pdf_report, slides_pdf
from geo.permissions import Viewer
from geo.redaction import unit_counts_by_municipality
from geo.reports import (
    GEO_LAYERS,
    SHEET_TITLES,
    TABLES,
    ReportData,
    ReportError,
    ReportOptions,
    Scope,
    analyse_workspace,
    briefing_path,
    column_label,
    csv_table,
    excel_report,
    export_report,
    format_share,
    geojson_layer,
    geopackage,
    incidents_by_period,
    labelled,
    parse_scope,
    prepare_report,
    prepare_slides,
    report_file_name,
    report_table,
    slide_for,
    summarise_scope,
)
from geo.staticmap import (
    GAP_CLASSES,
    NO_CENTRES_COLOUR,
    FontMissingError,
    find_font,
    gap_class_colours,
    render_coverage_map,
)
from geo.workspace import Workspace, open_workspace

REPO_ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-09-01"
GENERATED = pd.Timestamp("2025-09-02 08:30", tz="UTC")
PLANNER = Viewer("Planner Pat", "planner")
BRIEFER = Viewer("Briefer Bea", "briefer")
TRIPOLI_CENTRE = "DM-TB-09"  # Tripoli Center, طرابلس المركز
UNIT_ID = re.compile(r"U-\d{5}")


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} missing (apt-get install poppler-utils)")
        pytest.skip(f"{name} missing (apt-get install poppler-utils)")
    return path


def pdf_text(pdf: bytes, tmp_path: Path, *, page: int | None = None) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    done = subprocess.run(
        [need_tool("pdftotext"), *pages, "-layout", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def render_first_page(pdf: bytes, name: str) -> Path:
    """Render page 1 to ``test-artifacts/<name>.png`` (look at it: Arabic joined, RTL)."""
    artifacts = REPO_ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    source = artifacts / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [need_tool("pdftoppm"), "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile"]
        + [str(source), str(artifacts / name)],
        check=True,
    )
    return artifacts / f"{name}.png"


@pytest.fixture(scope="module")
def workspace(demo_workspace, tmp_path_factory) -> Workspace:
    # A copy: an export records itself in the workspace's audit log.
    path = tmp_path_factory.mktemp("reports") / "demo.gpkg"
    shutil.copyfile(demo_workspace, path)
    return open_workspace(path)


@pytest.fixture(scope="module")
def result(workspace):
    return analyse_workspace(workspace, as_of=AS_OF)


def options(viewer: Viewer = PLANNER, scope: str = "national", lang: str = "en", **kw):
    return ReportOptions(
        viewer=viewer,
        scope=parse_scope(scope),
        lang=lang,
        as_of=AS_OF,
        generated_at=GENERATED,
        **kw,
    )


@pytest.fixture(scope="module")
def national(workspace, result) -> ReportData:
    return prepare_report(workspace, options(PLANNER), result=result)


@pytest.fixture(scope="module")
def national_briefer(workspace, result) -> ReportData:
    return prepare_report(workspace, options(BRIEFER), result=result)


@pytest.fixture(scope="module")
def by_municipality(workspace, result):
    return rollup_coverage(
        result,
        workspace.layer("centres"),
        workspace.layer("incidents"),
        workspace.layer("municipalities"),
        workspace.layer("districts"),
        by="municipality",
    )


def read_book(raw: bytes) -> dict[str, pd.DataFrame]:
    """Every sheet as stored (cell types kept: text stays text), first row as headings."""
    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    out = {}
    for ws in book.worksheets:
        rows = list(ws.values)
        out[ws.title] = pd.DataFrame(rows[1:], columns=rows[0]) if rows else pd.DataFrame()
    return out


@pytest.fixture(scope="module")
def workbook(national) -> dict[str, pd.DataFrame]:
    return read_book(excel_report(national))


def sheet(book: dict[str, pd.DataFrame], data: ReportData, table: str) -> pd.DataFrame:
    """A data sheet with the report table's machine column names (headings checked)."""
    frame = book[translate(SHEET_TITLES[table], data.lang)].copy()
    expected = report_table(data, table)
    assert list(frame.columns) == list(labelled(expected, data.lang).columns)
    frame.columns = expected.columns
    return frame


def unit_pairs(workspace: Workspace) -> dict[float, set[float]]:
    """Longitude -> latitudes of the units, rounded to 5 decimals (about a metre).

    A few static guards of the demo stand exactly on their polling centre: that position
    is the centre's, public in every export, and tells nothing about the unit; those are
    left out.
    """
    units, centres = workspace.layer("units"), workspace.layer("centres")
    public = set(zip(np.round(centres.geometry.x, 5), np.round(centres.geometry.y, 5), strict=True))
    pairs: dict[float, set[float]] = {}
    for lon, lat in zip(np.round(units.geometry.x, 5), np.round(units.geometry.y, 5), strict=True):
        if (lon, lat) not in public:
            pairs.setdefault(float(lon), set()).add(float(lat))
    return pairs


def holds_a_unit_position(numbers: set[float], pairs: dict[float, set[float]]) -> bool:
    """True when ``numbers`` holds both the longitude and the latitude of some unit."""
    return any(bool(pairs[x] & numbers) for x in numbers if x in pairs)


def numbers_in(values) -> set[float]:
    out: set[float] = set()
    for value in values:
        if isinstance(value, float | int | np.floating) and not isinstance(value, bool):
            if np.isfinite(value):
                out.add(round(float(value), 5))
        elif isinstance(value, str):
            out |= {round(float(x), 5) for x in re.findall(r"-?\d+\.\d+", value)}
    return out


# --- scope and options --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, Scope()),
        ("national", Scope()),
        ("district:LY-TB", Scope("district", "LY-TB")),
        (" municipality:DM-TB-09 ", Scope("municipality", "DM-TB-09")),
        ("region:RG-W", Scope("region", "RG-W")),
    ],
)
def test_scopes_are_parsed_from_the_command_line_form(text, expected):
    assert parse_scope(text) == expected
    assert str(expected) == (text or "national").strip()


@pytest.mark.parametrize("text", ["district", "province:X", "district:", "national:LY"])
def test_a_scope_that_cannot_be_read_says_how_to_write_it(text):
    with pytest.raises(InputError, match="district:PCODE"):
        parse_scope(text)


def test_an_unknown_pcode_lists_valid_ones(workspace, result):
    with pytest.raises(InputError, match=r"'LY-XX' is not in .* \(e\.g\. LY-BA"):
        prepare_report(workspace, options(scope="district:LY-XX"), result=result)


def test_a_viewer_without_export_permission_gets_no_report(workspace, result):
    with pytest.raises(AccessDeniedError, match="may not export coverage"):
        prepare_report(workspace, options(Viewer("Val", "viewer")), result=result)


def test_a_result_computed_with_other_parameters_is_refused(workspace, result):
    other_day = ReportOptions(viewer=PLANNER, as_of="2024-01-01")
    with pytest.raises(InputError, match="other parameters"):
        prepare_report(workspace, other_day, result=result)


# --- figures -----------------------------------------------------------------------


def test_scope_figures_add_up_by_hand():
    table = pd.DataFrame(
        {
            "centre_id": ["1", "2", "3"],
            "status": ["full", "gap", "guard_only"],
            "registered_voters": [100, 300, 600],
            "officers_required": [4, 6, 8],
            "officers_assigned": [4, 0, 10],
            "shortfall": [0, 6, 0],
            "female_officers_required": [1, 1, 0],
            "female_officers_assigned": [1, 0, 0],
            "female_shortfall": [0, 1, 0],
            "access_status": ["accessible", "unknown", "accessible"],
        }
    )
    centres = pd.DataFrame(
        {
            "centre_id": ["1", "2", "3"],
            "stations_male": [1, 1, 2],
            "stations_female": [1, 1, 0],
            "stations_mixed": [0, 0, 1],
            "voters_female": [40, 150, 0],
        }
    )
    incidents = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2024-01-01", "2025-02-01"]),
            "election": ["b", "a", "b"],
        }
    )
    units = pd.DataFrame({"units": [2], "officers": [9], "female_officers": [1]})
    f = summarise_scope(table, centres, incidents, units)
    assert (f.centres, f.stations, f.stations_female, f.stations_mixed) == (3, 7, 2, 1)
    assert (f.voters, f.voters_female, f.voters_gap, f.voters_full) == (1000, 190, 300, 100)
    assert f.share_voters_gap == pytest.approx(0.3)
    assert f.share_voters_accessible == pytest.approx(0.7)
    assert (f.shortfall, f.female_shortfall, f.centres_no_female_officer) == (6, 1, 1)
    assert f.incidents_by_election == (("a", 1), ("b", 2))  # first incident first
    assert (f.units, f.unit_officers, f.unit_female_officers) == (2, 9, 1)


def test_national_figures_are_those_of_the_analysis(national, result):
    table = result.centres
    f = national.figures
    assert f.centres == len(table)
    assert f.voters == int(table["registered_voters"].sum())
    assert f.centres_gap == int((table["status"] == "gap").sum())
    assert f.shortfall == int(table["shortfall"].sum())
    assert f.female_shortfall == int(table["female_shortfall"].sum())


def test_incidents_are_counted_per_month_with_no_missing_month():
    incidents = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-03-09"]),
            "category": ["intimidation", "intimidation", "violent_protest"],
        }
    )
    counts = incidents_by_period(incidents)
    totals = counts.groupby("period")["incidents"].sum()
    assert totals.to_dict() == {"2025-01": 2, "2025-02": 0, "2025-03": 1}


# --- Excel -------------------------------------------------------------------------


def test_excel_municipalities_match_the_rollup(workbook, national, by_municipality):
    shown = sheet(workbook, national, "municipalities").set_index("pcode")
    expected = by_municipality.areas.set_index("pcode")
    assert set(shown.index) == set(expected.index)
    for column in ("centres", "centres_gap", "voters", "shortfall", "female_shortfall"):
        assert shown[column].to_dict() == expected[column].to_dict(), column
    assert shown["incidents"].sum() == expected["incidents"].sum()


def test_excel_districts_match_the_rollup_by_district(workbook, national, workspace, result):
    expected = rollup_coverage(
        result,
        workspace.layer("centres"),
        workspace.layer("incidents"),
        workspace.layer("municipalities"),
        workspace.layer("districts"),
        by="district",
    ).areas.set_index("pcode")
    shown = sheet(workbook, national, "districts").set_index("pcode")
    for column in ("centres", "voters", "officers_required", "officers_assigned", "shortfall"):
        assert shown[column].to_dict() == expected[column].to_dict(), column


def test_excel_gaps_follow_the_gap_list(workbook, national, workspace, result):
    expected = gap_list(result, workspace.layer("centres"))
    shown = sheet(workbook, national, "gaps")
    assert list(shown["centre_id"]) == list(expected["centre_id"])
    assert set(expected["status"]) == {"gap"}
    assert len(shown) == national.figures.centres_gap


@pytest.mark.parametrize(
    ("table", "which", "title"),
    [
        ("gaps", "gaps", "Centres with no protection"),
        ("officers_short", "officers", "Centres short of officers"),
        ("women_short", "women", "Too few female officers"),
    ],
)
def test_excel_has_one_titled_sheet_per_list_of_need(
    workbook, national, workspace, result, table, which, title
):
    assert SHEET_TITLES[table] == title
    expected = need_list(result, workspace.layer("centres"), which)
    shown = sheet(workbook, national, table)
    assert list(shown["centre_id"]) == list(expected["centre_id"])


def test_pdf_lists_the_real_gaps_first_under_three_titles(national, workspace, result, tmp_path):
    text = pdf_text(pdf_report(national), tmp_path)
    for title in (
        "Centres with no protection (gap)",
        "Centres short of officers",
        "Centres where women vote with too few female officers",
    ):
        assert title in text
    gaps = gap_list(result, workspace.layer("centres"))
    gap_part = text.split("Centres with no protection (gap)")[1].split("Centres short of officers")[
        0
    ]
    for centre_id in gaps["centre_id"].head(3):
        assert centre_id in gap_part


def test_excel_staffing_accessibility_and_incidents_add_up(
    workbook, national, result, by_municipality
):
    staffing = sheet(workbook, national, "staffing")
    assert (
        staffing["female_officers_required"].sum()
        == result.centres["female_officers_required"].sum()
    )
    assert staffing["officers_assigned"].sum() == result.centres["officers_assigned"].sum()
    access = sheet(workbook, national, "accessibility")
    accessible = translate("Accessible", "en")
    assert (access["access_status"] == accessible).sum() == (
        result.centres["access_status"] == "accessible"
    ).sum()
    incidents = sheet(workbook, national, "incidents")
    assert incidents["incidents"].sum() == by_municipality.incidents["incidents"].sum()
    assert len(incidents) == len(by_municipality.incidents)


def test_excel_unit_counts_per_municipality(workbook, national, workspace):
    expected = unit_counts_by_municipality(
        workspace.layer("units"), centres=workspace.layer("centres")
    ).set_index("municipality_pcode")
    shown = sheet(workbook, national, "unit_counts").set_index("municipality_pcode")
    assert shown["units"].to_dict() == expected["units"].to_dict()
    assert shown["female_officers"].sum() == expected["female_officers"].sum()


def test_excel_has_real_tables_frozen_headers_formats_and_text_ids(national):
    book = openpyxl.load_workbook(io.BytesIO(excel_report(national)))
    ws = book["Municipalities"]
    assert list(ws.tables) == ["Municipalities"]
    assert ws.freeze_panes == "B2"
    headers = [c.value for c in ws[1]]
    assert headers[1:3] == ["Name (English)", "Name (Arabic)"]  # side by side
    share = headers.index(column_label("share_voters_gap", "en")) + 1
    assert ws.cell(2, share).number_format == "0.0%"
    assert ws.column_dimensions["B"].width > 8
    ids = [c.value for c in book["Staffing"]["A"][1:]]
    assert all(isinstance(v, str) and len(v) == 5 for v in ids)
    assert any(v.startswith("0") for v in ids)  # leading zeros kept
    summary = [c.value for c in book["Summary"]["B"]]
    assert "Planner Pat (role: planner)" in summary
    assert "2025-09-02 08:30 UTC" in summary
    assert set(book["Summary"].tables) == {"Parameters", "DataVersions"}
    assert "DEMO — synthetic data" in book["Staffing"].oddHeader.center.text  # when printed


def test_excel_in_arabic_reads_back_with_arabic_sheets_and_names(workspace, result):
    data = prepare_report(workspace, options(BRIEFER, lang="ar"), result=result)
    raw = excel_report(data)
    book = pd.read_excel(io.BytesIO(raw), sheet_name=None)
    assert "البلديات" in book
    municipalities = sheet(read_book(raw), data, "municipalities").set_index("pcode")
    assert "الاسم (بالعربية)" in book["البلديات"].columns
    tripoli = workspace.layer("municipalities").set_index("pcode").loc[TRIPOLI_CENTRE, "name_ar"]
    assert "طرابلس" in tripoli
    assert municipalities.loc[TRIPOLI_CENTRE, "name_ar"] == tripoli
    assert openpyxl.load_workbook(io.BytesIO(raw))["البلديات"].sheet_view.rightToLeft


def test_a_district_report_holds_only_its_municipalities_with_national_numbers(
    workspace, result, workbook, national
):
    data = prepare_report(workspace, options(scope="district:LY-TB"), result=result)
    shown = sheet(read_book(excel_report(data)), data, "municipalities").set_index("pcode")
    munis = workspace.layer("municipalities")
    expected_codes = set(munis.loc[munis["district_pcode"] == "LY-TB", "pcode"])
    assert set(shown.index) == expected_codes
    everywhere = sheet(workbook, national, "municipalities").set_index("pcode")
    national_rows = everywhere.loc[list(shown.index)]
    for column in ("centres", "centres_gap", "shortfall", "incidents"):
        assert shown[column].to_dict() == national_rows[column].to_dict(), column
    in_scope = result.centres["municipality_pcode"].isin(expected_codes)
    assert data.figures.centres == int(in_scope.sum())


# --- CSV and the formula guard -------------------------------------------------------


def test_every_csv_table_has_a_bom_and_the_excel_numbers(national, workbook):
    for name in TABLES:
        raw = csv_table(national, name)
        assert raw.startswith(b"\xef\xbb\xbf"), name
    back = pd.read_csv(io.BytesIO(csv_table(national, "municipalities")), dtype={"P-code": str})
    shown = sheet(workbook, national, "municipalities")
    assert back[column_label("shortfall", "en")].tolist() == shown["shortfall"].tolist()
    staffing = pd.read_csv(io.BytesIO(csv_table(national, "staffing")), dtype=str)
    assert staffing["Centre ID"].str.len().eq(5).all()


def test_an_unknown_table_names_the_valid_ones(national):
    with pytest.raises(ReportError, match="choose one of summary, municipalities"):
        csv_table(national, "secrets")


@pytest.fixture(scope="module")
def poisoned(workspace, result):
    """The demo with formulas in a centre's names and incidents cited from ACLED."""
    layers = dict(workspace.layers)
    centres = layers["centres"].copy()
    first = result.centres["centre_id"].iloc[0]
    at = centres["centre_id"] == first
    centres.loc[at, "name_en"] = '=HYPERLINK("http://evil.example","click")'
    centres.loc[at, "name_ar"] = "@SUM(1+1)"
    incidents = layers["incidents"].copy()
    incidents["source"] = "ACLED export 2025-05-16 (Libya)"
    layers.update(centres=centres, incidents=incidents)
    return Workspace(
        workspace.path, MappingProxyType(layers), workspace.versions, workspace.info
    ), first


def test_formulas_in_names_are_inert_in_csv_and_excel(poisoned, result):
    ws, centre = poisoned
    data = prepare_report(ws, options(PLANNER), result=result)
    staffing = pd.read_csv(io.BytesIO(csv_table(data, "staffing")), dtype=str)
    row = staffing[staffing["Centre ID"] == centre].iloc[0]
    assert row["Name (English)"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Name (Arabic)"] == "'@SUM(1+1)"
    for value in staffing.to_numpy().ravel():
        assert not (isinstance(value, str) and value.startswith(FORMULA_PREFIXES))
    book = openpyxl.load_workbook(io.BytesIO(excel_report(data)))
    for worksheet in book.worksheets:
        for cells in worksheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", f"{worksheet.title}!{cell.coordinate}"


def test_acled_incidents_print_the_attribution_and_are_never_exported_as_rows(
    poisoned, result, tmp_path
):
    ws, _ = poisoned
    data = prepare_report(ws, options(PLANNER), result=result)
    assert data.acled is not None
    assert data.acled.date == "2025-05-16"
    text = pdf_text(pdf_report(data), tmp_path)
    assert "Armed Conflict Location & Event Data Project (ACLED)" in text
    assert "ACLED export of 2025-05-16" in text
    assert "ACLED export of 2025-05-16" in csv_table(data, "summary").decode("utf-8-sig")
    features = json.loads(geojson_layer(data, "incidents"))["features"]
    assert features == []
    counted = sheet(read_book(excel_report(data)), data, "incidents")["incidents"].sum()
    assert counted == len(data.incidents)


def test_without_acled_there_is_no_attribution(national, tmp_path):
    assert national.acled is None
    assert "ACLED" not in pdf_text(pdf_report(national), tmp_path)


# --- redaction ---------------------------------------------------------------------


def test_a_briefers_excel_has_no_unit_position_id_or_assignment(national_briefer, workspace):
    book = openpyxl.load_workbook(io.BytesIO(excel_report(national_briefer)))
    assert "Units" not in book.sheetnames
    pairs = unit_pairs(workspace)
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            text = " ".join(str(v) for v in row if v is not None)
            assert not UNIT_ID.search(text), ws.title
            assert "Assigned centre" not in text
            assert "Longitude" not in text
            assert "Nearest patrol (km)" not in text
            assert not holds_a_unit_position(numbers_in(row), pairs), (ws.title, row)


def test_a_planners_excel_lists_the_units_with_positions(national, workspace):
    units = sheet(read_book(excel_report(national)), national, "units").set_index("unit_id")
    layer = workspace.layer("units").set_index("unit_id")
    assert set(units.index) == set(layer.index)
    np.testing.assert_allclose(units["lon"], layer.geometry.x[units.index], atol=1e-6)
    np.testing.assert_allclose(units["lat"], layer.geometry.y[units.index], atol=1e-6)
    assert units["assigned_centre_id"].dropna().str.len().eq(5).all()


def test_a_briefers_csv_tables_hold_no_unit_ids_or_coordinates(national_briefer, workspace):
    pairs = unit_pairs(workspace)
    for name in TABLES:
        if name == "units":
            with pytest.raises(AccessDeniedError, match="positions of security units"):
                csv_table(national_briefer, name)
            continue
        text = csv_table(national_briefer, name).decode("utf-8-sig")
        assert not UNIT_ID.search(text), name
        for line in text.splitlines():
            assert not holds_a_unit_position(numbers_in([line]), pairs), (name, line)


def _vertices(coords) -> list[tuple[float, float]]:
    """Every (lon, lat) of a GeoJSON geometry's coordinates, rounded to 5 decimals."""
    if coords and isinstance(coords[0], int | float):
        return [(round(float(coords[0]), 5), round(float(coords[1]), 5))]
    return [v for part in coords for v in _vertices(part)]


def test_a_briefers_geojson_layers_hold_no_unit_positions(national_briefer, workspace):
    pairs = unit_pairs(workspace)
    for name in GEO_LAYERS:
        if name == "units":
            with pytest.raises(AccessDeniedError):
                geojson_layer(national_briefer, name)
            continue
        raw = geojson_layer(national_briefer, name)
        assert not UNIT_ID.search(raw.decode("utf-8")), name
        for feature in json.loads(raw)["features"]:
            for lon, lat in _vertices((feature["geometry"] or {}).get("coordinates", [])):
                assert lat not in pairs.get(lon, ()), (name, lon, lat)
            values = numbers_in(feature["properties"].values())
            assert not holds_a_unit_position(values, pairs), (name, feature["properties"])


def test_a_briefers_geopackage_has_no_units_layer_or_position(
    national_briefer, workspace, tmp_path
):
    path = tmp_path / "briefer.gpkg"
    path.write_bytes(geopackage(national_briefer))
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert "units" not in layers
    assert {"centres", "municipalities", "districts", "incidents", "summary"} <= layers
    pairs = unit_pairs(workspace)
    for name in layers:
        frame = pyogrio.read_dataframe(path, layer=name)
        text = frame.drop(columns="geometry", errors="ignore").to_csv()
        assert not UNIT_ID.search(text), name
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.geom_type.eq("Point").all():
            for lon, lat in zip(frame.geometry.x, frame.geometry.y, strict=True):
                assert round(lat, 5) not in pairs.get(round(lon, 5), ()), (name, lon, lat)
    with sqlite3.connect(path) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    assert "units" not in tables


def test_a_briefers_pdf_names_no_unit(national_briefer, tmp_path):
    text = pdf_text(pdf_report(national_briefer), tmp_path)
    assert not UNIT_ID.search(text)
    assert "positions are not shown" in text


# --- GeoJSON and GeoPackage ----------------------------------------------------------


def test_geojson_centres_carry_results_ids_as_text_and_arabic(national, result):
    document = json.loads(geojson_layer(national, "centres"))
    assert len(document["features"]) == len(result.centres)
    first = document["features"][0]["properties"]
    assert isinstance(first["centre_id"], str)
    assert len(first["centre_id"]) == 5
    statuses = {f["properties"]["status"] for f in document["features"]}
    assert statuses <= {"full", "guard_only", "response_only", "gap"}
    assert any("مدرسة" in (f["properties"]["name_ar"] or "") for f in document["features"])


def test_geopackage_layers_match_the_rollup(national, by_municipality, tmp_path):
    path = tmp_path / "report.gpkg"
    path.write_bytes(geopackage(national))
    munis = pyogrio.read_dataframe(path, layer="municipalities").set_index("pcode")
    expected = by_municipality.areas.set_index("pcode")
    common = munis.index.intersection(expected.index)
    assert len(common) == len(munis)
    assert munis.loc[common, "shortfall"].to_dict() == expected.loc[common, "shortfall"].to_dict()
    units = pyogrio.read_dataframe(path, layer="units")
    assert len(units) > 0  # a planner's package holds the units


def test_a_municipality_geojson_keeps_only_its_centres(workspace, result):
    data = prepare_report(workspace, options(scope=f"municipality:{TRIPOLI_CENTRE}"), result=result)
    document = json.loads(geojson_layer(data, "centres"))
    ids = {f["properties"]["centre_id"] for f in document["features"]}
    in_scope = result.centres[result.centres["municipality_pcode"] == TRIPOLI_CENTRE]
    assert ids == set(in_scope["centre_id"])


# --- PDF -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tripoli_ar(workspace, result) -> bytes:
    data = prepare_report(
        workspace,
        options(BRIEFER, scope=f"municipality:{TRIPOLI_CENTRE}", lang="ar"),
        result=result,
    )
    return pdf_report(data)


def test_arabic_pdf_text_holds_tripoli_and_the_figures(tripoli_ar, workspace, result, tmp_path):
    text = pdf_text(tripoli_ar, tmp_path)
    assert "طرابلس" in text
    assert "تقرير التغطية الأمنية لمراكز الاقتراع" in text
    voters = result.centres.loc[
        result.centres["municipality_pcode"] == TRIPOLI_CENTRE, "registered_voters"
    ].sum()
    assert f"{int(voters):,}" in text


def test_arabic_pdf_first_page_is_rendered_as_an_artefact(tripoli_ar):
    png = render_first_page(tripoli_ar, "report_ar_page1")
    assert png.stat().st_size > 20_000


def test_english_national_pdf_says_demo_on_every_page(national, tmp_path):
    pdf = pdf_report(national)
    render_first_page(pdf, "report_en_page1")
    pages = pdf_pages(pdf)
    assert pages >= 3
    for page in range(1, pages + 1):
        assert "DEMO — synthetic data" in pdf_text(pdf, tmp_path, page=page), page
    text = pdf_text(pdf, tmp_path)
    for heading in (
        "Key figures",
        "Centres with no protection (gap)",
        "Staffing and women officers",
        "Accessibility",
        "Incidents by category over time",
        "Methods",
        "Data provenance",
    ):
        assert heading in text
    assert f"{national.figures.voters:,}" in text
    assert "circuity 1.3" in text


def test_dates_and_ranges_stay_in_order_in_arabic_text():
    assert isolate_numbers("صدرت في 2025-05-16") == "صدرت في \u20662025-05-16\u2069"
    assert isolate_numbers("1 مركز") == "1 مركز"


def test_gap_shares_get_their_class_colour():
    colours = gap_class_colours(pd.Series([0.0, 0.05, 0.10, 0.2, 0.4, 0.9, np.nan]))
    expected = [GAP_CLASSES[i][1] for i in (0, 1, 1, 2, 3, 4)] + [NO_CENTRES_COLOUR]
    assert list(colours) == expected


def test_map_labels_from_data_are_drawn_as_plain_text():
    municipalities = gpd.GeoDataFrame(
        {"pcode": ["M1", "M2"]},
        geometry=[box(13, 32, 13.5, 32.5), box(13.5, 32, 14, 32.5)],
        crs=4326,
    )
    districts = gpd.GeoDataFrame({"pcode": ["D1"]}, geometry=[box(13, 32, 14, 32.5)], crs=4326)
    hostile = {"M1": "$\\frac{ <b>x</b>", "M2": "مدينة $5"}
    png = render_coverage_map(
        municipalities,
        districts,
        pd.Series({"M1": 0.3}),
        focus={"M1", "M2"},
        labels=hostile,
        label_points=gpd.GeoSeries(
            municipalities.geometry.representative_point().to_numpy(), index=["M1", "M2"], crs=4326
        ),
        size_in=(4, 3),
        dpi=50,
    )
    assert png.startswith(b"\x89PNG")


def test_shares_are_printed_as_whole_percentages():
    assert [format_share(x) for x in (0.0, 0.001, 0.25, 1.0, float("nan"))] == [
        "0%",
        "<1%",
        "25%",
        "100%",
        "–",
    ]


def test_a_missing_font_names_the_package_to_install(tmp_path):
    with pytest.raises(FontMissingError, match="apt-get install fonts-noto-core"):
        find_font("NotoNaskhArabic-Regular.ttf", (tmp_path,))


# --- briefing slides -----------------------------------------------------------------


def test_the_briefing_path_steps_from_the_country_to_a_municipality(workspace):
    path = briefing_path(workspace, TRIPOLI_CENTRE)
    assert [s.level for s in path] == ["national", "region", "district", "municipality"]
    assert path[2] == Scope("district", "LY-TB")


def test_slides_show_the_figures_of_their_area(workspace, result, tmp_path):
    scopes = briefing_path(workspace, TRIPOLI_CENTRE)
    slides = prepare_slides(workspace, scopes, options(BRIEFER), result=result)
    district = slide_for(slides[2])
    in_district = slides[2].result.centres
    assert district.figures[0].value == f"{len(in_district):,}"
    pdf = slides_pdf(slides)
    assert pdf_pages(pdf) == len(scopes)
    text = pdf_text(pdf, tmp_path)
    assert "Tripoli Center" in text
    assert "Libya" in text


def test_slides_need_the_briefing_permission(workspace, result):
    with pytest.raises(AccessDeniedError, match="see briefing"):
        prepare_slides(workspace, [Scope()], options(Viewer("Val", "viewer")), result=result)


# --- dispatch and the command line -----------------------------------------------------


def test_export_report_returns_each_format(workspace, result):
    magic = {
        "xlsx": b"PK",
        "pdf": b"%PDF",
        "csv": b"\xef\xbb\xbf",
        "geojson": b"{",
        "gpkg": b"SQLite",
    }
    for fmt, start in magic.items():
        content = export_report(workspace, fmt, options(BRIEFER), result=result)
        assert content.startswith(start), fmt
    name = report_file_name(options(scope="district:LY-TB", lang="ar"), "csv", "gaps")
    assert name == "coverage_district-LY-TB_gaps_2025-09-01_ar.csv"
    with pytest.raises(ReportError, match="unknown format"):
        export_report(workspace, "docx", options(), result=result)  # type: ignore[arg-type]


def test_without_an_as_of_date_the_report_is_of_the_latest_incident_day(workspace):
    latest = pd.Timestamp(workspace.layer("incidents")["date"].max()).normalize()
    data = prepare_report(workspace, ReportOptions(viewer=PLANNER, generated_at=GENERATED))
    assert data.result.as_of == latest
    assert data.options.as_of == f"{latest:%Y-%m-%d}"
    assert report_file_name(data.options, "csv").endswith(f"_{latest:%Y-%m-%d}_en.csv")


def test_report_table_refuses_units_to_a_briefer(national_briefer):
    with pytest.raises(AccessDeniedError):
        report_table(national_briefer, "units")


@pytest.fixture
def writable_workspace(demo_workspace, tmp_path) -> Path:
    """A copy of the demo (the command line records exports in the workspace's audit log)."""
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_workspace, path)
    return path


def test_cli_report_defaults_to_a_role_without_unit_positions(writable_workspace, tmp_path, capsys):
    out = tmp_path / "national.xlsx"
    code = main(
        ["report", "--workspace", str(writable_workspace), "--format", "xlsx", "--as-of", AS_OF]
        + ["--out", str(out)]
    )
    assert code == 0
    assert "Units" not in openpyxl.load_workbook(out).sheetnames
    assert "role analyst; unit positions withheld" in capsys.readouterr().out


def test_cli_report_with_a_planner_role_includes_units(writable_workspace, tmp_path):
    out = tmp_path / "units.csv"
    args = ["report", "--workspace", str(writable_workspace), "--format", "csv", "--table"]
    code = main(
        [*args, "units", "--role", "planner", "--scope", "district:LY-TB", "--out", str(out)]
    )
    assert code == 0
    units = pd.read_csv(out, encoding="utf-8-sig")
    assert {"Unit ID", "Longitude", "Latitude"} <= set(units.columns)


def test_cli_report_refuses_units_to_the_default_role(writable_workspace, tmp_path, capsys):
    out = tmp_path / "units.csv"
    args = ["report", "--workspace", str(writable_workspace), "--format", "csv"]
    assert main([*args, "--table", "units", "--out", str(out)]) == 2
    assert "may not see the positions of security units" in capsys.readouterr().err
    assert not out.exists()


def test_cli_report_in_arabic_for_a_municipality(writable_workspace, tmp_path):
    out = tmp_path / "tripoli.pdf"
    args = ["report", "--workspace", str(writable_workspace), "--format", "pdf", "--lang", "ar"]
    assert main([*args, "--scope", f"municipality:{TRIPOLI_CENTRE}", "--out", str(out)]) == 0
    assert "طرابلس" in pdf_text(out.read_bytes(), tmp_path)


# --- static units assigned to retired centres: a count for briefers, IDs for planners ------


@pytest.fixture(scope="module")
def retired(workspace):
    """The analysis after three guarded centres are retired, and their guards' IDs.

    Two are closed; the third is gone from the layer (as after a replacing import).
    """
    centres = workspace.layer("centres").copy()
    units = workspace.layer("units")
    assigned = units.loc[units["unit_type"] == "static_guard", "assigned_centre_id"].dropna()
    chosen = list(dict.fromkeys(assigned.astype(str)))[:3]
    ids = centres["centre_id"].astype(str)
    centres.loc[ids.isin(chosen[:2]), "status"] = "closed"
    centres = centres[(ids != chosen[2]).to_numpy()]
    guards = units.loc[units["assigned_centre_id"].astype(str).isin(chosen), "unit_id"]
    result = analyse_coverage(
        centres, units, workspace.layer("incidents"), workspace.layer("access_audits"),
        workspace.layer("municipalities"), as_of=AS_OF,
    )  # fmt: skip
    return result, sorted(guards.astype(str))


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_retired_centre_warning_counts_units_for_briefers(workspace, retired, fmt, tmp_path):
    result, guard_ids = retired
    assert len(guard_ids) >= 3

    def text(viewer: Viewer) -> str:
        content = export_report(workspace, fmt, options(viewer), result=result)
        if fmt == "pdf":
            return pdf_text(content, tmp_path)
        sheets = pd.read_excel(io.BytesIO(content), sheet_name=None, header=None, dtype=str)
        return "\n".join(sheet.to_csv() for sheet in sheets.values())

    briefer = " ".join(text(BRIEFER).split())
    assert f"{len(guard_ids)} static units are assigned to retired centres" in briefer
    assert not re.search(r"U-\d{5}", briefer)
    planner = " ".join(text(PLANNER).split())
    assert guard_ids[0] in planner


def test_the_report_parameters_say_which_reach_model_measured(national, result):
    """The demo has roads: the analysis, and so the report, measured on them."""
    from geo.reports import parameters_table

    models = result.centres["reach_model"].value_counts()
    assert models["network"] > 0
    table = parameters_table(national).set_index("parameter")
    assert table.loc["reach_models_used", "value"] == (
        f"reach: {models['network']:,} centres on the network model, "
        f"{models.get('straight', 0):,} centres on the straight model"
    )
    assert table.loc["reach", "value"] == "auto"
