"""AppTest of the Data page: upload, recognised format, report, commit, versions, edits."""

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from geo.audit import read_log
from geo.errors import StoreError
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.markdown_text import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "views/data.py"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
BAD_CENTRES = (
    "centre_id,name_ar,name_en,municipality_pcode,centre_type,stations_male,stations_female,"
    "stations_mixed,registered_voters,status,longitude,latitude\n"
    "90601,مدرسة,School A,DM-TB-09,general,2,1,0,1400,open,13.18733,32.88743\n"
    "90602,مدرسة ب,School B,DM-TB-09,general,1,1,0,-5,open,13.18733,32.88743\n"
)


@pytest.fixture
def workspace(demo_workspace, tmp_path, monkeypatch):
    """A private copy of the demo workspace (these tests write)."""
    path = tmp_path / "workspace.gpkg"
    shutil.copyfile(demo_workspace, path)
    monkeypatch.setenv("PSP_WORKSPACE", str(path))
    return path


def open_page(viewer: Viewer | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    at.run()
    return at.switch_page(PAGE).run()


def table_with(at: AppTest, column: str):
    """The first table shown that has ``column`` (AppTest does not expose table keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="data_upload").set_value((name, content, "text/csv"))
    return at.run()


def test_the_page_opens_with_its_tabs_and_no_exception(workspace):
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert [tab.label for tab in at.tabs] == [
        "Import a file",
        "Versions",
        "Edit a record",
        "Templates",
        "Municipality crosswalk",
    ]


def test_an_uploaded_acled_export_is_recognised_and_previewed(workspace):
    at = upload(open_page(), "acled.csv", (FIXTURES / "acled_2023_africa.csv").read_bytes())
    assert not at.exception
    assert any("ACLED export, 2023 and later columns" in shown(i.value) for i in at.info)
    assert at.selectbox(key="data_layer").value == "incidents"
    figures = {m.label: m.value for m in at.metric}
    assert (figures["Rows read"], figures["Accepted"], figures["Rejected"]) == ("8", "5", "0")
    assert any("3 row(s) outside Libya were left out" in shown(c.value) for c in at.caption)


def test_a_bad_file_gets_an_error_naming_file_row_and_column(workspace):
    at = upload(open_page(), "centres_bad.csv", BAD_CENTRES.encode())
    assert not at.exception
    (error,) = at.error
    assert shown(error.value).startswith("centres_bad.csv: 1 row(s) cannot be imported.")
    assert "row 3, column 'registered_voters': -5 is below the minimum 0" in shown(error.value)
    report = table_with(at, "severity")
    assert report[["row", "column", "severity"]].values.tolist() == [
        [3, "registered_voters", "error"]
    ]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the rejected rows (CSV with a reason column)" in labels


def test_committing_writes_a_new_version_and_says_so(workspace):
    at = upload(open_page(), "centres_bad.csv", BAD_CENTRES.encode())
    at.button(key="data_commit").click().run()
    assert not at.exception
    assert any("centres: version 2 stored" in shown(s.value) for s in at.success)
    stored = GeoPackageStore(workspace).read_layer("centres")
    assert "90601" in set(stored["centre_id"])
    assert "90602" not in set(stored["centre_id"])


def test_swapped_coordinates_are_offered_as_a_checkbox(workspace, real_fixtures):
    data = (real_fixtures / "hnec_smartelect_centres" / "valid_center_types.csv").read_bytes()
    at = upload(open_page(), "valid_center_types.csv", data)
    warnings = [shown(w.value) for w in at.warning]
    assert any("13 row(s) have latitude and longitude swapped" in w for w in warnings)
    assert at.button(key="data_commit").disabled
    at.checkbox(key="data_swap").check().run()
    figures = {m.label: m.value for m in at.metric}
    assert figures["Accepted"] == "13"
    assert not at.button(key="data_commit").disabled


def test_a_version_can_be_restored_from_the_versions_tab(workspace):
    at = upload(open_page(), "centres_bad.csv", BAD_CENTRES.encode())
    at.button(key="data_commit").click().run()
    at.selectbox(key="data_versions_layer").select("centres").run()
    assert at.selectbox(key="data_restore_version").options == ["1"]
    at.button(key="data_restore").click().run()
    assert not at.exception
    assert any("centres: version 1 restored as version 3" in shown(s.value) for s in at.success)
    assert GeoPackageStore(workspace).current_version("centres") == 3


def test_templates_are_offered_in_both_languages_and_formats(workspace):
    at = open_page()
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"CSV · English", "CSV · العربية", "XLSX · English", "XLSX · العربية"} <= labels


def test_a_record_added_through_the_form_is_checked_then_saved(workspace):
    at = open_page()
    at.selectbox(key="data_edit_layer").select("incidents").run()
    for name, value in (("incident_id", "INC-F1"), ("date", "2025-05-16"), ("severity", "2"),
                        ("latitude", "32.88743"), ("longitude", "13.18733")):  # fmt: skip
        at.text_input(key=f"data_edit_incidents_{name}").input(value)
    at.selectbox(key="data_edit_incidents_category").select("intimidation").run()
    assert not at.exception
    assert not at.button(key="data_edit_save").disabled
    at.button(key="data_edit_save").click().run()
    assert any("incidents INC-F1: add" in shown(s.value) for s in at.success)
    versions = GeoPackageStore(workspace).versions("incidents")
    assert versions["author"].iloc[-1] == "local admin"


def test_an_analyst_may_import_centres_and_audits_only(workspace):
    at = open_page(Viewer("Salem", "analyst"))
    assert at.selectbox(key="data_template_layer").options == [
        "Polling centres",
        "Accessibility audits",
    ]


def test_a_viewer_is_told_they_may_not_change_data(workspace):
    at = open_page(Viewer("Nadia", "viewer"))
    assert not at.exception
    assert "may not change data" in at.info[-1].value


def test_the_crosswalk_tab_matches_the_reach_list(workspace, real_fixtures):
    at = open_page()
    data = (real_fixtures / "reach_admin_lists" / "lby_municipalities.csv").read_bytes()
    at.file_uploader(key="data_crosswalk").set_value(("reach.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("matched (" in shown(i.value) and "2 skipped" in shown(i.value) for i in at.info)
    table = table_with(at, "source_code")
    assert table.set_index("source_code").loc["LBY020704", "pcode"] == "DM-MI-02"


def test_the_column_mapping_step_maps_unusual_headers(workspace):
    content = (
        "code,arabic,kind,men,women,mixed,voters,x,y\n"
        "90801,مدرسة,general,2,1,0,1400,13.18733,32.88743\n"
    ).encode()
    at = upload(open_page(), "ministry_list.csv", content)
    at.selectbox(key="data_layer").select("centres").run()
    digest = hashlib.sha256(content).hexdigest()[:10]
    for target, column in (("centre_id", "code"), ("name_ar", "arabic"), ("centre_type", "kind"),
                           ("stations_male", "men"), ("stations_female", "women"),
                           ("stations_mixed", "mixed"), ("registered_voters", "voters"),
                           ("longitude", "x"), ("latitude", "y")):  # fmt: skip
        at.selectbox(key=f"data_map_{digest}_centres_{target}").select(column)
    at.run()
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    assert (figures["Accepted"], figures["Rejected"]) == ("1", "0")


def one_district_zip(real_fixtures: Path, folder: Path) -> bytes:
    """The real COD-AB districts reduced to one feature (Tripoli), as a zipped shapefile."""
    adm2 = gpd.read_file(
        real_fixtures / "cod_ab_lby_20180507" / "lby_admbnda_adm2_unosat_lbsc_20180507.shp"
    )
    adm2[adm2["ADM2_PCODE"] == "LY0211"].to_file(folder / "tripoli_only.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in folder.glob("tripoli_only.*"):
            archive.write(part, part.name)
    return buffer.getvalue()


def test_a_replace_removing_most_of_a_layer_waits_for_the_checkbox(workspace, real_fixtures,
                                                                   tmp_path):  # fmt: skip
    parts = tmp_path / "shp"
    parts.mkdir()
    at = upload(open_page(), "tripoli_only.zip", one_district_zip(real_fixtures, parts))
    assert not at.exception
    assert at.selectbox(key="data_layer").value == "districts"
    assert at.radio(key="data_mode").value == "replace"
    warnings = [shown(w.value) for w in at.warning]
    assert any("would remove 22 of the 22 rows of 'districts'" in w for w in warnings)
    assert at.button(key="data_commit").disabled
    at.checkbox(key="data_confirm_replace").check().run()
    assert not at.exception
    assert not at.button(key="data_commit").disabled
    at.button(key="data_commit").click().run()
    assert any("districts: version 2 stored (1 rows)" in shown(s.value) for s in at.success)
    assert GeoPackageStore(workspace).read_layer("districts")["pcode"].tolist() == ["LY0211"]


def test_the_confirmation_is_not_asked_for_an_upsert(workspace, real_fixtures, tmp_path):
    parts = tmp_path / "shp"
    parts.mkdir()
    at = upload(open_page(), "tripoli_only.zip", one_district_zip(real_fixtures, parts))
    at.radio(key="data_mode").set_value("upsert").run()
    assert not at.exception
    assert not at.get("checkbox") or all(c.key != "data_confirm_replace" for c in at.checkbox)
    assert not at.button(key="data_commit").disabled


def test_the_confirmation_is_cleared_when_the_mode_changes(workspace, real_fixtures, tmp_path):
    parts = tmp_path / "shp"
    parts.mkdir()
    at = upload(open_page(), "tripoli_only.zip", one_district_zip(real_fixtures, parts))
    at.checkbox(key="data_confirm_replace").check().run()
    assert not at.button(key="data_commit").disabled
    at.radio(key="data_mode").set_value("upsert").run()
    at.radio(key="data_mode").set_value("replace").run()
    assert not at.exception
    assert at.checkbox(key="data_confirm_replace").value is False
    assert at.button(key="data_commit").disabled


# -- downloads are recorded ----------------------------------------------------------------


@pytest.fixture
def producers(monkeypatch):
    """File name → the producer Streamlit calls when the browser asks for the file."""
    found: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return found


def exports(workspace: Path):
    return read_log(workspace, viewer=Viewer("root", "admin"), action="export")


def test_rejected_rows_report_and_templates_are_recorded_when_downloaded(workspace, producers):
    at = upload(open_page(Viewer("amal", "admin")), "centres_bad.csv", BAD_CENTRES.encode())
    at.selectbox(key="data_template_layer").select("centres").run()
    assert not at.exception
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    wanted = {
        "Download the rejected rows (CSV with a reason column)": "rejected_centres_bad.csv",
        "Download the report (CSV)": "report_centres.csv",
        "CSV · English": "centres_template_en.csv",
        "XLSX · العربية": "centres_template_ar.xlsx",
    }
    for label in wanted:
        assert buttons[label].ignore_rerun, label  # made on click, no rerun racing it
    assert exports(workspace).empty  # nothing is recorded until a file is asked for
    rejected = producers["rejected_centres_bad.csv"]()
    assert b"90602" in rejected
    assert b"90601" not in rejected
    assert b"registered_voters" in producers["report_centres.csv"]()
    assert producers["centres_template_en.csv"]().startswith(b"\xef\xbb\xbfcentre_id")
    assert producers["centres_template_ar.xlsx"]().startswith(b"PK")
    log = exports(workspace)
    assert list(log["target"]) == list(wanted.values())
    assert set(log["actor"]) == {"amal"}
    assert log["rows"].tolist() == [1, 1, 0, 0]
    tables = [json.loads(d)["table"] for d in log["details"]]
    assert tables == ["rejected rows", "import report", "template", "template"]


def test_a_download_whose_entry_cannot_be_written_gives_no_file(workspace, producers):
    at = upload(open_page(Viewer("amal", "admin")), "centres_bad.csv", BAD_CENTRES.encode())
    lock = GeoPackageStore(workspace).lock_path
    lock.unlink(missing_ok=True)
    lock.mkdir()  # the log cannot be written: the lock file's name is taken by a folder
    with pytest.raises(StoreError, match="cannot open the lock file"):
        producers["rejected_centres_bad.csv"]()
    assert not at.exception


def test_a_restore_chosen_before_someone_else_wrote_is_refused_naming_them(workspace):
    at = upload(open_page(), "centres_bad.csv", BAD_CENTRES.encode())
    at.button(key="data_commit").click().run()
    at.selectbox(key="data_versions_layer").select("centres").run()
    # While the page shows version 2 as current, someone else stores version 3.
    store = GeoPackageStore(workspace)
    store.write_layer("centres", store.read_layer("centres", version=1), author="omar")
    at.button(key="data_restore").click().run()
    assert not at.exception
    assert any("version 3 was written by omar" in shown(e.value) for e in at.error)
    assert store.current_version("centres") == 3


def test_a_municipality_list_upserts_and_asks_what_becomes_of_unmatched_rows(workspace):
    content = (FIXTURES / "municipality_list.csv").read_bytes()
    at = upload(open_page(), "municipality_list.csv", content)
    at.selectbox(key="data_layer").select("municipalities").run()
    assert not at.exception
    assert at.radio(key="data_mode").value == "upsert"
    figures = {m.label: m.value for m in at.metric}
    # 12 rows: Al Qayqab (new, no seat) rejected; Abu Qurayn and Wadi al Bawanis added.
    assert (figures["Accepted"], figures["Rejected"]) == ("11", "1")
    at.radio(key="data_unmatched").set_value("reject").run()
    figures = {m.label: m.value for m in at.metric}
    assert (figures["Accepted"], figures["Rejected"]) == ("9", "3")


def test_the_unmatched_rows_choice_shows_for_a_municipality_list_only(workspace):
    content = (FIXTURES / "municipalities_utm.geojson").read_bytes()
    at = upload(open_page(), "municipalities_utm.geojson", content)
    at.selectbox(key="data_layer").select("municipalities").run()
    assert not at.exception
    assert at.radio(key="data_mode").value == "replace"
    assert all(r.key != "data_unmatched" for r in at.radio)  # a boundary file
    at = upload(at, "municipality_list.csv", (FIXTURES / "municipality_list.csv").read_bytes())
    at.selectbox(key="data_layer").select("municipalities").run()
    assert not at.exception
    assert at.radio(key="data_unmatched").value == "new"


#: A centre with headers no rule recognises, and the saved mapping that reads them.
MINISTRY_CENTRES = (
    "code,arabic,kind,men,women,mixed,voters,x,y\n"
    "90801,مدرسة,general,2,1,0,1400,13.18733,32.88743\n"
).encode()
MINISTRY_MAPPING = {
    "kind": "column mapping", "version": 1, "layer": "centres",
    "columns": {"centre_id": "code", "name_ar": "arabic", "centre_type": "kind",
                "stations_male": "men", "stations_female": "women", "stations_mixed": "mixed",
                "registered_voters": "voters", "longitude": "x", "latitude": "y"},
}  # fmt: skip


def test_a_saved_column_mapping_fills_the_mapping_step(workspace):
    at = upload(open_page(), "ministry_list.csv", MINISTRY_CENTRES)
    at.selectbox(key="data_layer").select("centres").run()
    figures = {m.label: m.value for m in at.metric}
    assert figures["Accepted"] == "0"  # the suggested mapping misses most columns
    saved = json.dumps(MINISTRY_MAPPING).encode()
    at.file_uploader(key="data_mapping_file").set_value(("m.json", saved, "application/json"))
    at.run()
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    assert (figures["Accepted"], figures["Rejected"]) == ("1", "0")


def test_a_saved_column_mapping_that_does_not_fit_says_why(workspace):
    at = upload(open_page(), "ministry_list.csv", MINISTRY_CENTRES)
    at.selectbox(key="data_layer").select("centres").run()
    unfit = dict(MINISTRY_MAPPING, columns={"centre_id": "kod"})
    saved = json.dumps(unfit).encode()
    at.file_uploader(key="data_mapping_file").set_value(("m.json", saved, "application/json"))
    at.run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert any("the column mapping m.json does not fit ministry_list.csv: it fills "
               "'centre_id' from the column 'kod'" in e for e in errors)  # fmt: skip


def test_mappings_saved_in_the_workspace_are_offered_and_saved_by_name(workspace):
    at = upload(open_page(), "ministry_list.csv", MINISTRY_CENTRES)
    at.selectbox(key="data_layer").select("centres").run()
    # No mapping is saved yet: no box to choose one.
    assert all(s.key != "data_mapping_named_centres" for s in at.selectbox)
    saved = json.dumps(MINISTRY_MAPPING).encode()
    at.file_uploader(key="data_mapping_file").set_value(("m.json", saved, "application/json"))
    at.run()
    at.text_input(key="data_mapping_name").input("two\nlines").run()
    at.button(key="data_mapping_save").click().run()
    assert any("holds a control character or line break" in shown(e.value) for e in at.error)
    assert GeoPackageStore(workspace).mapping_names("centres") == []
    at.text_input(key="data_mapping_name").input("ministry list").run()
    at.button(key="data_mapping_save").click().run()
    assert not at.exception
    assert any("ministry list" in shown(s.value) for s in at.success)
    assert GeoPackageStore(workspace).mapping_names("centres") == ["ministry list"]
    assert read_log(workspace, viewer=Viewer("Amal", "admin"), action="mapping_save")[
        "target"
    ].tolist() == ["ministry list"]
    # A fresh page with the same file: the saved mapping is offered and fills the step.
    at = upload(open_page(), "ministry_list.csv", MINISTRY_CENTRES)
    at.selectbox(key="data_layer").select("centres").run()
    assert {m.label: m.value for m in at.metric}["Accepted"] == "0"
    box = at.selectbox(key="data_mapping_named_centres")
    assert box.options == ["none", "ministry list"]
    box.select("ministry list").run()
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    assert (figures["Accepted"], figures["Rejected"]) == ("1", "0")


def test_a_json_table_is_uploaded_and_several_keys_are_tables_to_choose(workspace):
    at = upload(open_page(), "list.json", (FIXTURES / "municipality_list_nested.json").read_bytes())
    assert not at.exception
    at.selectbox(key="data_layer").select("municipalities").run()
    figures = {m.label: m.value for m in at.metric}
    assert (figures["Rows read"], figures["Accepted"], figures["Rejected"]) == ("12", "11", "1")
    records = json.loads((FIXTURES / "centres_records.json").read_text(encoding="utf-8"))
    both = json.dumps({"open": records[:1], "planned": records[1:]}).encode()
    at = upload(at, "two.json", both)
    at.selectbox(key="data_layer").select("centres").run()
    assert at.selectbox(key="data_table").options == ["two.json › open", "two.json › planned"]
    assert not at.exception
