"""No command ends in a traceback on valid data: plan, coverage and report on random workspaces.

Each example is a small workspace cut from a small demo (the real reference geography, any
mix of unit types with zero of some or of all, zero or more incidents and audits, some
layers left out altogether), written to a GeoPackage and run through the command line's
``main()`` in-process. Every command must end with exit code 0, or 2 with a one-line
message; any exception fails the test. ``derandomize=True`` makes the examples the same on
every run, so CI is deterministic.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.cli import main
from geo.demo import build_demo
from geo.schema import UNIT_TYPES
from geo.store import GeoPackageStore

AS_OF = "2025-09-01"
REPORT_FORMATS = ("csv", "xlsx", "geojson", "gpkg", "pdf")


@cache
def small_demo() -> dict[str, pd.DataFrame]:
    """A small demo (about one centre a municipality) to cut workspaces from; read-only."""
    return build_demo(seed=3, scale=0.05)


@st.composite
def workspaces(draw):
    """Layers of a random small workspace cut from :func:`small_demo`."""
    base = small_demo()
    centres = base["centres"]
    picked = draw(st.lists(st.integers(0, len(centres) - 1), max_size=6, unique=True))
    chosen = centres.iloc[sorted(picked)].reset_index(drop=True)
    if len(chosen) and draw(st.booleans()):
        closed = draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)))
        chosen.loc[closed, "status"] = "closed"
    units = base["units"]
    parts = []
    for unit_type in UNIT_TYPES:
        of_type = units[units["unit_type"] == unit_type]
        rows = draw(st.lists(st.integers(0, len(of_type) - 1), max_size=3, unique=True))
        parts.append(of_type.iloc[sorted(rows)])
    chosen_units = pd.concat(parts, ignore_index=True)
    incidents = base["incidents"]
    incident_rows = draw(st.lists(st.integers(0, len(incidents) - 1), max_size=4, unique=True))
    audits = base["access_audits"]
    audits = audits[audits["centre_id"].isin(chosen["centre_id"])]
    audit_rows = draw(st.lists(st.integers(0, max(len(audits) - 1, 0)), max_size=4, unique=True))
    layers = {
        "regions": base["regions"],
        "districts": base["districts"],
        "municipalities": base["municipalities"],
        "centres": chosen,
        "units": chosen_units,
        "incidents": incidents.iloc[sorted(incident_rows)].reset_index(drop=True),
        "access_audits": audits.iloc[sorted(r for r in audit_rows if r < len(audits))],
    }
    # An empty layer is either stored with no rows or not stored at all.
    omit_empty = draw(st.booleans())
    return {
        name: frame.reset_index(drop=True)
        for name, frame in layers.items()
        if len(frame) or not omit_empty
    }


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Run one command; it must succeed, or exit 2 with one line saying what is wrong."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2), (argv, code, err)
    lines = err.strip().splitlines()
    assert all(line.startswith(("warning: ", "error: ")) for line in lines), (argv, err)
    if code == 2:
        assert sum(line.startswith("error: ") for line in lines) == 1, (argv, err)
        assert lines[-1].startswith("error: "), (argv, err)


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_plan_coverage_and_report_never_end_in_a_traceback(capsys, data):
    layers = data.draw(workspaces())
    with tempfile.TemporaryDirectory() as folder:
        ws = Path(folder) / "ws.gpkg"
        GeoPackageStore(ws).write_layers(layers, author="test")
        out = str(Path(folder) / "out")
        common = ["--workspace", str(ws), "--as-of", AS_OF, "--out", out]
        by = data.draw(st.sampled_from(("centre", "municipality", "district", "region")))
        run(["coverage", *common, "--by", by], capsys)
        plan = [
            "plan",
            *common,
            "--unit-type",
            data.draw(st.sampled_from(("patrol", "rapid_response"))),
            "--count",
            str(data.draw(st.integers(0, 3))),
            "--method",
            data.draw(st.sampled_from(("auto", "greedy", "exact"))),
            "--time-limit",
            "2",
        ]
        if data.draw(st.booleans()):
            plan.append("--keep-existing")
        run(plan, capsys)
        report = ["report", *common, "--format", data.draw(st.sampled_from(REPORT_FORMATS))]
        report += ["--role", data.draw(st.sampled_from(("analyst", "planner")))]
        run(report, capsys)
