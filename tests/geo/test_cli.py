import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import geo.store as store_module
from geo.audit import read_log
from geo.cli import main
from geo.permissions import Viewer
from geo.store import GeoPackageStore

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


def test_coverage_command_writes_the_per_centre_table(demo_workspace, demo_layers, tmp_path):
    out = tmp_path / "coverage.csv"
    assert main(["coverage", "--workspace", str(demo_workspace), "--out", str(out)]) == 0
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


def test_wider_patrol_radius_never_adds_gaps(demo_workspace, tmp_path):
    narrow, wide = tmp_path / "narrow.csv", tmp_path / "wide.csv"
    ws = str(demo_workspace)
    assert (
        main(["coverage", "--workspace", ws, "--out", str(narrow), "--patrol-radius-km", "5"]) == 0
    )
    assert (
        main(["coverage", "--workspace", ws, "--out", str(wide), "--patrol-radius-km", "40"]) == 0
    )
    narrow_gaps = (read_csv(narrow)["status"] == "gap").sum()
    wide_gaps = (read_csv(wide)["status"] == "gap").sum()
    assert wide_gaps <= narrow_gaps


def test_coverage_by_district_has_one_row_per_district(demo_workspace, tmp_path):
    out = tmp_path / "districts.csv"
    assert (
        main(
            ["coverage", "--workspace", str(demo_workspace), "--out", str(out), "--by", "district"]
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
