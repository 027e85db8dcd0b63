import subprocess
import sys
from pathlib import Path

from geo.cli import main
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
