"""JSON tables (issue 16): arrays of records, alone or under a key, nested fields dotted."""

import json
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.errors import InputError
from geo.imports import ImportOptions, prepare_import
from geo.io import MAX_JSON_DEPTH, ImportLimits, read_path, read_upload
from geo.mapping import suggest_mapping
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from geo.workspace import open_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
NESTED = FIXTURES / "municipality_list_nested.json"
RECORDS = FIXTURES / "centres_records.json"
ADMIN = Viewer("Amal", "admin")
TODAY = pd.Timestamp("2026-01-01")


@pytest.fixture(scope="module")
def ws(demo_workspace):
    return open_workspace(demo_workspace)


@pytest.fixture
def small_copy(small_demo_workspace, tmp_path):
    path = tmp_path / "small.gpkg"
    path.write_bytes(small_demo_workspace.read_bytes())
    return path


def table_of(value, name="t.json", **limits):
    return read_upload(json.dumps(value).encode(), name, limits=ImportLimits(**limits)).table()


# -- reading ---------------------------------------------------------------------------


def test_a_table_nested_under_a_key_is_read_with_dotted_names():
    source = read_path(NESTED)
    assert len(source.tables) == 1
    table = source.table()
    assert table.name == "municipality_list_nested.json › municipalities"
    assert table.json_key == "municipalities"
    # "location": null in three records is no column beside location.lat/location.lon.
    assert table.columns == ("id", "name.ar", "name.en", "type", "location.lat", "location.lon")
    assert table.row_numbers.tolist() == list(range(1, 13))  # numbered by record
    first = table.frame.iloc[0]
    assert (first["id"], first["name.en"], first["location.lat"]) == ("101", "Tripoli Center",
                                                                      "32.888")  # fmt: skip
    assert table.frame.loc[6, "location.lat"] == ""  # Sirte, "location": null
    assert any("records under key 'municipalities'" in n for n in table.notes)


def test_dotted_names_are_matched_automatically_by_their_last_part():
    mapping = dict(suggest_mapping(read_path(NESTED).table(), "municipalities").pairs)
    assert mapping["seat_lat"] == "location.lat"
    assert mapping["seat_lon"] == "location.lon"
    assert (mapping["name_ar"], mapping["name_en"]) == ("name.ar", "name.en")
    centres = dict(suggest_mapping(read_path(RECORDS).table(), "centres").pairs)
    assert (centres["latitude"], centres["stations_male"]) == ("location.lat", "stations.male")


def test_an_array_of_records_is_one_table_with_values_as_text():
    table = table_of([{"a": 1, "b": {"c": True, "d": None}, "e": [1, "x"]}, {"a": 2.5, "f": "y"}])
    assert table.columns == ("a", "b.c", "b.d", "e", "f")
    assert table.frame.to_dict("records") == [
        {"a": "1", "b.c": "true", "b.d": "", "e": '[1, "x"]', "f": ""},
        {"a": "2.5", "b.c": "", "b.d": "", "e": "", "f": "y"},
    ]
    assert table.json_key is None


def test_several_keys_holding_records_give_one_table_each():
    source = read_upload(
        json.dumps({"meta": {"n": 2}, "centres": [{"x": 1}], "units": [{"y": 2}]}).encode(),
        "f.json",
    )
    assert [t.name for t in source.tables] == ["f.json › centres", "f.json › units"]


def test_geojson_named_json_is_still_read_as_a_gis_layer():
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": "x"},
             "geometry": {"type": "Point", "coordinates": [13.2, 32.9]}}
        ],
    }  # fmt: skip
    table = table_of(data, "p.json")
    assert table.frame["id"].tolist() == ["x"]
    assert shapely.get_x(table.geometry.iloc[0]) == pytest.approx(13.2)


def test_a_json_table_in_windows_1256_is_read_and_the_guess_reported():
    data = json.dumps([{"name_ar": "مصراتة"}], ensure_ascii=False).encode("cp1256")
    table = read_upload(data, "m.json").table()
    assert table.frame["name_ar"].tolist() == ["مصراتة"]
    assert table.encoding is not None
    assert table.encoding.codec == "cp1256"


# -- hostile and broken files ----------------------------------------------------------


def test_nesting_too_deep_to_parse_is_refused_with_a_message():
    data = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(InputError, match=r"^d\.json: the JSON nests .* too deeply"):
        read_upload(data, "d.json")


def test_a_record_nested_deeper_than_the_limit_rejects_its_row_naming_the_field():
    deep: dict = {"v": 1}
    for _ in range(MAX_JSON_DEPTH):
        deep = {"k": deep}
    table = table_of([{"id": "a", "x": {"y": 1}}, {"id": "b", "deep": deep}])
    dotted = ".".join(["deep"] + ["k"] * (MAX_JSON_DEPTH - 1))
    errors = [p for p in table.problems if p.severity == "error"]
    assert [(p.row, p.column) for p in errors] == [(2, dotted)]
    assert f"deeper than {MAX_JSON_DEPTH} levels" in errors[0].message


def test_more_records_than_the_limit_are_refused_before_building_the_table():
    with pytest.raises(InputError, match=r"holds 101 records, more than the limit of 100"):
        table_of({"records": [{"a": i} for i in range(101)]}, max_records=100)
    assert len(table_of([{"a": i} for i in range(100)], max_records=100)) == 100


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ([1, 2, 3], "the JSON array holds values (number), not records"),
        (["a", "b"], "the JSON array holds values (text), not records"),
        ([], "the JSON array is empty"),
        ("text", "the JSON holds a single value, not records"),
        ({"a": 1, "b": [1, 2]}, "the JSON object holds no array of records (its keys: 'a', 'b')"),
    ],
)
def test_json_without_records_is_refused_saying_what_it_holds(value, said):
    with pytest.raises(InputError, match="^t.json: ") as caught:
        table_of(value)
    assert said in str(caught.value)
    assert "array of objects" in str(caught.value) or "empty" in said


def test_stray_values_in_an_array_of_records_are_left_out_with_a_warning():
    table = table_of({"data": [{"a": 1}, 7, {"a": 2}, "x"]})
    assert table.frame["a"].tolist() == ["1", "2"]
    assert table.row_numbers.tolist() == [1, 3]
    (warning,) = table.problems
    assert warning.severity == "warning"
    assert "records 2, 4 are not JSON objects" in warning.message


def test_a_field_named_twice_rejects_its_record():
    table = read_upload(b'[{"a": 1}, {"a": 2, "a": 3}]', "t.json").table()
    (problem,) = table.problems
    assert (problem.row, problem.column, problem.severity) == (2, "a", "error")
    assert "names the field twice" in problem.message


def test_broken_json_names_the_line_and_character():
    with pytest.raises(InputError, match=r"^b\.json: not JSON \(.* at line 2, character"):
        read_upload(b'[{"a": 1},\n {"a": }]', "b.json")


# -- importing -------------------------------------------------------------------------


def test_the_nested_municipality_list_imports_like_the_csv_one(ws):
    preview = prepare_import(read_path(NESTED), "municipalities", ws, ADMIN,
                             options=ImportOptions(today=TODAY))  # fmt: skip
    # The same twelve municipalities as municipality_list.csv (see test_imports_values),
    # numbered by record: Al Qayqab (record 11) is new without a seat, so rejected.
    assert preview.mode == "upsert"
    assert (len(preview.accepted), len(preview.rejected)) == (11, 1)
    assert preview.rejected["row"].tolist() == [11]
    assert sorted(preview.diff.added) == ["X-110", "X-112"]
    assert len(preview.diff.changed) == 7
    rows = preview.accepted.set_index("pcode")
    assert (rows.loc["DM-TB-09", "seat_lon"], rows.loc["DM-TB-09", "seat_lat"]) == (13.188, 32.888)
    assert rows.loc["X-110", "district_pcode"] == "LY-MI"
    notes = " | ".join(preview.notes)
    assert "9 of 12 row(s) matched" in notes
    assert "3 matched row(s) without coordinates (rows 7-9)" in notes


def test_an_array_of_records_imports_on_the_command_line(small_copy, capsys):
    before = GeoPackageStore(small_copy).read_layer("centres")
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres",
                 str(RECORDS), "--mode", "upsert"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    after = GeoPackageStore(small_copy).read_layer("centres").set_index("centre_id")
    assert len(after) == len(before) + 2
    assert after.loc["93002", "registered_voters"] == 2100
    assert (after.loc["93002", "stations_male"], after.loc["93002", "stations_female"]) == (3, 3)
    assert shapely.get_y(after.loc["93002", "geometry"]) == pytest.approx(32.8801)


def test_map_names_a_dotted_field_on_the_command_line(small_copy, tmp_path, capsys):
    path = tmp_path / "export.json"
    records = json.loads(RECORDS.read_text(encoding="utf-8"))
    for record in records:
        record["ids"] = {"hnec": record.pop("centre_id")}
    path.write_text(json.dumps({"data": records}, ensure_ascii=False), encoding="utf-8")
    args = ["import", "--workspace", str(small_copy), "--layer", "centres", str(path),
            "--mode", "upsert"]  # fmt: skip
    assert main(args) == 2  # no column is the centre's ID
    capsys.readouterr()
    assert main([*args, "--map", "centre_id=ids.hnec"]) == 0, capsys.readouterr()
    assert {"93001", "93002"} <= set(GeoPackageStore(small_copy).read_layer("centres")["centre_id"])


def test_several_keys_need_json_key_unless_one_is_named_like_the_layer(
    small_copy, tmp_path, capsys
):
    records = json.loads(RECORDS.read_text(encoding="utf-8"))
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"open": records[:1], "planned": records[1:]}), encoding="utf-8")
    args = ["import", "--workspace", str(small_copy), "--layer", "centres", str(path),
            "--mode", "upsert"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "arrays of records under several keys ('open', 'planned')" in err
    assert "--json-key KEY" in err
    assert main([*args, "--json-key", "nope"]) == 2
    assert "its arrays of records are under 'open', 'planned'" in capsys.readouterr().err
    assert main([*args, "--json-key", "planned"]) == 0, capsys.readouterr()
    ids = set(GeoPackageStore(small_copy).read_layer("centres")["centre_id"])
    assert "93002" in ids
    assert "93001" not in ids
    # A key named like the layer is read without --json-key.
    path.write_text(
        json.dumps({"centres": records[:1], "units": [{"unit_id": "U-9"}]}), encoding="utf-8"
    )
    assert main(args) == 0, capsys.readouterr()
    assert "93001" in set(GeoPackageStore(small_copy).read_layer("centres")["centre_id"])


def test_more_fields_than_the_column_limit_are_refused_naming_the_record():
    from geo.io import MAX_JSON_COLUMNS

    records = [{"a": 1}, {f"f{i}": i for i in range(MAX_JSON_COLUMNS)}]
    with pytest.raises(InputError, match=r"^t\.json, record 2: more than 1,000 different fields"):
        table_of(records)
    assert len(table_of([{f"f{i}": i for i in range(MAX_JSON_COLUMNS)}]).columns) == 1_000
