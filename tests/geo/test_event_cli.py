"""`python -m geo event add|import|list`: the interface named by the election-day issue."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo.audit import read_log
from geo.cli import main
from geo.events import EventLog
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.geo import builders as b
from tests.geo.test_reports import pdf_text


@pytest.fixture
def workspace(tmp_path) -> Path:
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(3)})
    units = b.units({"pos": b.at(1)})
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_layers({"centres": centres, "units": units}, author="test")
    return path


def kinds(workspace: Path) -> list[str]:
    return [e.kind for e in EventLog(workspace).read()]


def test_add_an_incident_then_dispatch_and_list(workspace, capsys):
    code = main(["event", "add", "--workspace", str(workspace), "--kind", "incident_reported",
                 "--incident", "I-1", "--lat", "32.0", "--lon", "13.0",
                 "--category", "intimidation", "--severity", "3", "--note", "crowd"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert main(["event", "add", "--workspace", str(workspace), "--kind", "unit_dispatched",
                 "--unit", "U1", "--incident", "I-1"]) == 0  # fmt: skip
    assert kinds(workspace) == ["incident_reported", "unit_dispatched"]
    capsys.readouterr()
    assert main(["event", "list", "--workspace", str(workspace), "--role", "analyst"]) == 0
    out = capsys.readouterr().out
    assert "1 reported, 1 open" in out
    assert "0 available, 1 dispatched" in out
    assert "U1 at incident" not in out  # analyst: units as a count only
    assert main(["event", "list", "--workspace", str(workspace), "--role", "planner"]) == 0
    assert "U1 at incident I-1" in capsys.readouterr().out


def test_retry_with_the_same_id_is_stored_once(workspace, capsys):
    argv = ["event", "add", "--workspace", str(workspace), "--kind", "centre_closed",
            "--centre", "C1", "--id", "6f1c0d7e-0c1b-4f7e-9a57-1f0a3a0c1e11"]  # fmt: skip
    assert main(argv) == 0
    assert main(argv) == 0
    assert "already recorded" in capsys.readouterr().out
    assert kinds(workspace) == ["centre_closed"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--kind", "unit_dispatched", "--unit", "U-NOPE", "--incident", "I-9"], "I-9"),
        (["--kind", "centre_closed", "--centre", "C-NOPE"], "C-NOPE"),
        (["--kind", "incident_reported", "--lat", "95", "--lon", "13"], "lat"),
    ],
)
def test_add_bad_input_exits_2_with_one_line(workspace, capsys, extra, words):
    assert main(["event", "add", "--workspace", str(workspace), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ")
    assert "\n" not in err
    assert words in err
    assert kinds(workspace) == []


def test_import_csv_all_rows(workspace, tmp_path, capsys):
    f = tmp_path / "field.csv"
    f.write_text(
        "kind,incident_id,lat,lon,category,severity,centre_id\n"
        "incident_reported,I-7,32.1,13.1,intimidation,4,\n"
        "centre_suspended,,,,,,C2\n",
        encoding="utf-8",
    )
    assert main(["event", "import", str(f), "--workspace", str(workspace)]) == 0
    assert "2 event(s) recorded, 0 already recorded" in capsys.readouterr().out
    assert kinds(workspace) == ["incident_reported", "centre_suspended"]


def test_import_jsonl_retried_file_stores_nothing_twice(workspace, tmp_path, capsys):
    f = tmp_path / "field.jsonl"
    rows = [
        {"event_id": "0b7f9a58-2d8e-4c51-9d0e-6a1f7f0b2c01", "kind": "centre_closed",
         "centre_id": "C1"},
        {"event_id": "0b7f9a58-2d8e-4c51-9d0e-6a1f7f0b2c02", "kind": "centre_reopened",
         "centre_id": "C1"},
    ]  # fmt: skip
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["event", "import", str(f), "--workspace", str(workspace)]) == 0
    assert main(["event", "import", str(f), "--workspace", str(workspace)]) == 0
    assert "0 event(s) recorded, 2 already recorded" in capsys.readouterr().out
    assert kinds(workspace) == ["centre_closed", "centre_reopened"]


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("a.csv", "kind,colour\ncentre_closed,red\n", "column 'colour' is not an event column"),
        ("b.csv", "centre_id\nC1\n", "the column 'kind' is missing"),
        ("c.csv", "kind,centre_id\ncentre_closed,C1\nexploded,C1\n", "row 3"),
        ("d.jsonl", '{"kind": "centre_closed", "centre_id": "C1"}\n[1, 2]\n', "row 2"),
        ("e.jsonl", '{"kind": "centre_closed"\n', "row 1: not JSON"),
        ("f.geojson", '{"type": "FeatureCollection", "features": []}', "CSV or JSON lines"),
    ],
)
def test_import_bad_file_exits_2_with_one_line_and_records_nothing(
    workspace, tmp_path, capsys, name, text, words
):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    assert main(["event", "import", str(f), "--workspace", str(workspace)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: "), err
    assert "\n" not in err, err
    assert words in err, err
    assert name in err, err
    assert kinds(workspace) == []


def test_handover_and_timeline_files_from_the_command_line(tmp_path, capsys):
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(3)})
    units = b.units({"pos": b.at(1)}, {"pos": b.at(31)})
    workspace = tmp_path / "ws.gpkg"
    GeoPackageStore(workspace).write_layers({"centres": centres, "units": units}, author="t")
    add = ["event", "add", "--workspace", str(workspace)]
    assert main([*add, "--kind", "incident_reported", "--incident", "I-1", "--centre", "C1",
                 "--category", "intimidation", "--severity", "3"]) == 0  # fmt: skip
    assert main([*add, "--kind", "incident_assigned", "--incident", "I-1", "--owner", "Omar"]) == 0
    assert main([*add, "--kind", "unit_dispatched", "--unit", "U1", "--incident", "I-1"]) == 0
    capsys.readouterr()
    brief = tmp_path / "brief.pdf"
    assert main(["event", "handover", "--workspace", str(workspace), "--out", str(brief)]) == 0
    out = capsys.readouterr().out
    assert "1 open, 0 overdue, 3 change(s) since the start of the log" in out
    assert brief.read_bytes().startswith(b"%PDF")
    # The brief is for a liaison by default: no unit id.
    text = pdf_text(brief.read_bytes(), tmp_path)
    assert "I-1" in text
    assert "Omar" in text
    assert "U1" not in text
    planner = tmp_path / "planner.pdf"
    assert main(["event", "handover", "--workspace", str(workspace), "--out", str(planner),
                 "--role", "planner"]) == 0  # fmt: skip
    assert "I-1 · U1" in pdf_text(planner.read_bytes(), tmp_path)
    day = tmp_path / "day.csv"
    assert main(["event", "timeline", "--workspace", str(workspace), "--out", str(day)]) == 0
    table = pd.read_csv(day, encoding="utf-8-sig")
    assert table[["incident_id", "category", "units"]].to_dict("records") == [
        {"incident_id": "I-1", "category": "intimidation", "units": 1}
    ]
    log = read_log(workspace, viewer=Viewer("root", "admin"), action="export")
    assert [Path(t).name for t in log["target"]] == ["brief.pdf", "planner.pdf", "day.csv"]
