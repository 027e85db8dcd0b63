"""Column mappings kept in the workspace by name (issue 16): --save-mapping/--mapping NAME."""

import json

import pytest

from geo.audit import read_log
from geo.cli import main
from geo.errors import InputError
from geo.mapping import MAPPING_NAME_CHARS, check_mapping_name, is_mapping_file
from geo.permissions import Viewer
from geo.store import GeoPackageStore

HEADER = (
    "kod,name_ar,name_en,municipality_pcode,centre_type,stations_male,stations_female,"
    "stations_mixed,electorate,status,longitude,latitude\n"
)
MAP = ("--map", "centre_id=kod", "--map", "registered_voters=electorate")
ROW = "{id},مدرسة,School,DM-TB-09,general,2,1,0,1400,open,13.18733,32.88743\n"


@pytest.fixture
def small_copy(small_demo_workspace, tmp_path):
    path = tmp_path / "small.gpkg"
    path.write_bytes(small_demo_workspace.read_bytes())
    return path


def ministry(tmp_path, centre_id, name="ministry.csv"):
    path = tmp_path / name
    path.write_text(HEADER + ROW.format(id=centre_id), encoding="utf-8")
    return path


def import_args(ws, path, *more):
    return ["import", "--workspace", str(ws), "--layer", "centres", str(path), "--mode",
            "upsert", *more]  # fmt: skip


def test_a_mapping_saved_by_name_is_kept_in_the_workspace_and_reused(small_copy, tmp_path, capsys):
    first = ministry(tmp_path, "93001")
    code = main(import_args(small_copy, first, "--map", "centre_id=kod",
                            "--map", "registered_voters=electorate",
                            "--save-mapping", "ministry list"))  # fmt: skip
    assert code == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "column mapping saved in the workspace as 'ministry list'" in out
    assert not (tmp_path / "ministry list").exists()  # no file was written
    store = GeoPackageStore(small_copy)
    assert store.mapping_names("centres") == ["ministry list"]
    assert store.mapping_names("units") == []  # per layer
    content = json.loads(store.read_mapping("centres", "ministry list") or "")
    assert content["columns"]["centre_id"] == "kod"
    assert content["columns"]["registered_voters"] == "electorate"
    # The save is in the audit log.
    log = read_log(small_copy, viewer=Viewer("Amal", "admin"), action="mapping_save")
    assert log["target"].tolist() == ["ministry list"]
    # A second file of the same shape, read by the saved name and no --map.
    second = ministry(tmp_path, "93002", "second.csv")
    assert main(import_args(small_copy, second)) == 2  # without it: kod is not recognised
    capsys.readouterr()
    assert main(import_args(small_copy, second, "--mapping", "ministry list")) == 0
    centres = GeoPackageStore(small_copy).read_layer("centres").set_index("centre_id")
    assert centres.loc["93002", "registered_voters"] == 1400


def test_saving_again_under_the_same_name_replaces_the_mapping(small_copy, tmp_path, capsys):
    path = ministry(tmp_path, "93001")
    for voters in ("electorate", "kod"):
        pairs = ("--map", "centre_id=kod", "--map", f"registered_voters={voters}")
        args = import_args(small_copy, path, "--dry-run", *pairs, "--save-mapping", "m")
        main(args)
    capsys.readouterr()
    store = GeoPackageStore(small_copy)
    assert store.mapping_names("centres") == ["m"]
    content = json.loads(store.read_mapping("centres", "m") or "")
    assert content["columns"]["registered_voters"] == "kod"


def test_an_unknown_name_lists_the_saved_ones_and_changes_nothing(small_copy, tmp_path, capsys):
    path = ministry(tmp_path, "93001")
    main(import_args(small_copy, path, "--dry-run", *MAP, "--save-mapping", "ministry"))
    capsys.readouterr()
    before = len(GeoPackageStore(small_copy).read_layer("centres"))
    assert main(import_args(small_copy, path, "--mapping", "ministery")) == 2
    err = capsys.readouterr().err
    assert "no column mapping 'ministery' for layer 'centres'" in err
    assert "the mappings saved for 'centres' are 'ministry'" in err
    assert len(GeoPackageStore(small_copy).read_layer("centres")) == before


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("x" * (MAPPING_NAME_CHARS + 1), f"has {MAPPING_NAME_CHARS + 1} characters"),
        ("two\nlines", "holds a control character or line break"),
        ("bell\x07", "holds a control character or line break"),
        ("   ", "the mapping name is empty"),
    ],
)
def test_a_bad_name_is_refused_with_a_clear_message(small_copy, tmp_path, capsys, name, said):
    path = ministry(tmp_path, "93001")
    code = main(import_args(small_copy, path, *MAP, "--save-mapping", name))
    assert code == 2
    err = capsys.readouterr().err
    assert said in err
    assert "printable text of 1 to 64 characters" in err
    store = GeoPackageStore(small_copy)
    assert store.mapping_names("centres") == []
    assert "93001" not in set(store.read_layer("centres")["centre_id"])  # nothing stored


def test_names_and_files_are_told_apart(tmp_path):
    existing = tmp_path / "saved"
    existing.write_text("{}", encoding="utf-8")
    assert is_mapping_file("ministry.json")
    assert is_mapping_file("Ministry.JSON")
    assert is_mapping_file(str(existing))  # an existing file keeps the file behaviour
    assert is_mapping_file("out/m")
    assert not is_mapping_file("ministry list")
    assert check_mapping_name("  قائمة الوزارة  ") == "قائمة الوزارة"
    with pytest.raises(InputError):
        check_mapping_name("a\tb")


def test_a_dry_run_without_a_workspace_cannot_keep_a_named_mapping(tmp_path, capsys):
    fresh = tmp_path / "new.gpkg"
    dry = ["import", "--workspace", str(fresh), "--layer", "centres",
           str(ministry(tmp_path, "93001")), *MAP, "--save-mapping", "m", "--dry-run"]  # fmt: skip
    assert main(dry) == 2
    assert "there is no workspace at" in capsys.readouterr().err
    assert not fresh.exists()
