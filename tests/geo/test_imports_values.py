"""Files as people write them: labels for codes, audits without IDs, municipality lists."""

from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest

from geo.cli import main
from geo.demo import AGENCIES
from geo.imports import ImportOptions, prepare_import
from geo.io import read_path, read_upload
from geo.mapping import suggest_mapping
from geo.mapview import INCIDENT_STYLES, UNIT_SHAPES
from geo.permissions import Viewer
from geo.reports import CATEGORY_LABELS, UNIT_TYPE_LABELS
from geo.schema import CENTRE_STATUSES, CENTRE_TYPES, INCIDENT_CATEGORIES, UNIT_TYPES
from geo.vocabulary import ENGLISH_LABELS, read_coded_values
from geo.workspace import Workspace, open_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
ADMIN = Viewer("Amal", "admin")
TODAY = pd.Timestamp("2026-01-01")


@pytest.fixture(scope="module")
def ws(demo_workspace):
    return open_workspace(demo_workspace)


def preview_of(name, layer, ws, **options):
    return prepare_import(read_path(FIXTURES / name), layer, ws, ADMIN,
                          options=ImportOptions(today=TODAY, **options))  # fmt: skip


def messages(preview, severity=None):
    return [p.message for p in preview.report.problems if severity in (None, p.severity)]


# -- labels for codes ------------------------------------------------------------------


def test_every_label_the_app_shows_reads_back_to_its_code():
    for labels, column in ((CATEGORY_LABELS, "category"), (UNIT_TYPE_LABELS, "unit_type")):
        codes = list(labels)
        read = read_coded_values(column, pd.Series([labels[c] for c in codes]))
        assert read.values.tolist() == codes
    for styles, column in ((INCIDENT_STYLES, "category"), (UNIT_SHAPES, "unit_type")):
        codes = list(styles)
        read = read_coded_values(column, pd.Series([styles[c][1] for c in codes]))
        assert read.values.tolist() == codes


def test_the_vocabulary_reads_exactly_the_codes_the_schema_allows():
    allowed = {
        "category": INCIDENT_CATEGORIES,
        "unit_type": UNIT_TYPES,
        "centre_type": CENTRE_TYPES,
        "status": CENTRE_STATUSES,
        "agency": AGENCIES,
    }
    assert {column: tuple(codes) for column, codes in ENGLISH_LABELS.items()} == allowed


def test_incident_categories_given_as_labels_are_read_and_counted(ws):
    preview = preview_of("incidents_labels.csv", "incidents", ws)
    # 15 rows: 6 English labels, 4 Arabic labels, 4 codes, 1 unknown ("riot", row 16).
    assert (len(preview.accepted), len(preview.rejected)) == (14, 1)
    assert preview.rejected["row"].tolist() == [16]
    assert any(n.startswith("'category': 6 rows given as English labels, 4 as Arabic labels, "
                            "4 as codes") for n in preview.notes)  # fmt: skip
    assert preview.accepted["category"].tolist()[:4] == [
        "attack_on_centre", "attack_on_centre", "armed_interference", "violent_protest",
    ]  # fmt: skip
    assert preview.accepted["category"].tolist()[6:10] == [
        "attack_on_centre", "armed_interference", "violent_protest", "obstruction_of_voting",
    ]  # fmt: skip


def test_unit_types_and_agencies_as_arabic_and_english_labels(ws):
    text = (
        "unit_id,agency,unit_type,officers,female_officers,vehicles,longitude,latitude\n"
        "U-T1,الحرس البلدي,دورية,4,1,1,13.18733,32.88743\n"
        "U-T2,municipal guard,Static guards,2,0,0,13.18733,32.88743\n"
        "U-T3,Tribal Police,rapid_response,6,0,2,13.18733,32.88743\n"
    )
    preview = prepare_import(read_upload(text.encode(), "units.csv"), "units", ws, ADMIN)
    assert preview.accepted["unit_type"].tolist() == ["patrol", "static_guard", "rapid_response"]
    assert preview.accepted["agency"].tolist() == ["Municipal Guard", "Municipal Guard",
                                                   "Tribal Police"]  # fmt: skip
    assert any("'unit_type': 1 row given as English labels, 1 as Arabic labels, 1 as codes" in n
               for n in preview.notes)  # fmt: skip


# -- audits without IDs ----------------------------------------------------------------


def test_audits_without_ids_get_stable_unique_ids_from_centre_and_date(ws):
    preview = preview_of("access_audits_no_ids.csv", "access_audits", ws)
    assert len(preview.accepted) == 6
    assert preview.accepted["audit_id"].tolist() == [
        "A-01001-2025-03-01", "A-01002-2025-03-02", "A-01002-2025-03-02-2",
        "A-01003-2025-03-03", "A-01004-2025-03-04", "A-01005-2025-03-05",
    ]  # fmt: skip
    assert any("no audit_id given: an ID was made from the centre and the audit date" in m
               for m in messages(preview, "warning"))  # fmt: skip
    again = preview_of("access_audits_no_ids.csv", "access_audits", ws)
    assert again.accepted["audit_id"].tolist() == preview.accepted["audit_id"].tolist()
    assert preview.accepted["step_free_entrance"].tolist() == [True, True, True, True, True,
                                                               False]  # fmt: skip


def test_an_audit_without_id_or_date_is_told_how_to_get_an_id(ws):
    text = (
        "centre_id,audit_date,step_free_entrance,ramp,ground_floor_voting,accessible_toilet,"
        "parking_near,notes\n"
        "01001,2025-03-01,yes,no,yes,no,yes,\n"
        "01003,,yes,no,yes,no,yes,\n"
    )
    preview = prepare_import(read_upload(text.encode(), "audits.csv"), "access_audits", ws,
                             ADMIN, options=ImportOptions(today=TODAY))  # fmt: skip
    assert preview.accepted["audit_id"].tolist() == ["A-01001-2025-03-01"]
    (reason,) = preview.rejected["reason"]
    assert "audit_id: no audit_id, and none can be made without the audit date" in reason
    assert "audit_id: value is empty" not in reason


# -- outside the workspace's districts -------------------------------------------------


def tripoli_only(ws):
    layers = dict(ws.layers)
    layers["districts"] = ws.layers["districts"].loc[ws.layers["districts"]["pcode"] == "LY-TB"]
    return Workspace(path=ws.path, layers=MappingProxyType(layers), versions=ws.versions,
                     info=ws.info)  # fmt: skip


CENTRE = (
    "centre_id,name_ar,municipality_pcode,centre_type,stations_male,stations_female,"
    "stations_mixed,registered_voters,status,longitude,latitude\n"
    "90501,مدرسة,,general,1,1,0,500,open,{lonlat}\n"
)


def test_a_point_in_libya_outside_a_partial_workspace_is_not_outside_libya(ws):
    benghazi = "20.06859,32.11486"
    source = read_upload(CENTRE.format(lonlat=benghazi).encode(), "c.csv")
    preview = prepare_import(source, "centres", tripoli_only(ws), ADMIN)
    (error,) = [m for m in messages(preview, "error") if "lies outside" in m]
    assert "outside the workspace's districts (nearest: Tripoli (LY-TB)" in error
    assert "outside Libya" not in error
    # Benghazi lies about 640 km east of Tripoli district.
    km = float(error.split("Tripoli (LY-TB), ")[1].split(" km")[0].replace(",", ""))
    assert 550 < km < 700


def test_a_point_outside_libya_stays_outside_libya_in_a_partial_workspace(ws):
    tunis = "10.18,36.80"
    source = read_upload(CENTRE.format(lonlat=tunis).encode(), "c.csv")
    preview = prepare_import(source, "centres", tripoli_only(ws), ADMIN)
    assert any("lies outside Libya" in m for m in messages(preview, "error"))


# -- municipality lists ----------------------------------------------------------------


def test_a_municipality_list_is_matched_updated_and_extended(ws):
    preview = preview_of("municipality_list.csv", "municipalities", ws)
    # 12 rows: 9 matched by name (6 with seats, 3 without), Abu Qurayn and Wadi al Bawanis
    # new with their seats, Al Qayqab (row 12) new without a seat: rejected.
    assert preview.mode == "upsert"
    assert (len(preview.accepted), len(preview.rejected)) == (11, 1)
    assert preview.rejected["row"].tolist() == [12]
    assert sorted(preview.diff.added) == ["X-110", "X-112"]
    assert len(preview.diff.changed) == 7
    assert not preview.diff.removed
    rows = preview.accepted.set_index("pcode")
    assert rows.loc["DM-MI-01", "name_en"] == "Misurata"  # Misrata, by the known variant
    assert (rows.loc["DM-TB-09", "seat_lon"], rows.loc["DM-TB-09", "seat_lat"]) == (13.188, 32.888)
    # Rows without coordinates keep their seat: Sirte's demo seat.
    assert (rows.loc["DM-SR-01", "seat_lon"], rows.loc["DM-SR-01", "district_pcode"]) == (
        16.58866, "LY-SR")  # fmt: skip
    assert rows.loc["X-110", "district_pcode"] == "LY-MI"
    assert rows.loc["X-112", "district_pcode"] == "LY-WS"
    assert rows.loc["X-110", "list_id"] == "110"
    notes = " | ".join(preview.notes)
    assert "9 of 12 row(s) matched" in notes
    assert "2 added as new municipalities with codes that are not official (X-…)" in notes
    assert "3 matched row(s) without coordinates (rows 8-10)" in notes
    assert "no centre, unit or incident loses its municipality" in notes
    assert not any("polygons from a file" in m for m in messages(preview))
    # The seats of rows 2-7 are updated: only their polygons are kept.
    # Row 12 is rejected: only the two new municipalities get the default.
    defaulted = ("not in the file (a table of seats, without boundaries): new rows get "
                 "boundary_kind = approximate (rows 11, 13)")  # fmt: skip
    assert defaulted in messages(preview, "warning")
    kept = "no polygon in the file: these existing rows keep their current polygon (rows 2-10)"
    assert any(m.startswith(kept) for m in messages(preview, "warning"))
    assert not any("no location in the file" in m for m in messages(preview))


def test_unmatched_rows_of_a_list_can_be_rejected_with_the_reason(ws):
    preview = preview_of("municipality_list.csv", "municipalities", ws, unmatched="reject")
    assert preview.rejected["row"].tolist() == [11, 12, 13]
    assert not preview.diff.added
    reason = preview.rejected.set_index("row").loc[11, "reason"]
    assert "it lies in Tawergha (DM-MI-03) but names another place" in reason


def test_a_row_located_in_a_municipality_does_not_take_it_from_the_row_that_names_it(ws):
    # Abu Qurayn's seat lies in Tawergha's catchment; "Tawarga" is Tawergha by spelling
    # only (similarity 0.8: fuzzy, confidence 0.60, the same as the location match).
    text = (
        "id,name_ar,name_en,latitude,longitude\n"
        "110,أبو قرين,Abu Qurayn,31.4600,15.0500\n"
        "120,,Tawarga,,\n"
    )
    source = read_upload(text.encode(), "list.csv")
    preview = prepare_import(source, "municipalities", ws, ADMIN,
                             options=ImportOptions(today=TODAY))  # fmt: skip
    assert preview.rejected.empty
    assert sorted(preview.diff.added) == ["X-110"]
    rows = preview.accepted.set_index("list_id")
    assert rows.loc["120", "pcode"] == "DM-MI-03"
    assert rows.loc["120", "name_en"] == "Tawarga"


def test_a_municipality_list_on_the_command_line(demo_workspace, tmp_path, capsys):
    path = tmp_path / "ws.gpkg"
    path.write_bytes(demo_workspace.read_bytes())
    code = main(["import", "--workspace", str(path), "--layer", "municipalities",
                 str(FIXTURES / "municipality_list.csv"), "--unmatched", "reject"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "12 row(s) read, 9 accepted, 3 rejected" in out
    layer = open_workspace(path).layers["municipalities"]
    assert len(layer) == 99
    assert not layer["pcode"].str.startswith("X-").any()


def test_the_reach_list_matches_the_demo_and_skips_its_survey_options(real_fixtures, ws):
    source = read_path(real_fixtures / "reach_admin_lists" / "lby_municipalities.csv")
    preview = prepare_import(source, "municipalities", ws, ADMIN,
                             options=ImportOptions(unmatched="reject"))  # fmt: skip
    # 103 rows: the last two are the survey options dk and dwta, never municipalities.
    assert preview.rows_read == 103
    skipped = [r for r, why in zip(preview.rejected["row"], preview.rejected["reason"],
                                   strict=True) if "not a municipality" in why]  # fmt: skip
    assert skipped == [103, 104]
    assert not preview.diff.removed
    # The demo holds 99 municipalities; REACH's 101 are matched by name (no coordinates):
    # 78 of them, the others (other names, e.g. Tripoli's branches) are rejected.
    assert len(preview.accepted) == 78
    assert not any("required column" in m for m in messages(preview))


def test_a_centre_list_s_municipality_names_are_not_taken_for_the_centre_s_names():
    text = (
        "centre_id,name_ar,municipality_name_en,municipality_name_ar,longitude,latitude\n"
        "90901,مدرسة,Tripoli Center,طرابلس المركز,13.18733,32.88743\n"
    )
    table = read_upload(text.encode(), "centres.csv").table()
    assert suggest_mapping(table, "centres").as_dict() == {
        "centre_id": "centre_id", "name_ar": "name_ar", "longitude": "longitude",
        "latitude": "latitude",
    }  # fmt: skip
    # In a municipality list they are the municipality's own names.
    assert suggest_mapping(table, "municipalities").source_of("name_en") == "municipality_name_en"
