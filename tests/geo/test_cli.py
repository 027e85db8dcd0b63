import datetime as dt
import errno
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

import geo.maps
import geo.store as store_module
from geo.audit import read_log
from geo.cli import main
from geo.filters import MapFilters, apply_filters
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.geo.template_payloads import carried_texts

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_demo_command_writes_a_workspace_marked_as_demo(tmp_path, capsys):
    out = tmp_path / "small.gpkg"
    assert main(["demo", "--out", str(out), "--seed", "3", "--scale", "0.05"]) == 0
    store = GeoPackageStore(out)
    assert store.info()["is_demo"] == "true"
    centres = store.read_layer("centres")
    printed = capsys.readouterr().out
    assert f"centres         version   1  {len(centres):>9,} rows" in printed


def test_layers_command_lists_every_layer_with_version_and_rows(demo_workspace, capsys):
    assert main(["layers", "--workspace", str(demo_workspace)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].endswith("demo (synthetic data)")
    rows = {line.split()[0]: line.split() for line in printed[2:]}
    centres = GeoPackageStore(demo_workspace).read_layer("centres")
    assert rows["centres"][1:3] == ["1", str(len(centres))]
    assert set(rows) == {
        "regions",
        "districts",
        "municipalities",
        "centres",
        "access_audits",
        "units",
        "incidents",
        "roads",
    }


def test_missing_workspace_exits_2_with_instructions(tmp_path, capsys):
    assert main(["layers", "--workspace", str(tmp_path / "none.gpkg")]) == 2
    assert "python -m geo demo --out" in capsys.readouterr().err


def test_bad_scale_exits_2_with_advice(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "x.gpkg"), "--scale", "-1"]) == 2
    assert "scale must be a positive number" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()


def test_python_dash_m_geo_runs_as_a_program(demo_workspace):
    done = subprocess.run(
        [sys.executable, "-m", "geo", "layers", "--workspace", str(demo_workspace)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "incidents" in done.stdout


def read_csv(path):
    import pandas as pd

    return pd.read_csv(path, encoding="utf-8-sig", dtype={"centre_id": str})


def test_coverage_command_writes_the_per_centre_table(workspace_copy, demo_layers, tmp_path):
    out = tmp_path / "coverage.csv"
    assert main(["coverage", "--workspace", str(workspace_copy), "--out", str(out)]) == 0
    table = read_csv(out)
    assert list(table.columns[:17]) == [
        "centre_id",
        "municipality_pcode",
        "status",
        "nearest_static_km",
        "nearest_patrol_km",
        "nearest_rapid_km",
        "officers_assigned",
        "officers_required",
        "shortfall",
        "female_officers_assigned",
        "female_officers_required",
        "female_shortfall",
        "risk_score",
        "risk_tier",
        "access_status",
        "nearest_accessible_centre_id",
        "nearest_accessible_km",
    ]
    centres = demo_layers["centres"]
    open_centres = centres[centres["status"] != "closed"]
    assert len(table) == len(open_centres)
    # 2 officers per centre plus 2 per station, summed over the open centres.
    stations = open_centres[["stations_male", "stations_female", "stations_mixed"]].sum(axis=1)
    assert table["officers_required"].sum() == int((2 + 2 * stations).sum())
    assert table["centre_id"].str.fullmatch(r"\d{5}").all()


def test_wider_patrol_radius_never_adds_gaps(workspace_copy, tmp_path):
    narrow, wide = tmp_path / "narrow.csv", tmp_path / "wide.csv"
    ws = str(workspace_copy)
    assert (
        main(["coverage", "--workspace", ws, "--out", str(narrow), "--patrol-radius-km", "5"]) == 0
    )
    assert (
        main(["coverage", "--workspace", ws, "--out", str(wide), "--patrol-radius-km", "40"]) == 0
    )
    narrow_gaps = (read_csv(narrow)["status"] == "gap").sum()
    wide_gaps = (read_csv(wide)["status"] == "gap").sum()
    assert wide_gaps <= narrow_gaps


def test_coverage_without_as_of_is_of_the_latest_incident_day(
    workspace_copy, demo_layers, tmp_path, capsys
):
    latest = demo_layers["incidents"]["date"].max()
    assert latest < dt.datetime(2026, 1, 1)  # the demo's data is of 2024-25, not of today
    out = tmp_path / "coverage.csv"
    assert main(["coverage", "--workspace", str(workspace_copy), "--out", str(out)]) == 0
    assert f"analysed as of {latest:%Y-%m-%d}:" in capsys.readouterr().out


def test_coverage_by_district_has_one_row_per_district(workspace_copy, tmp_path):
    out = tmp_path / "districts.csv"
    assert (
        main(
            ["coverage", "--workspace", str(workspace_copy), "--out", str(out), "--by", "district"]
        )
        == 0
    )
    table = read_csv(out)
    assert len(table) == 22
    assert table["centres"].sum() > 1_800


def test_coverage_without_units_exits_2_naming_the_layer(demo_layers, tmp_path, capsys):
    ws = tmp_path / "no_units.gpkg"
    store = GeoPackageStore(ws)
    layers = {k: v for k, v in demo_layers.items() if k != "units"}
    store.write_layers(layers, author="test")
    out = tmp_path / "c.csv"
    assert main(["coverage", "--workspace", str(ws), "--out", str(out)]) == 2
    assert "'units'" in capsys.readouterr().err
    assert not out.exists()


# -- python -m geo map ------------------------------------------------------------------------


@pytest.fixture
def workspace_copy(demo_workspace, tmp_path):
    """A private copy of the demo workspace (the command writes to its audit log)."""
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_workspace, path)
    return path


def one_district(real_fixtures: Path, folder: Path) -> Path:
    """The real COD-AB districts reduced to one feature (Tripoli, LY0211), as a shapefile."""
    adm2 = gpd.read_file(
        real_fixtures / "cod_ab_lby_20180507" / "lby_admbnda_adm2_unosat_lbsc_20180507.shp"
    )
    path = folder / "lby_adm2_tripoli_only.shp"
    adm2[adm2["ADM2_PCODE"] == "LY0211"].to_file(path)
    return path


def test_import_refuses_a_default_replace_that_removes_most_of_a_layer(
    real_fixtures, workspace_copy, tmp_path, capsys
):
    before = workspace_copy.read_bytes()
    shp = str(one_district(real_fixtures, tmp_path))
    dry = main(["import", "--workspace", str(workspace_copy), "--layer", "districts", shp,
                "--dry-run"])  # fmt: skip
    assert dry == 2  # a dry run answers as the real run would
    capsys.readouterr()
    code = main(["import", "--workspace", str(workspace_copy), "--layer", "districts", shp])
    printed = capsys.readouterr().out
    assert code == 2
    assert "1 row(s) read, 1 accepted, 0 rejected" in printed
    assert (
        "refused: replacing 'districts' would remove 22 of the 22 rows of 'districts' (more "
        "than half) and leave 1 row(s) in the new version; nothing was written. Pass --mode "
        "replace to confirm, or --mode upsert to add and update rows only" in printed
    )
    assert workspace_copy.read_bytes() == before


def test_import_with_an_explicit_mode_replace_is_the_confirmation(
    real_fixtures, workspace_copy, tmp_path, capsys
):
    shp = str(one_district(real_fixtures, tmp_path))
    code = main(["import", "--workspace", str(workspace_copy), "--layer", "districts", shp,
                 "--mode", "replace"])  # fmt: skip
    assert code == 0
    assert "districts: version 2 written (1 rows)" in capsys.readouterr().out
    assert GeoPackageStore(workspace_copy).read_layer("districts")["pcode"].tolist() == ["LY0211"]


def test_import_help_says_a_large_replace_needs_mode_replace(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "more than half" in " ".join(capsys.readouterr().out.split())


def map_entries(workspace):
    return read_log(workspace, viewer=Viewer("root", "admin"), action="export")


def test_map_command_writes_one_offline_file_redacted_for_the_default_role(
    workspace_copy, demo_layers, tmp_path, capsys
):
    out = tmp_path / "map.html"
    assert main(["map", "--workspace", str(workspace_copy), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|/app/)""", markup)
    assert "Leaflet 1.9.4" in page  # inlined, not linked
    texts = carried_texts(page)
    units = demo_layers["units"]
    assert not any(str(u) in s for s in texts for u in units["unit_id"].head(50))
    for point in units.geometry.head(50):  # rounded as the map does (numpy) and as round
        for places in (np.round, round):
            assert f"[{float(places(point.y, 5))},{float(places(point.x, 5))}," not in page
    assert "unit positions withheld" in capsys.readouterr().out
    entry = map_entries(workspace_copy).iloc[-1]
    details = json.loads(entry["details"])
    assert entry["target"] == "map.html"
    assert entry["rows"] == len(demo_layers["centres"])
    assert (details["role"], details["unit_positions"], details["filters"]) == (
        "analyst",
        "withheld",
        "",
    )


def test_map_command_applies_the_filters_and_records_them(workspace_copy, demo_layers, tmp_path):
    out = tmp_path / "tripoli.html"
    args = ["map", "--workspace", str(workspace_copy), "--out", str(out), "--role", "planner"]
    args += ["--district", "LY-TB", "--since", "2024-01-01", "--lang", "ar"]
    assert main(args) == 0
    chosen = apply_filters(
        demo_layers, MapFilters(districts=("LY-TB",), date_from=dt.date(2024, 1, 1))
    )
    entry = map_entries(workspace_copy).iloc[-1]
    details = json.loads(entry["details"])
    assert entry["rows"] == len(chosen.centres) > 0
    assert details["filters"] == "district=LY-TB&from=2024-01-01"
    assert (details["role"], details["language"], details["unit_positions"]) == (
        "planner",
        "ar",
        "included",
    )
    assert details["incidents"] == str(len(chosen.incidents))
    page = out.read_text(encoding="utf-8")
    assert '<html lang="ar">' in page
    assert any(chosen.units["unit_id"].iloc[0] in s for s in carried_texts(page))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--district", "XX"], "--district XX: not in"),
        (["--since", "2025-13-01"], "--since '2025-13-01' is not a date; write it as YYYY-MM-DD"),
        (["--since", "2025-06-01", "--until", "2025-01-01"], "swap the two dates"),
        (["--role", "viewer"], "may not export coverage"),
        (["--colour-by", "nope"], "unknown centre colouring 'nope'"),
        (["--measure", "nope"], "unknown map measure 'nope'"),
    ],
)
def test_map_command_bad_input_exits_2_with_one_line(
    flags, message, workspace_copy, tmp_path, capsys
):
    out = tmp_path / "map.html"
    before = len(map_entries(workspace_copy))
    assert main(["map", "--workspace", str(workspace_copy), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert not out.exists()
    assert len(map_entries(workspace_copy)) == before


def test_map_command_without_assets_names_make_assets(
    workspace_copy, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(geo.maps, "VENDOR_DIR", tmp_path / "no-vendor")
    out = tmp_path / "map.html"
    assert main(["map", "--workspace", str(workspace_copy), "--out", str(out)]) == 2
    assert "make assets" in capsys.readouterr().err
    assert not out.exists()


def workspace_with(tmp_path, layers, name="ws.gpkg"):
    path = tmp_path / name
    GeoPackageStore(path).write_layers(layers, author="test")
    return str(path)


def test_plan_without_any_unit_plans_from_scratch(demo_layers, tmp_path, capsys):
    ws = workspace_with(tmp_path, {k: v for k, v in demo_layers.items() if k != "units"})
    out = tmp_path / "sites.csv"
    argv = ["plan", "--workspace", ws, "--count", "5", "--method", "greedy", "--out", str(out)]
    assert main([*argv, "--as-of", "2025-09-01"]) == 0
    printed = capsys.readouterr().out
    assert len(read_csv(out)) == 5
    # With no patrol today, nobody is within reach before the plan.
    assert "(current patrol units: 0)" in printed
    assert "against 0 with no patrol (the workspace has none today)" in printed


def test_plan_with_only_static_guards_compares_with_no_patrol(demo_layers, tmp_path, capsys):
    units = demo_layers["units"]
    guards = units[units["unit_type"] == "static_guard"].reset_index(drop=True)
    ws = workspace_with(tmp_path, {**demo_layers, "units": guards})
    out = tmp_path / "sites.csv"
    argv = ["plan", "--workspace", ws, "--count", "5", "--method", "greedy", "--out", str(out)]
    assert main([*argv, "--keep-existing", "--as-of", "2025-09-01"]) == 0
    assert len(read_csv(out)) == 5
    assert "(current patrol units: 0)" in capsys.readouterr().out


def test_plan_says_its_units_replace_todays_unless_kept(workspace_copy, tmp_path, capsys):
    out = tmp_path / "sites.csv"
    argv = ["plan", "--workspace", str(workspace_copy), "--count", "4", "--method", "greedy"]
    assert main([*argv, "--as-of", "2025-09-01", "--out", str(out)]) == 0
    patrols = (GeoPackageStore(workspace_copy).read_layer("units")["unit_type"] == "patrol").sum()
    printed = capsys.readouterr().out
    assert f"with today's {patrols:,} patrols at the same 10 road-km reach." in printed
    assert "The plan's 4 patrols replace them (keep existing units is off)." in printed
    assert main([*argv, "--as-of", "2025-09-01", "--out", str(out), "--keep-existing"]) == 0
    assert "The plan keeps them where they stand and adds 4 patrols." in capsys.readouterr().out


# -- concurrent writers ------------------------------------------------------------------

WORKERS = Path(__file__).resolve().parent / "workers.py"
CENTRES_HEADER = (
    "centre_id,name_ar,name_en,municipality_pcode,centre_type,stations_male,stations_female,"
    "stations_mixed,registered_voters,status,longitude,latitude\n"
)


def centre_csv(centre_id: str) -> str:
    """One new centre at the seat of Tripoli Center (DM-TB-09) in the demo."""
    row = f"{centre_id},مدرسة,School,DM-TB-09,general,2,1,0,1400,open,13.18733,32.88743\n"
    return CENTRES_HEADER + row


def wait_for_files(paths, processes):
    """Poll until every path exists; fail with the workers' output if one of them died."""
    while not all(p.exists() for p in paths):
        for process in processes:
            if process.poll() is not None and process.returncode != 0:
                pytest.fail(f"a worker failed: {process.communicate()}")


def test_two_processes_upserting_one_layer_lose_no_change(small_demo_workspace, tmp_path):
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(small_demo_workspace, workspace)
    rounds = 20
    ids = {name: [f"9{n}{r:03d}" for r in range(rounds)] for n, name in ((1, "a"), (2, "b"))}
    for name, centre_ids in ids.items():
        for r, centre_id in enumerate(centre_ids):
            (tmp_path / f"{name}_{r}.csv").write_text(centre_csv(centre_id), encoding="utf-8")
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKERS),
                "import",
                str(workspace),
                name,
                str(rounds),
                str(tmp_path),
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for name in ids
    ]
    try:
        for r in range(rounds):
            (tmp_path / f"go_{r}").write_text("")
            results = [tmp_path / f"{name}_{r}.json" for name in ids]
            wait_for_files(results, workers)
            pairs = zip(ids, results, strict=True)
            outcome = {name: json.loads(p.read_text()) for name, p in pairs}
            present = set(GeoPackageStore(workspace).read_layer("centres")["centre_id"])
            for name, done in outcome.items():
                if done["code"] == 0:
                    assert ids[name][r] in present, (r, name, outcome)
                else:
                    # A refusal is one line saying who wrote in between.
                    assert done["code"] == 2, (r, name, outcome)
                    assert "was written by" in done["err"], (r, name, outcome)
                    assert done["err"].count("\n") == 1, done["err"]
            assert sum(d["code"] == 0 for d in outcome.values()) >= 1, (r, outcome)
    finally:
        for worker in workers:
            worker.kill()
            worker.communicate()


# -- exports fail closed; a full disk and a damaged file are one clear line -------------------


#: A centre with a negative number of voters: rejected.
BAD_ROW = centre_csv("93002").splitlines()[1].replace(",1400,", ",-5,") + "\n"


@pytest.fixture
def small_copy(small_demo_workspace, tmp_path):
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(small_demo_workspace, workspace)
    return workspace


def unrecordable(workspace: Path) -> Path:
    """Make the audit log unwritable: the lock file's name is taken by a folder."""
    lock = GeoPackageStore(workspace).lock_path
    lock.unlink(missing_ok=True)
    lock.mkdir()
    return workspace


@pytest.mark.parametrize(
    "command",
    [
        ["coverage"],
        ["report", "--format", "csv", "--role", "briefer"],
        ["report", "--format", "geojson"],
    ],
)
def test_an_export_whose_audit_entry_cannot_be_written_writes_no_file(
    small_copy, tmp_path, capsys, command
):
    out = tmp_path / "out.file"
    out.write_bytes(b"an older export")
    ws = str(unrecordable(small_copy))
    assert main([*command, "--workspace", ws, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out} was not written, because its export cannot be recorded")
    assert "cannot open the lock file" in err
    assert out.read_bytes() == b"an older export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_rejected_rows_are_not_written_when_their_export_cannot_be_recorded(
    small_copy, tmp_path, capsys
):
    bad = tmp_path / "bad.csv"
    bad.write_text(centre_csv("93001") + BAD_ROW, encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    versions = GeoPackageStore(small_copy).versions()
    ws = str(unrecordable(small_copy))
    code = main(["import", "--workspace", ws, "--layer", "centres", str(bad), "--mode", "upsert",
                 "--rejected", str(rejected)])  # fmt: skip
    assert code == 2
    assert "cannot open the lock file" in capsys.readouterr().err
    assert not rejected.exists()
    # The import and the rejected rows' entry go together: neither was stored.
    assert GeoPackageStore(small_copy).versions().equals(versions)


def test_rejected_rows_written_by_the_command_line_are_recorded(small_copy, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(centre_csv("93001") + BAD_ROW, encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(bad),
                 "--mode", "upsert", "--rejected", str(rejected)])  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert rejected.exists()
    log = read_log(small_copy, viewer=Viewer("root", "admin"))
    imported, exported = log.iloc[-2], log.iloc[-1]
    assert (imported["action"], imported["target"], imported["rows"]) == ("import", "centres", 1)
    assert (exported["action"], exported["target"], exported["rows"]) == (
        "export",
        "rejected.csv",
        1,
    )
    assert json.loads(exported["details"])["table"] == "rejected rows"


def test_a_full_disk_is_one_line_and_exit_2_and_changes_nothing(
    small_copy, tmp_path, capsys, monkeypatch
):
    csv = tmp_path / "new.csv"
    csv.write_text(centre_csv("93001"), encoding="utf-8")
    before = small_copy.read_bytes()

    def full(source, target):
        Path(target).write_bytes(b"partial copy")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.shutil, "copyfile", full)
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(csv),
                 "--mode", "upsert"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: no room to write the workspace {small_copy}: the disk is full;")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert small_copy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "ws.gpkg", "ws.gpkg.lock"]


@pytest.mark.parametrize(
    "command",
    [
        ["layers"],
        ["coverage", "--out", "never.csv"],
        ["import", "--layer", "centres", "NEW", "--mode", "upsert"],
        ["restore", "--layer", "centres", "--version", "1"],
    ],
)
def test_a_truncated_workspace_is_called_damaged_with_how_to_check_it(
    small_demo_workspace, tmp_path, capsys, command
):
    cut = tmp_path / "cut.gpkg"
    data = small_demo_workspace.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    csv = tmp_path / "new.csv"
    csv.write_text(centre_csv("93001"), encoding="utf-8")
    args = [str(csv) if a == "NEW" else a for a in command]
    assert main([*args, "--workspace", str(cut)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the workspace {cut} is damaged")
    assert f"sqlite3 '{cut}' 'PRAGMA integrity_check'" in err
    assert "restore it from a backup" in err
    assert err.count("\n") == 1
    assert cut.read_bytes() == data[: len(data) // 2]


# -- column mapping on the command line (issue 16) -------------------------------------

#: The centre of :func:`centre_csv` with two headers no rule recognises.
UNMAPPED_CENTRE_CSV = (
    CENTRES_HEADER.replace("centre_id,", "kod,").replace("registered_voters", "electorate")
    + "93001,مدرسة,School,DM-TB-09,general,2,1,0,1400,open,13.18733,32.88743\n"
)


def test_without_map_a_file_whose_key_column_is_not_recognised_is_refused(
    small_copy, tmp_path, capsys
):
    csv = tmp_path / "ministry.csv"
    csv.write_text(UNMAPPED_CENTRE_CSV, encoding="utf-8")
    before = GeoPackageStore(small_copy).read_layer("centres")
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(csv),
                 "--mode", "upsert"])  # fmt: skip
    assert code == 2
    capsys.readouterr()
    assert len(GeoPackageStore(small_copy).read_layer("centres")) == len(before)


def test_map_target_equals_source_fills_columns_the_file_names_its_own_way(
    small_copy, tmp_path, capsys
):
    csv = tmp_path / "ministry.csv"
    csv.write_text(UNMAPPED_CENTRE_CSV, encoding="utf-8")
    before = GeoPackageStore(small_copy).read_layer("centres")
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(csv),
                 "--mode", "upsert", "--map", "centre_id=kod",
                 "--map", "registered_voters=electorate"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    after = GeoPackageStore(small_copy).read_layer("centres")
    assert len(after) == len(before) + 1
    new = after.loc[after["centre_id"] == "93001"].iloc[0]
    assert new["registered_voters"] == 1400
    assert new["municipality_pcode"] == "DM-TB-09"


@pytest.mark.parametrize(
    ("pair", "said", "helps"),
    [
        # The message says what to do: which targets, which columns, or an example.
        ("centre_idd=kod", "'centre_idd' is not a column of layer 'centres'", "registered_voters"),
        ("centre_id=code", "the file has no column 'code'", "electorate"),
        ("centre_id", "--map takes TARGET=SOURCE", "--map centre_id=code"),
    ],
)
def test_map_names_an_unknown_target_or_a_missing_column_and_changes_nothing(
    small_copy, tmp_path, capsys, pair, said, helps
):
    csv = tmp_path / "ministry.csv"
    csv.write_text(UNMAPPED_CENTRE_CSV, encoding="utf-8")
    before = small_copy.read_bytes()
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(csv),
                 "--map", pair])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert said in err
    assert err.count("\n") == 1
    assert helps in err
    assert small_copy.read_bytes() == before


# -- a column mapping saved and reused (issue 16) ----------------------------------------


def ministry_csv(tmp_path, name="ministry.csv", text=UNMAPPED_CENTRE_CSV):
    csv = tmp_path / name
    csv.write_text(text, encoding="utf-8")
    return csv


def test_save_mapping_writes_the_mapping_used_and_mapping_reuses_it(small_copy, tmp_path, capsys):
    saved = tmp_path / "ministry_mapping.json"
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres",
                 str(ministry_csv(tmp_path)), "--dry-run", "--map", "centre_id=kod",
                 "--map", "registered_voters=electorate",
                 "--save-mapping", str(saved)])  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert f"column mapping saved to {saved}" in capsys.readouterr().out
    content = json.loads(saved.read_text(encoding="utf-8"))
    # The two --map pairs, and the ten headers that are the layer's own column names.
    assert content["layer"] == "centres"
    assert content["columns"] == {
        "centre_id": "kod", "name_ar": "name_ar", "name_en": "name_en",
        "municipality_pcode": "municipality_pcode", "centre_type": "centre_type",
        "stations_male": "stations_male", "stations_female": "stations_female",
        "stations_mixed": "stations_mixed", "registered_voters": "electorate",
        "status": "status", "longitude": "longitude", "latitude": "latitude",
    }  # fmt: skip
    # Another file of the same shape, imported with the saved mapping and no --map.
    second = ministry_csv(tmp_path, "second.csv", UNMAPPED_CENTRE_CSV.replace("93001", "93002"))
    before = len(GeoPackageStore(small_copy).read_layer("centres"))
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(second),
                 "--mode", "upsert", "--mapping", str(saved)])  # fmt: skip
    assert code == 0, capsys.readouterr()
    after = GeoPackageStore(small_copy).read_layer("centres")
    assert len(after) == before + 1
    assert after.loc[after["centre_id"] == "93002", "registered_voters"].tolist() == [1400]


def test_map_is_laid_over_a_saved_mapping(small_copy, tmp_path, capsys):
    saved = tmp_path / "m.json"
    saved.write_text(json.dumps({"kind": "column mapping", "version": 1, "layer": "centres",
                                 "columns": {"centre_id": "kod",
                                             "registered_voters": "electorate"}}))  # fmt: skip
    renamed = ministry_csv(tmp_path, text=UNMAPPED_CENTRE_CSV.replace("kod,", "code_no,"))
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(renamed),
                 "--dry-run", "--mapping", str(saved), "--map", "centre_id=code_no"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 2, out
    # Only the two mapped columns are read: the centre lacks its name, type and location.
    assert "1 row(s) read, 0 accepted, 1 rejected" in out
    assert "required column 'name_ar' is missing" in out


@pytest.mark.parametrize(
    ("content", "said", "helps"),
    [
        # The file lacks a column the mapping reads.
        ({"kind": "column mapping", "version": 1, "layer": "centres",
          "columns": {"centre_id": "code"}},
         "fills 'centre_id' from the column 'code', which ministry.csv does not have",
         "--map centre_id=COLUMN"),
        # Saved for another layer.
        ({"kind": "column mapping", "version": 1, "layer": "units",
          "columns": {"unit_id": "kod"}},
         "was saved for layer 'units', not 'centres'", "--layer units"),
        # A target the layer does not have.
        ({"kind": "column mapping", "version": 1, "layer": "centres",
          "columns": {"centre_idd": "kod"}},
         "'centre_idd' is not a column of layer 'centres'", "--save-mapping"),
        # Not a mapping at all.
        ("centre_id=kod", "is not a column mapping saved by --save-mapping", "--save-mapping"),
    ],
)  # fmt: skip
def test_a_saved_mapping_that_does_not_fit_names_why_and_changes_nothing(
    small_copy, tmp_path, capsys, content, said, helps
):
    saved = tmp_path / "m.json"
    saved.write_text(content if isinstance(content, str) else json.dumps(content))
    before = small_copy.read_bytes()
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres",
                 str(ministry_csv(tmp_path)), "--mapping", str(saved)])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the column mapping {saved} ")
    assert said in err
    assert helps in err
    assert err.count("\n") == 1
    assert small_copy.read_bytes() == before


def test_save_mapping_is_refused_for_a_file_of_fixed_columns(small_copy, tmp_path, capsys,
                                                              real_fixtures):  # fmt: skip
    saved = tmp_path / "m.json"
    hnec = real_fixtures / "hnec_smartelect_centres" / "valid_center_types.csv"
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(hnec),
                 "--dry-run", "--save-mapping", str(saved)])  # fmt: skip
    assert code == 2
    assert "--save-mapping applies to generic and HXL files" in capsys.readouterr().err
    assert not saved.exists()


def test_unmatched_is_refused_for_a_layer_other_than_municipalities(small_copy, tmp_path, capsys):
    csv = tmp_path / "new.csv"
    csv.write_text(centre_csv("93001"), encoding="utf-8")
    before = small_copy.read_bytes()
    code = main(["import", "--workspace", str(small_copy), "--layer", "centres", str(csv),
                 "--unmatched", "reject"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "--unmatched applies to municipality lists (--layer municipalities)" in err
    assert small_copy.read_bytes() == before
