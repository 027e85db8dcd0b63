"""The import pipeline: every format, every check, the preview, commit, rollback, edits, CLI."""

import dataclasses
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

import geo.imports
import geo.store
from geo.audit import read_log
from geo.cli import main
from geo.errors import AccessDeniedError, InputError, StaleVersionError, StoreError
from geo.hnec import COLUMNS as HNEC_COLUMNS
from geo.imports import (
    ImportOptions,
    NothingToImportError,
    build_pick_map,
    build_preview_map,
    commit_import,
    detect_format,
    layer_template,
    prepare_import,
    prepare_record,
    rejected_csv,
    restore_layer,
)
from geo.io import read_path, read_upload
from geo.mapping import ColumnMapping, guess_layer, suggest_mapping
from geo.names import normalise_name
from geo.permissions import Viewer
from geo.schema import LAYERS
from geo.store import GeoPackageStore
from geo.workspace import open_workspace
from tests.geo.template_payloads import PAYLOADS, check_literal, code_payload, renders

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
COD_AB_ADM2 = "lby_admbnda_adm2_unosat_lbsc_20180507.shp"
ADMIN = Viewer("Amal", "admin")
ANALYST = Viewer("Salem", "analyst")
TODAY = ImportOptions(today=pd.Timestamp("2026-01-01"))
CENTRE_HEADER = (
    "centre_id,name_ar,name_en,municipality_pcode,centre_type,stations_male,stations_female,"
    "stations_mixed,registered_voters,status,longitude,latitude\n"
)
# Seats of the demo municipalities (data/reference): inside their own catchments.
TRIPOLI_CENTER = "13.18733,32.88743"
MISRATA = "15.09254,32.37535"


@pytest.fixture(scope="module")
def ws(demo_workspace):
    return open_workspace(demo_workspace)


@pytest.fixture
def workspace_copy(demo_workspace, tmp_path):
    path = tmp_path / "workspace.gpkg"
    shutil.copyfile(demo_workspace, path)
    return path


def csv(text: str, name: str = "centres.csv"):
    return read_upload(text.encode("utf-8"), name)


def centre_row(centre_id="90301", municipality="DM-TB-09", voters="1400", lonlat=TRIPOLI_CENTER,
               stations=("2", "1", "0"), centre_type="general"):  # fmt: skip
    return (
        f"{centre_id},مدرسة,School,{municipality},{centre_type},{','.join(stations)},{voters},"
        f"open,{lonlat}\n"
    )


def problems_at(preview, row):
    return [p for p in preview.report.problems if p.row == row]


def messages(preview, severity=None):
    return [p.message for p in preview.report.problems if severity in (None, p.severity)]


def bytes_of(path: Path) -> bytes:
    return path.read_bytes()


# -- OCHA COD-AB -----------------------------------------------------------------------


def test_the_real_cod_ab_shapefiles_import_as_3_regions_and_22_districts(real_fixtures, ws):
    source = read_path(real_fixtures / "cod_ab_lby_20180507")
    assert detect_format(source).format == "cod-ab"
    regions = prepare_import(source, "regions", ws, ADMIN)
    districts = prepare_import(source, "districts", ws, ADMIN)
    assert len(regions.accepted) == 3
    assert len(regions.rejected) == 0
    assert len(districts.accepted) == 22
    assert len(districts.rejected) == 0
    assert regions.accepted["pcode"].tolist() == ["LY01", "LY02", "LY03"]
    assert regions.accepted["name_ar"].tolist() == ["الشرق", "الغرب", "الجنوب"]
    by_code = districts.accepted.set_index("pcode")
    assert by_code.loc["LY0211", ["name_en", "name_ar", "region_pcode"]].tolist() == [
        "Tripoli",
        "طرابلس",
        "LY02",
    ]
    assert by_code.loc["LY0106", "name_ar"] == "الجبل الاخضر"
    assert by_code.loc["LY0318", "name_ar"] == "وادى الشاطئ"
    assert set(by_code["region_pcode"]) == {"LY01", "LY02", "LY03"}


def test_cod_ab_replaces_the_demo_codes_and_says_what_still_refers_to_them(real_fixtures, ws):
    districts = prepare_import(
        read_path(real_fixtures / "cod_ab_lby_20180507"), "districts", ws, ADMIN
    )
    assert districts.mode == "replace"
    assert len(districts.diff.added) == 22
    assert len(districts.diff.removed) == 22
    assert "LY-TB" in districts.diff.removed
    (orphans,) = [m for m in messages(districts) if "row(s) of 'municipalities'" in m]
    assert orphans.startswith("99 row(s) of 'municipalities' refer through 'district_pcode'")


def test_cod_ab_arabic_names_survive_the_store(real_fixtures, workspace_copy):
    source = read_path(real_fixtures / "cod_ab_lby_20180507")
    # every demo code is replaced by an official one: a removal of the whole layer
    preview = prepare_import(source, "districts", open_workspace(workspace_copy), ADMIN,
                             options=ImportOptions(confirm_replace=True))  # fmt: skip
    commit_import(GeoPackageStore(workspace_copy), preview, ADMIN)
    stored = GeoPackageStore(workspace_copy).read_layer("districts").set_index("pcode")
    assert len(stored) == 22
    assert stored.loc["LY0214", "name_ar"] == "مصراته"
    assert stored.loc["LY0215", "name_ar"] == "زوارة"


def test_cod_ab_as_a_zip_geojson_or_geopackage_gives_the_same_districts(real_fixtures, ws,
                                                                        tmp_path):  # fmt: skip
    folder = real_fixtures / "cod_ab_lby_20180507"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in folder.iterdir():
            archive.write(path, f"cod/{path.name}")
    adm2 = gpd.read_file(folder / "lby_admbnda_adm2_unosat_lbsc_20180507.shp")
    adm2.to_file(tmp_path / "adm2.geojson")
    adm2.to_file(tmp_path / "adm2.gpkg", layer="adm2")
    sources = [
        read_upload(buffer.getvalue(), "lby_cod_ab.zip"),
        read_path(tmp_path / "adm2.geojson"),
        read_path(tmp_path / "adm2.gpkg"),
    ]
    for source in sources:
        preview = prepare_import(source, "districts", ws, ADMIN)
        assert sorted(preview.accepted["pcode"]) == sorted(adm2["ADM2_PCODE"])


def test_cod_ab_without_a_level_lists_the_levels_it_has(real_fixtures, ws):
    source = read_path(real_fixtures / "cod_ab_lby_20180507")
    with pytest.raises(InputError, match=r"holds no municipalities .*regions .*districts"):
        prepare_import(source, "municipalities", ws, ADMIN)


def cod_ab_municipalities(kind: str) -> bytes:
    """Two municipalities of Tripoli district (LY0211) as COD-AB points or polygons."""
    seats = [shapely.Point(13.18, 32.88), shapely.Point(13.24, 32.85)]
    geometry = seats if kind == "points" else [p.buffer(0.02) for p in seats]
    frame = gpd.GeoDataFrame(
        {
            "ADM3_EN": ["Tripoli Center", "Souq al Jumaa"],
            "ADM3_AR": ["طرابلس المركز", "سوق الجمعة"],
            "ADM3_PCODE": ["LY021104", "LY021101"],
            "ADM2_PCODE": ["LY0211", "LY0211"],
        },
        geometry=geometry,
        crs=4326,
    )
    return frame.to_json().encode()


def test_cod_ab_municipality_points_become_seats_with_derived_catchments(
    real_fixtures, workspace_copy
):
    store = GeoPackageStore(workspace_copy)
    districts = prepare_import(read_path(real_fixtures / "cod_ab_lby_20180507"), "districts",
                               open_workspace(workspace_copy), ADMIN,
                               options=ImportOptions(confirm_replace=True))  # fmt: skip
    commit_import(store, districts, ADMIN)
    source = read_upload(cod_ab_municipalities("points"), "adm3_points.geojson")
    preview = prepare_import(source, "municipalities", open_workspace(workspace_copy), ADMIN)
    rows = preview.accepted.set_index("pcode")
    assert rows.loc["LY021104", ["seat_lon", "seat_lat"]].tolist() == [13.18, 32.88]
    assert set(rows["boundary_kind"]) == {"approximate"}
    tripoli = districts.accepted.set_index("pcode").geometry["LY0211"]
    cells = rows.geometry
    assert shapely.covers(tripoli.buffer(1e-9), cells.union_all())
    assert cells["LY021104"].contains(shapely.Point(13.18, 32.88))


def test_cod_ab_municipality_polygons_are_official_with_a_seat_inside(ws):
    source = read_upload(cod_ab_municipalities("polygons"), "adm3.geojson")
    preview = prepare_import(source, "municipalities", ws, ADMIN)
    rows = preview.accepted
    assert set(rows["boundary_kind"]) == {"official"}
    seats = shapely.points(rows["seat_lon"], rows["seat_lat"])
    assert shapely.contains(rows.geometry.to_numpy(), seats).all()
    assert any("carry no municipal seat" in m for m in messages(preview, "warning"))


# -- HNEC SmartElect -------------------------------------------------------------------


def bani_walid(workspace):
    municipalities = workspace.layer("municipalities")
    names = municipalities["name_ar"].map(normalise_name)
    return municipalities[names == normalise_name("بني وليد")].iloc[0]


def test_smartelect_rows_are_flagged_as_swapped_and_not_placed(real_fixtures, ws):
    source = read_path(real_fixtures / "hnec_smartelect_centres" / "valid_center_types.csv")
    preview = prepare_import(source, "centres", ws, ADMIN)
    assert detect_format(source).format == "hnec"
    assert len(preview.accepted) == 0
    assert preview.swaps["row"].tolist() == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15]
    (first,) = [p for p in problems_at(preview, 2) if p.severity == "error"]
    assert first.column == "center_lat, center_lon"
    assert first.message.startswith("latitude 13.980153 and longitude 31.745111 look swapped")
    assert not preview.can_commit


def test_smartelect_rows_with_the_swap_applied_fall_in_bani_walid(real_fixtures, ws):
    source = read_path(real_fixtures / "hnec_smartelect_centres" / "valid_center_types.csv")
    preview = prepare_import(source, "centres", ws, ADMIN,
                             options=ImportOptions(swap_coordinates=True))  # fmt: skip
    area = bani_walid(ws)
    rows = preview.accepted.set_index("centre_id")
    assert len(rows) == 13
    assert rows.loc["11001"].geometry.equals(shapely.Point(13.980153, 31.745111))
    assert shapely.covers(area.geometry, rows.geometry.to_numpy()).all()
    assert set(rows["municipality_pcode"]) == {area["pcode"]}
    swapped = [p for p in preview.report.warnings if "swapped as you asked" in p.message]
    assert len(swapped) == 13


def test_both_blocks_of_smartelect_centre_types_are_mapped(real_fixtures, ws):
    source = read_path(real_fixtures / "hnec_smartelect_centres" / "valid_center_types.csv")
    preview = prepare_import(source, "centres", ws, ADMIN,
                             options=ImportOptions(swap_coordinates=True))  # fmt: skip
    rows = preview.accepted.set_index("centre_id")
    expected = {
        "11001": ("general", "General"),  # عام
        "11002": ("displaced", "Displaced"),  # نازحين
        "11003": ("oil_field", "Oil"),  # حقل نفط
        "11004": ("other", "Disability"),  # مركز تأهيل وايواء
        "11005": ("military", "Revolution"),  # ثوار
        "11006": ("general", "Copy"),  # نسخة
        "11011": ("general", "General"),
        "11012": ("displaced", "Displaced"),
        "11013": ("oil_field", "Oil"),
        "11014": ("other", "Disability"),
        "11015": ("military", "Revolution"),
        "11016": ("general", "Copy"),
        "11017": ("general", "Split"),
    }
    found = {k: (r.centre_type, r.hnec_centre_type) for k, r in rows.iterrows()}
    assert found == expected
    assert rows.loc["11001", "name_ar"] == "عمر بن الخطاب"


def test_a_new_smartelect_centre_gets_stated_defaults(real_fixtures, ws):
    source = read_path(real_fixtures / "hnec_smartelect_centres" / "copy_center_base.csv")
    preview = prepare_import(source, "centres", ws, ADMIN,
                             options=ImportOptions(swap_coordinates=True))  # fmt: skip
    row = preview.accepted.iloc[0]
    assert row["centre_id"] == "70000"
    assert preview.diff.added == ("70000",)
    assert (row.stations_male, row.stations_female, row.registered_voters, row.status) == (
        0,
        0,
        0,
        "open",
    )
    (said,) = [m for m in messages(preview, "warning") if "carry no station or voter counts" in m]
    assert "stations_male = 0" in said
    assert "registered_voters = 0" in said


def test_an_existing_centre_keeps_its_counts_when_a_list_omits_them(real_fixtures, ws):
    source = read_path(real_fixtures / "hnec_smartelect_centres" / "valid_copy_center.csv")
    current = ws.layer("centres").set_index("centre_id")
    existing = [c for c in ("71001", "71002", "71003") if c in current.index]
    preview = prepare_import(source, "centres", ws, ADMIN,
                             options=ImportOptions(swap_coordinates=True))  # fmt: skip
    rows = preview.accepted.set_index("centre_id")
    for centre in existing:
        assert rows.loc[centre, "registered_voters"] == current.loc[centre, "registered_voters"]


def test_smartelect_ids_and_types_are_checked(ws):
    header = ",".join(HNEC_COLUMNS) + "\n"
    good = "11001,a,,r,1,o,c,1,1,s,m,v,{type},31.75,13.98\n"
    text = header + good.format(type="عام").replace("11001", "123") + good.format(type="Mosque")
    preview = prepare_import(csv(text, "hnec.csv"), "centres", ws, ADMIN)
    errors = {p.row: p for p in preview.report.errors}
    assert errors[2].column == "center_id"
    assert errors[2].message.startswith("'123' is not an HNEC centre ID (5 digits")
    assert errors[3].column == "center_type"
    assert "'Mosque' is not a SmartElect centre type; use one of عام (General)" in (
        errors[3].message
    )


# -- ACLED, HXL and generic files -----------------------------------------------------


def test_an_acled_export_imports_libyan_events_with_municipalities_found(ws):
    source = read_path(FIXTURES / "acled_2023_africa.csv")
    preview = prepare_import(source, "incidents", ws, ADMIN, options=TODAY)
    assert (len(preview.accepted), len(preview.rejected), preview.rows_left_out) == (5, 0, 3)
    rows = preview.accepted.set_index("incident_id")
    assert rows.loc["ACLED-LBY20002", "municipality_pcode"] == "DM-MI-01"  # Misrata
    assert rows.loc["ACLED-LBY20001", "municipality_pcode"] == "DM-TB-09"  # Tripoli Center
    assert set(rows["source"]) == {"ACLED"}
    assert rows["injuries"].tolist() == [0] * 5
    assert preview.accepted_rows.tolist() == [2, 3, 4, 5, 6]


def test_the_three_acled_generations_all_import(ws):
    for name, count in (("acled_2019_cp1252.csv", 4), ("acled_legacy_bom.csv", 3),
                        ("acled_legacy_serial_dates.xlsx", 3)):  # fmt: skip
        preview = prepare_import(read_path(FIXTURES / name), "incidents", ws, ADMIN, options=TODAY)
        assert len(preview.accepted) == count, name
        assert not preview.report.errors, name


def test_an_hxl_centre_list_is_mapped_by_its_hashtags(ws):
    source = read_path(FIXTURES / "centres_hxl.csv")
    assert detect_format(source).format == "hxl"
    assert detect_format(source).layer == "centres"
    preview = prepare_import(source, "centres", ws, ADMIN)
    rows = preview.accepted.set_index("centre_id")
    assert rows.loc["90001", ["name_ar", "name_en", "municipality_pcode"]].tolist() == [
        "مدرسة الفجر",
        "Al-Fajr School",
        "DM-MI-01",  # مصراته, written with ه
    ]
    assert rows.loc["90002", "municipality_pcode"] == "DM-MI-02"  # "Bani Waleed"
    assert rows.loc["90002", "registered_voters"] == 900
    assert "municipality 'مصراته' read as Misrata (DM-MI-01) (row 3)" in messages(preview)


def test_a_windows_1256_file_with_arabic_headers_imports(ws):
    source = read_path(FIXTURES / "centres_arabic_cp1256.csv")
    preview = prepare_import(source, "centres", ws, ADMIN)
    assert preview.accepted["name_ar"].tolist() == ["مدرسة النصر", "مدرسة الوحدة"]
    assert preview.accepted["municipality_pcode"].tolist() == ["DM-TB-09", "DM-MI-01"]
    assert "read as text encoded in Windows-1256 (Arabic)" in preview.notes


def test_a_generic_file_is_mapped_by_headers_synonyms_and_arabic_template_names():
    table = read_upload(
        "Center ID,الاسم بالعربية,lat,lng,Voters\n1,a,32.9,13.2,5\n".encode(), "x.csv"
    ).table()
    assert suggest_mapping(table, "centres").as_dict() == {
        "centre_id": "Center ID",
        "name_ar": "الاسم بالعربية",
        "registered_voters": "Voters",
        "longitude": "lng",
        "latitude": "lat",
    }
    assert guess_layer(table) == "centres"


def test_a_generic_file_uses_the_mapping_given(ws):
    text = "code,arabic,voters,lon,lat,kind\n" + "90401,مدرسة,800,13.18733,32.88743,general\n"
    mapping = ColumnMapping.from_dict(
        {"centre_id": "code", "name_ar": "arabic", "registered_voters": "voters",
         "longitude": "lon", "latitude": "lat", "centre_type": "kind",
         "stations_male": "voters"}
    )  # fmt: skip
    preview = prepare_import(csv(text), "centres", ws, ADMIN, fmt="generic", mapping=mapping)
    # stations_female is missing and cannot be defaulted: the row is rejected.
    assert len(preview.accepted) == 0
    assert any("required column 'stations_female' is missing" in m for m in messages(preview))
    mapping = ColumnMapping(mapping.pairs + (("stations_female", "voters"),))
    preview = prepare_import(csv(text), "centres", ws, ADMIN, fmt="generic", mapping=mapping)
    assert preview.accepted["municipality_pcode"].tolist() == ["DM-TB-09"]
    assert "column(s) not imported" not in " ".join(preview.notes)


# -- validation rules, one at a time ---------------------------------------------------


def test_missing_coordinates_are_an_error_for_a_new_centre(ws):
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat=",")), "centres", ws, ADMIN)
    (problem,) = [p for p in problems_at(preview, 2) if p.severity == "error"]
    assert (problem.column, problem.message) == (
        "latitude, longitude",
        "no location: give latitude and longitude",
    )


def test_one_coordinate_without_the_other_is_an_error(ws):
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat="13.18,")), "centres", ws,
                             ADMIN)  # fmt: skip
    assert "longitude is given but latitude is empty; give both or neither" in messages(preview)


def test_unreadable_coordinates_name_the_column(ws):
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat="east,32.8")), "centres", ws,
                             ADMIN)  # fmt: skip
    (problem,) = [p for p in problems_at(preview, 2) if p.severity == "error"]
    assert problem.column == "longitude"
    assert problem.message.startswith("'east' is not a number of degrees")


def test_zero_zero_is_a_placeholder_not_a_place(ws):
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat="0,0")), "centres", ws, ADMIN)
    assert any("0, 0 are a placeholder" in m for m in messages(preview, "error"))


def test_out_of_range_coordinates_are_errors(ws):
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat="13.2,95")), "centres", ws,
                             ADMIN)  # fmt: skip
    assert "latitude 95 is beyond ±90; correct the coordinates" in messages(preview, "error")


def test_a_point_outside_libya_is_an_error(ws):
    tunis = "10.18,36.80"
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat=tunis)), "centres", ws, ADMIN)
    assert any("(latitude 36.8, longitude 10.18) lies outside Libya" in m
               for m in messages(preview, "error"))  # fmt: skip
    assert len(preview.accepted) == 0


def test_swapped_coordinates_are_offered_not_applied(ws):
    swapped = "32.88743,13.18733"  # Tripoli with latitude and longitude exchanged
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat=swapped)), "centres", ws,
                             ADMIN)  # fmt: skip
    assert preview.swaps["row"].tolist() == [2]
    assert not preview.swaps["swap applied"].any()
    assert len(preview.accepted) == 0
    fixed = prepare_import(csv(CENTRE_HEADER + centre_row(lonlat=swapped)), "centres", ws, ADMIN,
                           options=ImportOptions(swap_coordinates=True))  # fmt: skip
    point = fixed.accepted.geometry.iloc[0]
    assert (point.x, point.y) == (13.18733, 32.88743)


def test_a_point_outside_its_declared_municipality_is_a_warning(ws):
    row = centre_row(municipality="DM-MI-02", lonlat=MISRATA)  # Bani Walid declared
    preview = prepare_import(csv(CENTRE_HEADER + row), "centres", ws, ADMIN)
    (warning,) = [p for p in problems_at(preview, 2) if p.column == "municipality_pcode"]
    assert warning.severity == "warning"
    assert "km outside municipality Bani Walid (DM-MI-02), whose boundary is approximate" in (
        warning.message
    )
    assert len(preview.accepted) == 1


def test_duplicate_ids_name_the_first_row_as_the_user_sees_it(ws):
    text = CENTRE_HEADER + centre_row() + "\n" + centre_row()  # blank row 3
    preview = prepare_import(csv(text), "centres", ws, ADMIN)
    (problem,) = [p for p in problems_at(preview, 4) if p.severity == "error"]
    assert problem.message == (
        "duplicate ID '90301' (first used on row 2); give each row its own ID"
    )
    assert preview.accepted_rows.tolist() == [2]


def test_an_unknown_pcode_is_an_error_and_a_name_is_read_as_the_municipality(ws):
    text = CENTRE_HEADER + centre_row("90301", "DM-XX-99") + centre_row("90302", "مصراته")
    preview = prepare_import(csv(text), "centres", ws, ADMIN)
    (unknown,) = [p for p in problems_at(preview, 2) if p.severity == "error"]
    assert unknown.column == "municipality_pcode"
    assert unknown.message.startswith("municipality 'DM-XX-99' is not in the workspace")
    assert "'مصراته' is a municipality name, read as Misrata (DM-MI-01) (row 3)" in messages(
        preview, "warning"
    )
    # the declared Misrata is far from the Tripoli point: said, not silently changed
    assert preview.accepted.set_index("centre_id").loc["90302", "municipality_pcode"] == (
        "DM-MI-01"
    )


def test_negative_counts_are_errors(ws):
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(voters="-5")), "centres", ws, ADMIN)
    assert "-5 is below the minimum 0; counts cannot be negative" in messages(preview, "error")


def test_more_than_550_voters_per_station_is_an_error(ws):
    row = centre_row(voters="900", stations=("1", "0", "0"))
    preview = prepare_import(csv(CENTRE_HEADER + row), "centres", ws, ADMIN)
    assert (
        "900 voters in 1 station(s) is more than 550 per station; add stations or correct the "
        "count" in messages(preview, "error")
    )


def test_wrong_types_and_values_are_errors(ws):
    text = CENTRE_HEADER + centre_row(stations=("two", "1", "0"), centre_type="school")
    preview = prepare_import(csv(text), "centres", ws, ADMIN)
    found = messages(preview, "error")
    assert "'two' is not a whole number; correct the value" in found
    assert any(m.startswith("'school' is not one of general, displaced") for m in found)


def test_dates_in_the_future_are_errors(ws):
    text = "incident_id,date,category,severity,longitude,latitude\n"
    text += f"INC-9,2030-01-01,intimidation,2,{TRIPOLI_CENTER}\n"
    text += f"INC-8,16/05/2025,intimidation,2,{TRIPOLI_CENTER}\n"
    preview = prepare_import(csv(text, "incidents.csv"), "incidents", ws, ADMIN, options=TODAY)
    assert "date 2030-01-01 is in the future; check the day/month order or the year" in messages(
        preview, "error"
    )
    assert preview.accepted["date"].tolist() == [pd.Timestamp("2025-05-16")]
    assert "fatalities = 0" in " ".join(messages(preview, "warning"))


def test_dates_of_a_generic_file_are_read_day_first_and_from_excel_serials(ws):
    text = "incident_id,date,category,severity,longitude,latitude\n"
    text += f"INC-1,01/02/2025,other,1,{TRIPOLI_CENTER}\nINC-2,45793,other,1,{TRIPOLI_CENTER}\n"
    text += f"INC-3,2025-13-45,other,1,{TRIPOLI_CENTER}\n"
    preview = prepare_import(csv(text, "i.csv"), "incidents", ws, ADMIN, options=TODAY)
    assert preview.accepted["date"].tolist() == [
        pd.Timestamp("2025-02-01"),  # 1 February: day first, as written in Libya
        pd.Timestamp("2025-05-16"),  # Excel serial 45,793
    ]
    assert "'date': dates like 01/02/2025 were read day first (1 February)" in preview.notes
    assert "'2025-13-45' is not a date (YYYY-MM-DD); correct the value" in messages(
        preview, "error"
    )


def test_an_audit_of_an_unknown_centre_is_an_error_but_an_incident_only_a_warning(ws):
    audit = "audit_id,centre_id,audit_date\nA-9,99999,2025-01-01\n"
    preview = prepare_import(csv(audit, "audits.csv"), "access_audits", ws, ADMIN, options=TODAY)
    assert any(m.startswith("centre '99999' is not in the centres layer; import the centre")
               for m in messages(preview, "error"))  # fmt: skip
    incident = "incident_id,date,category,severity,centre_id,longitude,latitude\n"
    incident += f"INC-7,2025-01-01,other,1,99999,{TRIPOLI_CENTER}\n"
    preview = prepare_import(csv(incident, "i.csv"), "incidents", ws, ADMIN, options=TODAY)
    assert len(preview.accepted) == 1
    assert any("the incident keeps the ID" in m for m in messages(preview, "warning"))


def test_a_missing_required_column_rejects_every_row_with_one_message(ws):
    text = "centre_id,name_ar,longitude,latitude\n90301,a," + TRIPOLI_CENTER + "\n"
    preview = prepare_import(csv(text), "centres", ws, ADMIN)
    assert len(preview.accepted) == 0
    missing = [m for m in messages(preview, "error") if "is missing from the file" in m]
    # centre_type, stations_male, stations_female and registered_voters; the municipality
    # is found from the point, stations_mixed and status have stated defaults.
    assert len(missing) == 4
    assert preview.rejected["reason"].iloc[0].count("is missing from the file") == 4


def test_invalid_polygons_are_repaired_and_reprojection_is_said(ws):
    source = read_path(FIXTURES / "municipalities_utm.geojson")
    preview = prepare_import(source, "municipalities", ws, ADMIN)
    assert (
        "coordinates reprojected from WGS 84 / UTM zone 33N (EPSG:32633) to WGS84 (EPSG:4326)"
        in messages(preview, "warning")
    )
    (repaired,) = [p for p in problems_at(preview, 2) if "make_valid" in p.message]
    assert repaired.severity == "warning"
    assert repaired.message.startswith("the polygon was not valid (Self-intersection")
    assert preview.accepted.geometry.is_valid.all()
    lon, lat = preview.accepted.geometry.iloc[0].centroid.coords[0]
    assert lon == pytest.approx(15.106, abs=0.01)
    assert lat == pytest.approx(32.35, abs=0.01)


def test_a_gis_file_without_crs_is_read_as_degrees_only_when_it_looks_like_degrees(ws):
    frame = gpd.GeoDataFrame(
        {"pcode": ["X1"], "name_en": ["x"], "name_ar": ["س"], "region_pcode": ["RG-W"]},
        geometry=[shapely.box(13.0, 32.0, 13.1, 32.1)],
    )
    preview = prepare_import(read_upload(frame.to_json().encode(), "d.geojson"), "districts", ws,
                             ADMIN)  # fmt: skip
    assert len(preview.accepted) == 1
    metres = frame.set_geometry([shapely.box(300000, 3500000, 310000, 3510000)])
    buffer = io.BytesIO()
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        metres.to_file(buffer, driver="GPKG", layer="d")
    preview = prepare_import(read_upload(buffer.getvalue(), "d.gpkg"), "districts", ws, ADMIN)
    assert len(preview.accepted) == 0
    assert any("not degrees; add the .prj" in m for m in messages(preview, "error"))


# -- preview, commit, rollback ---------------------------------------------------------


def test_upsert_adds_and_updates_while_replace_removes_the_rest(ws):
    current = ws.layer("centres")
    existing = current.iloc[0]
    text = CENTRE_HEADER + centre_row("90301") + centre_row(
        existing.centre_id, existing.municipality_pcode, str(existing.registered_voters),
        lonlat=f"{existing.geometry.x},{existing.geometry.y}",
        stations=(str(existing.stations_male), str(existing.stations_female),
                  str(existing.stations_mixed)),
    )  # fmt: skip
    upsert = prepare_import(csv(text), "centres", ws, ADMIN)
    assert upsert.diff.added == ("90301",)
    assert upsert.diff.changed == (existing.centre_id,)
    # the file has no source column: the existing row keeps its own
    assert upsert.diff.changed_columns[existing.centre_id] == ("name_ar", "name_en")
    assert len(upsert.result) == len(current) + 1
    replace_ = prepare_import(csv(text), "centres", ws, ADMIN,
                              options=ImportOptions(mode="replace"))  # fmt: skip
    assert len(replace_.diff.removed) == len(current) - 1
    assert len(replace_.result) == 2


def test_rejected_rows_download_with_a_reason_and_without_formulas(ws):
    text = CENTRE_HEADER + centre_row('=HYPERLINK("http://x")', voters="-5")
    text += centre_row("+90302", lonlat="0,0") + centre_row("@90303", voters="")
    preview = prepare_import(csv(text), "centres", ws, ADMIN)
    assert preview.rejected["row"].tolist() == [2, 3, 4]
    data = rejected_csv(preview)
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig")
    assert table.columns[:2].tolist() == ["row", "reason"]
    assert table["centre_id"].tolist() == ['\'=HYPERLINK("http://x")', "'+90302", "'@90303"]
    assert "counts cannot be negative" in table["reason"].iloc[0]


def one_district_shapefile(real_fixtures: Path, folder: Path) -> Path:
    """The real COD-AB districts reduced to one feature (Tripoli, LY0211), as a shapefile."""
    adm2 = gpd.read_file(real_fixtures / "cod_ab_lby_20180507" / COD_AB_ADM2)
    path = folder / "lby_adm2_tripoli_only.shp"
    adm2[adm2["ADM2_PCODE"] == "LY0211"].to_file(path)
    return path


def test_replacing_22_districts_with_one_is_refused_until_confirmed(
    real_fixtures, workspace_copy, tmp_path
):
    source = read_path(one_district_shapefile(real_fixtures, tmp_path))
    preview = prepare_import(source, "districts", open_workspace(workspace_copy), ADMIN)
    assert preview.mode == "replace"  # the default for boundary layers
    assert (len(preview.accepted), len(preview.diff.removed)) == (1, 22)
    assert not preview.can_commit
    before = bytes_of(workspace_copy)
    with pytest.raises(InputError, match=r"would remove 22 of the 22 rows of 'districts'"):
        commit_import(GeoPackageStore(workspace_copy), preview, ADMIN)
    assert bytes_of(workspace_copy) == before


def test_a_confirmed_replace_of_most_of_a_layer_is_stored(real_fixtures, workspace_copy, tmp_path):
    source = read_path(one_district_shapefile(real_fixtures, tmp_path))
    preview = prepare_import(source, "districts", open_workspace(workspace_copy), ADMIN,
                             options=ImportOptions(confirm_replace=True))  # fmt: skip
    assert preview.can_commit
    version = commit_import(GeoPackageStore(workspace_copy), preview, ADMIN)
    assert (version.version, version.rows) == (2, 1)
    assert GeoPackageStore(workspace_copy).read_layer("districts")["pcode"].tolist() == ["LY0211"]


def demo_districts_file(ws, count: int) -> bytes:
    """The first ``count`` of the demo's own 22 districts, unchanged, as GeoJSON."""
    districts = ws.layer("districts").iloc[:count]
    return districts[["pcode", "name_en", "name_ar", "region_pcode", "geometry"]].to_json().encode()


@pytest.mark.parametrize(("kept", "needs_confirmation"), [(11, False), (10, True)])
def test_a_replace_needs_confirmation_when_it_removes_more_than_half(ws, kept, needs_confirmation):
    # 22 districts: replacing them with 11 removes exactly half (no question asked);
    # with 10 it removes 12, more than half.
    assert geo.imports.REPLACE_CONFIRM_SHARE == 0.5
    source = read_upload(demo_districts_file(ws, kept), "districts.geojson")
    preview = prepare_import(source, "districts", ws, ADMIN)
    assert len(preview.rejected) == 0
    assert len(preview.diff.removed) == 22 - kept
    assert preview.can_commit is not needs_confirmation


def test_upsert_of_one_district_needs_no_confirmation(real_fixtures, ws, tmp_path):
    source = read_path(one_district_shapefile(real_fixtures, tmp_path))
    preview = prepare_import(source, "districts", ws, ADMIN, options=ImportOptions(mode="upsert"))
    assert (len(preview.diff.added), len(preview.diff.removed)) == (1, 0)
    assert preview.can_commit


def test_an_excel_row_with_a_formula_is_rejected_and_the_others_kept(ws, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "centres"
    sheet.append(CENTRE_HEADER.strip().split(","))
    for line in (centre_row("90301"), centre_row("90302")):
        sheet.append(line.strip().split(","))
    sheet["C3"] = '=UPPER("school b")'
    workbook.save(tmp_path / "centres.xlsx")
    preview = prepare_import(read_path(tmp_path / "centres.xlsx"), "centres", ws, ADMIN)
    assert preview.accepted["centre_id"].tolist() == ["90301"]
    assert preview.rejected["row"].tolist() == [3]
    assert "cell C3 of sheet 'centres' holds a formula" in preview.rejected["reason"].iloc[0]
    (problem,) = problems_at(preview, 3)
    assert problem.column == "name_en"


def test_commit_writes_a_new_version_with_author_and_audit_entry(workspace_copy):
    store = GeoPackageStore(workspace_copy)
    preview = prepare_import(csv(CENTRE_HEADER + centre_row()), "centres",
                             open_workspace(workspace_copy), ADMIN)  # fmt: skip
    version = commit_import(store, preview, ADMIN)
    assert (version.version, version.author, version.source_file) == (2, "Amal", "centres.csv")
    assert "90301" in set(store.read_layer("centres")["centre_id"])
    log = read_log(workspace_copy, viewer=ADMIN, action="import")
    assert log["target"].tolist() == ["centres"]
    assert log["rows"].tolist() == [1]


def test_restore_brings_back_the_previous_version(workspace_copy):
    store = GeoPackageStore(workspace_copy)
    before = store.read_layer("centres")
    confirmed = ImportOptions(mode="replace", confirm_replace=True)
    preview = prepare_import(csv(CENTRE_HEADER + centre_row()), "centres",
                             open_workspace(workspace_copy), ADMIN, options=confirmed)  # fmt: skip
    commit_import(store, preview, ADMIN)
    assert len(store.read_layer("centres")) == 1
    restored = restore_layer(store, "centres", 1, ADMIN)
    assert restored.version == 3
    after = store.read_layer("centres")
    pd.testing.assert_frame_equal(after, before)
    assert read_log(workspace_copy, viewer=ADMIN, action="rollback")["target"].tolist() == [
        "centres"
    ]


def test_an_import_where_nothing_passes_changes_nothing_even_in_replace_mode(workspace_copy):
    before = bytes_of(workspace_copy)
    preview = prepare_import(csv(CENTRE_HEADER + centre_row(voters="-5")), "centres",
                             open_workspace(workspace_copy), ADMIN,
                             options=ImportOptions(mode="replace"))  # fmt: skip
    assert not preview.diff.has_changes
    with pytest.raises(NothingToImportError, match="no row of centres.csv can be imported"):
        commit_import(GeoPackageStore(workspace_copy), preview, ADMIN)
    assert bytes_of(workspace_copy) == before


def test_a_write_that_fails_leaves_the_workspace_byte_identical(workspace_copy, monkeypatch):
    before = bytes_of(workspace_copy)
    preview = prepare_import(csv(CENTRE_HEADER + centre_row()), "centres",
                             open_workspace(workspace_copy), ADMIN)  # fmt: skip
    real = geo.store._write_table
    calls = []

    def fail_second_table(path, table, frame, geometry):
        calls.append(table)
        if len(calls) == 2:
            raise StoreError(f"disk full while writing '{table}'")
        real(path, table, frame, geometry)

    monkeypatch.setattr(geo.store, "_write_table", fail_second_table)
    with pytest.raises(StoreError, match="disk full"):
        commit_import(GeoPackageStore(workspace_copy), preview, ADMIN)
    assert bytes_of(workspace_copy) == before
    assert not list(workspace_copy.parent.glob(".*.tmp.gpkg*"))


def test_a_preview_made_before_another_commit_is_reapplied_when_its_rows_differ(
    workspace_copy,
):
    ws_before = open_workspace(workspace_copy)
    first = prepare_import(csv(CENTRE_HEADER + centre_row("90301")), "centres", ws_before, ADMIN)
    second = prepare_import(csv(CENTRE_HEADER + centre_row("90302")), "centres", ws_before, ADMIN)
    store = GeoPackageStore(workspace_copy)
    commit_import(store, first, ADMIN)
    version = commit_import(store, second, ADMIN)
    stored = store.read_layer("centres")
    assert {"90301", "90302"} <= set(stored["centre_id"])
    assert len(stored) == len(ws_before.layer("centres")) + 2
    assert version.version == 3
    assert version.note.endswith("(made on version 1; re-applied on version 2)")
    log = read_log(workspace_copy, viewer=ADMIN, action="import")
    assert [json.loads(d)["version"] for d in log["details"]] == ["2", "3"]
    assert json.loads(log["details"].iloc[1])["made_on_version"] == "1"


def test_a_preview_that_changes_a_row_changed_since_is_refused_naming_who(workspace_copy):
    ws_before = open_workspace(workspace_copy)
    first = prepare_import(csv(CENTRE_HEADER + centre_row("90301", voters="1400")), "centres",
                           ws_before, ADMIN)  # fmt: skip
    second = prepare_import(csv(CENTRE_HEADER + centre_row("90301", voters="1500")), "centres",
                            ws_before, Viewer("Omar", "admin"))  # fmt: skip
    store = GeoPackageStore(workspace_copy)
    written = commit_import(store, first, ADMIN)
    with pytest.raises(
        StaleVersionError,
        match=re.escape(
            f"version 2 was written by Amal at {written.created_at}; both changes touch "
            "centre_id 90301. Nothing was written"
        ),
    ):
        commit_import(store, second, Viewer("Omar", "admin"))
    assert store.current_version("centres") == 2
    stored = store.read_layer("centres").set_index("centre_id")
    assert stored.loc["90301", "registered_voters"] == 1400
    assert len(read_log(workspace_copy, viewer=ADMIN, action="import")) == 1


def test_a_replace_made_before_another_commit_is_refused(workspace_copy):
    ws_before = open_workspace(workspace_copy)
    first = prepare_import(csv(CENTRE_HEADER + centre_row("90301")), "centres", ws_before, ADMIN)
    replace = ImportOptions(mode="replace", confirm_replace=True)
    replace_all = prepare_import(
        csv(CENTRE_HEADER + centre_row("90302")), "centres", ws_before, ADMIN, options=replace
    )
    store = GeoPackageStore(workspace_copy)
    commit_import(store, first, ADMIN)
    with pytest.raises(StaleVersionError, match="version 2 was written by Amal"):
        commit_import(store, replace_all, ADMIN)
    assert "90301" in set(store.read_layer("centres")["centre_id"])


def test_a_restore_chosen_before_another_commit_is_refused(workspace_copy):
    store = GeoPackageStore(workspace_copy)
    preview = prepare_import(csv(CENTRE_HEADER + centre_row()), "centres",
                             open_workspace(workspace_copy), ADMIN)  # fmt: skip
    commit_import(store, preview, ADMIN)
    with pytest.raises(StaleVersionError, match="made on version 1: version 2 was written by"):
        restore_layer(store, "centres", 1, ADMIN, base_version=1)
    assert restore_layer(store, "centres", 1, ADMIN, base_version=2).version == 3
    assert len(read_log(workspace_copy, viewer=ADMIN, action="rollback")) == 1


def test_maps_of_the_preview_and_of_the_picker_are_offline(ws):
    preview = prepare_import(read_path(FIXTURES / "acled_2023_africa.csv"), "incidents", ws,
                             ADMIN, options=TODAY)  # fmt: skip
    html = build_preview_map(preview).get_root().render()
    assert "L.markerClusterGroup" in html
    assert "https://cdn" not in html
    picker = build_pick_map(ws.layer("districts"), point=(32.9, 13.2)).get_root().render()
    assert "circleMarker" in picker
    assert "https://cdn" not in picker


# -- permissions -----------------------------------------------------------------------


def test_an_analyst_imports_centres_but_not_units_or_incidents(ws):
    preview = prepare_import(csv(CENTRE_HEADER + centre_row()), "centres", ws, ANALYST)
    assert len(preview.accepted) == 1
    for layer in ("units", "incidents", "districts"):
        with pytest.raises(AccessDeniedError, match=r"Salem \(role 'analyst'\) may not import"):
            prepare_import(csv("x\n1\n"), layer, ws, ANALYST)


def test_committing_and_restoring_need_the_permission_too(workspace_copy):
    store = GeoPackageStore(workspace_copy)
    preview = prepare_import(read_path(FIXTURES / "acled_2023_africa.csv"), "incidents",
                             open_workspace(workspace_copy), ADMIN, options=TODAY)  # fmt: skip
    with pytest.raises(AccessDeniedError):
        commit_import(store, preview, ANALYST)
    with pytest.raises(AccessDeniedError):
        restore_layer(store, "units", 1, Viewer("Huda", "briefer"))


# -- templates -------------------------------------------------------------------------


def test_csv_templates_have_english_or_arabic_headers():
    english = layer_template("centres").decode("utf-8-sig").strip().split(",")
    arabic = layer_template("centres", lang="ar").decode("utf-8-sig").strip().split(",")
    assert english[:2] == ["centre_id", "name_ar"]
    assert english[-2:] == ["longitude", "latitude"]
    assert arabic[:2] == ["رقم المركز", "الاسم بالعربية"]
    assert arabic[-1] == "خط العرض"


def test_the_excel_template_has_drop_down_lists_and_a_help_sheet():
    workbook = openpyxl.load_workbook(io.BytesIO(layer_template("units", kind="xlsx")))
    assert workbook.sheetnames == ["units", "help"]
    sheet = workbook["units"]
    assert [c.value for c in sheet[1]][:3] == ["unit_id", "agency", "unit_type"]
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert '"static_guard,patrol,rapid_response,checkpoint"' in lists
    help_rows = list(workbook["help"].values)
    assert help_rows[0] == ("column", "arabic header", "kind", "required", "allowed values")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_filled_template_imports(ws, lang):
    header = layer_template("centres", lang=lang).decode("utf-8-sig").strip()
    values = ["90501", "مدرسة", "School", "DM-TB-09", "general", "2", "1", "0", "1400", "", "",
              "open", "", "13.18733", "32.88743"]  # fmt: skip
    assert len(header.split(",")) == len(values)
    preview = prepare_import(csv(header + "\n" + ",".join(values) + "\n"), "centres", ws, ADMIN)
    assert preview.accepted["centre_id"].tolist() == ["90501"]
    assert not preview.report.errors


# -- single records --------------------------------------------------------------------


def test_an_incident_added_by_hand_is_checked_and_stored_with_its_author(workspace_copy):
    ws = open_workspace(workspace_copy)
    values = {
        "incident_id": "INC-H1",
        "date": "2025-05-16",
        "category": "intimidation",
        "severity": "2",
        "latitude": "32.88743",
        "longitude": "13.18733",
        "verified": "",
    }
    preview = prepare_record(ws, "incidents", "add", values, ADMIN,
                             today=pd.Timestamp("2026-01-01"))  # fmt: skip
    assert preview.diff.added == ("INC-H1",)
    assert not preview.report.errors
    row = preview.accepted.iloc[0]
    assert (row.fatalities, row.injuries, row.municipality_pcode) == (0, 0, "DM-TB-09")
    version = commit_import(GeoPackageStore(workspace_copy), preview, ADMIN)
    assert version.author == "Amal"
    assert version.created_at


def test_edits_of_two_records_made_on_one_version_are_both_kept(workspace_copy):
    ws = open_workspace(workspace_copy)
    first_id, second_id = ws.layer("centres")["centre_id"].iloc[:2]
    first = prepare_record(ws, "centres", "update", {"centre_id": first_id, "name_en": "A"}, ADMIN)
    second = prepare_record(ws, "centres", "update", {"centre_id": second_id, "name_en": "B"},
                            ADMIN)  # fmt: skip
    store = GeoPackageStore(workspace_copy)
    commit_import(store, first, ADMIN)
    commit_import(store, second, ADMIN)
    names = store.read_layer("centres").set_index("centre_id")["name_en"]
    assert (names[first_id], names[second_id]) == ("A", "B")


def test_a_second_edit_of_one_record_made_on_the_same_version_is_refused(workspace_copy):
    ws = open_workspace(workspace_copy)
    centre_id = ws.layer("centres")["centre_id"].iloc[0]
    first = prepare_record(ws, "centres", "update", {"centre_id": centre_id, "name_en": "A"},
                           ADMIN)  # fmt: skip
    second = prepare_record(ws, "centres", "retire", {"centre_id": centre_id}, ADMIN)
    store = GeoPackageStore(workspace_copy)
    commit_import(store, first, ADMIN)
    with pytest.raises(StaleVersionError, match=f"both changes touch centre_id {centre_id}"):
        commit_import(store, second, ADMIN)
    row = store.read_layer("centres").set_index("centre_id").loc[centre_id]
    assert (row["name_en"], row["status"]) == ("A", ws.layer("centres")["status"].iloc[0])


def test_retiring_a_record_is_reapplied_after_another_record_was_added(workspace_copy):
    ws = open_workspace(workspace_copy)
    gone = ws.layer("incidents")["incident_id"].iloc[0]
    values = {"incident_id": "INC-H9", "date": "2025-05-16", "category": "intimidation",
              "severity": "2", "latitude": "32.88743", "longitude": "13.18733"}  # fmt: skip
    added = prepare_record(ws, "incidents", "add", values, ADMIN, today=pd.Timestamp("2026-01-01"))
    retired = prepare_record(ws, "incidents", "retire", {"incident_id": gone}, ADMIN)
    store = GeoPackageStore(workspace_copy)
    commit_import(store, added, ADMIN)
    commit_import(store, retired, ADMIN)
    ids = set(store.read_layer("incidents")["incident_id"])
    assert "INC-H9" in ids
    assert gone not in ids
    assert len(ids) == len(ws.layer("incidents"))


def test_a_record_with_a_bad_value_is_reported_like_an_imported_row(ws):
    values = {"incident_id": "INC-H2", "date": "2025-05-16", "category": "intimidation",
              "severity": "9", "latitude": "32.88743", "longitude": "13.18733"}  # fmt: skip
    preview = prepare_record(ws, "incidents", "add", values, ADMIN)
    assert "9 is above the maximum 5" in messages(preview, "error")
    assert not preview.can_commit


def test_correcting_a_centre_changes_only_the_field_given(ws):
    centre = ws.layer("centres").iloc[0]
    preview = prepare_record(
        ws, "centres", "update", {"centre_id": centre.centre_id, "name_en": "Renamed School"}, ADMIN
    )
    assert preview.diff.changed == (centre.centre_id,)
    assert preview.diff.changed_columns[centre.centre_id] == ("name_en",)


def test_retiring_a_centre_closes_it_and_retiring_a_unit_removes_it(ws):
    centre = ws.layer("centres").iloc[0].centre_id
    closed = prepare_record(ws, "centres", "retire", {"centre_id": centre}, ADMIN)
    assert closed.result.set_index("centre_id").loc[centre, "status"] == "closed"
    unit = ws.layer("units").iloc[0].unit_id
    removed = prepare_record(ws, "units", "retire", {"unit_id": unit}, ADMIN)
    assert removed.diff.removed == (unit,)


def test_adding_an_existing_id_or_updating_a_missing_one_is_refused(ws):
    centre = ws.layer("centres").iloc[0].centre_id
    with pytest.raises(InputError, match=f"'{centre}' is already used"):
        prepare_record(ws, "centres", "add", {"centre_id": centre}, ADMIN)
    with pytest.raises(InputError, match="no record 'NOPE' in 'units' to update"):
        prepare_record(ws, "units", "update", {"unit_id": "NOPE"}, ADMIN)


# -- command line ----------------------------------------------------------------------


def test_cli_import_prints_the_report_and_exits_0(workspace_copy, capsys, tmp_path):
    rejected = tmp_path / "rejected.csv"
    code = main(["import", "--workspace", str(workspace_copy), "--layer", "incidents",
                 str(FIXTURES / "acled_2023_africa.csv"), "--rejected", str(rejected)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "8 row(s) read, 5 accepted, 0 rejected, 3 left out" in printed
    assert "incidents: version 2 written" in printed
    assert not rejected.exists()  # nothing rejected, nothing written


def test_cli_import_exits_2_and_leaves_the_workspace_unchanged(workspace_copy, capsys, tmp_path):
    versions_before = GeoPackageStore(workspace_copy).versions()
    bad = tmp_path / "bad.csv"
    bad.write_text(CENTRE_HEADER + centre_row(voters="-5"), encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    code = main(["import", "--workspace", str(workspace_copy), "--layer", "centres", str(bad),
                 "--rejected", str(rejected)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 2
    assert "error: centres, row 2, column 'registered_voters': -5 is below the minimum 0" in printed
    assert "nothing could be imported: the workspace is unchanged" in printed
    store = GeoPackageStore(workspace_copy)
    assert store.versions().equals(versions_before)
    assert pd.read_csv(rejected, encoding="utf-8-sig")["row"].tolist() == [2]
    # The only change: the rejected-rows file is recorded as an export.
    last = read_log(workspace_copy, viewer=Viewer("root", "admin")).iloc[-1]
    assert (last["action"], last["target"], last["rows"]) == ("export", "rejected.csv", 1)
    assert json.loads(last["details"])["table"] == "rejected rows"


def test_cli_dry_run_writes_nothing(workspace_copy, capsys):
    before = bytes_of(workspace_copy)
    code = main(["import", "--workspace", str(workspace_copy), "--layer", "centres",
                 str(FIXTURES / "centres_hxl.csv"), "--dry-run"])  # fmt: skip
    assert code == 0
    assert "dry run: nothing was written" in capsys.readouterr().out
    assert bytes_of(workspace_copy) == before


def test_cli_import_with_the_swap_fix_then_restore(workspace_copy, capsys, real_fixtures):
    path = real_fixtures / "hnec_smartelect_centres" / "valid_center_types.csv"
    assert (
        main(["import", "--workspace", str(workspace_copy), "--layer", "centres", str(path)]) == 2
    )
    assert main(["import", "--workspace", str(workspace_copy), "--layer", "centres", str(path),
                 "--swap-coordinates", "--format", "hnec"]) == 0  # fmt: skip
    assert main(["restore", "--workspace", str(workspace_copy), "--layer", "centres",
                 "--version", "1"]) == 0  # fmt: skip
    assert "centres: version 1 restored as version 3" in capsys.readouterr().out


def test_cli_help_says_it_runs_as_the_operator(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "an administrator: no --role" in capsys.readouterr().out


def test_cli_import_into_a_new_workspace_creates_it(tmp_path, real_fixtures, capsys):
    path = tmp_path / "new.gpkg"
    folder = real_fixtures / "cod_ab_lby_20180507"
    assert main(["import", "--workspace", str(path), "--layer", "regions", str(folder)]) == 0
    assert len(GeoPackageStore(path).read_layer("regions")) == 3
    assert np.array_equal(
        sorted(GeoPackageStore(path).read_layer("regions")["pcode"]), ["LY01", "LY02", "LY03"]
    )


# -- text from data never becomes template source ----------------------------------------


@pytest.mark.parametrize("which", [*range(len(PAYLOADS)), "code"])
@pytest.mark.parametrize("layer", ["centres", "units", "incidents", "municipalities", "districts"])
def test_preview_and_pick_maps_carry_names_literally(which, layer, ws, tmp_path, monkeypatch):
    payload = code_payload(tmp_path / "ran", monkeypatch) if which == "code" else PAYLOADS[which]
    preview = prepare_import(
        read_upload(
            ws.layer(layer).iloc[:3].to_json(default=str).encode("utf-8"), f"{layer}.geojson"
        ),
        layer,
        ws,
        ADMIN,
        options=TODAY,
    )
    assert len(preview.accepted) == 3
    plain = build_preview_map(preview).get_root().render()
    # The texts the preview labels its rows with: names, else the key (units, incidents).
    columns = [c for c in ("name_en", "name_ar") if c in preview.accepted] or [LAYERS[layer].key]
    texts = [f"{column} {payload}" for column in columns]
    accepted = preview.accepted.copy()
    for column, text in zip(columns, texts, strict=True):
        accepted[column] = accepted[column].astype(object)
        accepted.loc[accepted.index[0], column] = text
    shown = dataclasses.replace(preview, accepted=accepted)
    for path, page in renders(build_preview_map(shown), tmp_path).items():
        check_literal(page, texts, plain_page=plain, where=f"preview {path}")
    districts = ws.layer("districts").iloc[:3].copy()
    plain = build_pick_map(districts, point=(32.9, 13.2)).get_root().render()
    districts.loc[districts.index[0], "name_en"] = f"name_en {payload}"
    for path, page in renders(build_pick_map(districts, point=(32.9, 13.2)), tmp_path).items():
        check_literal(page, [f"name_en {payload}"], plain_page=plain, where=f"pick {path}")
    assert not (tmp_path / "ran").exists(), "a name ran as code"
