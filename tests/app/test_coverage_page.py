"""AppTest of the Coverage page on the national demo workspace."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.cli import main
from geo.coverage import (
    CoverageParams,
    analyse_coverage,
    gap_list,
    need_list,
    summarise_coverage,
)
from geo.risk import explain_risk
from geo.store import GeoPackageStore
from tests.markdown_text import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/2_Coverage.py"


@pytest.fixture
def coverage_page(demo_workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    at = AppTest.from_file(APP, default_timeout=90).run()
    return at.switch_page(PAGE).run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def analyse(layers, **params):
    return analyse_coverage(
        layers["centres"],
        layers["units"],
        layers["incidents"],
        layers["access_audits"],
        layers["municipalities"],
        params=CoverageParams(**params),
    )


def test_key_figures_match_the_analysis(coverage_page, demo_layers):
    at = coverage_page
    assert not at.exception
    summary = summarise_coverage(analyse(demo_layers))
    assert metric(at, "Voters in centres with a gap") == f"{summary.voters_gap:,}"
    assert metric(at, "Centres with a gap") == f"{summary.centres_gap:,}"
    assert metric(at, "Centres short of officers") == f"{summary.centres_short_of_officers:,}"
    assert metric(at, "Women vote, too few female officers") == (
        f"{summary.centres_short_of_female_officers:,}"
    )


def test_the_gap_list_shown_first_holds_only_the_gaps(coverage_page, demo_layers):
    at = coverage_page
    result = analyse(demo_layers)
    expected = gap_list(result, demo_layers["centres"])
    shown = at.dataframe[0].value
    assert list(shown["centre_id"]) == list(expected["centre_id"])
    assert set(shown["status"]) == {"gap"}
    assert len(shown) == summarise_coverage(result).centres_gap
    button = at.get("download_button")[0].proto
    assert button.label == "Download: Centres with no protection (gap) (CSV)"
    # The file is made on click; a rerun on click would race it and lose the download.
    assert button.deferred_file_id
    assert button.ignore_rerun


@pytest.mark.parametrize(
    ("which", "label"),
    [
        ("officers", "Centres short of officers"),
        ("women", "Centres where women vote with too few female officers"),
    ],
)
def test_each_list_is_shown_with_its_title_and_download(coverage_page, demo_layers, which, label):
    at = coverage_page
    at.radio(key="coverage_list").set_value(which).run()
    assert not at.exception
    expected = need_list(analyse(demo_layers), demo_layers["centres"], which)
    shown = at.dataframe[0].value
    assert list(shown["centre_id"]) == list(expected["centre_id"])
    assert any(c.value.startswith(f"{label}: {len(expected):,}") for c in at.caption)
    assert at.get("download_button")[0].proto.label == f"Download: {label} (CSV)"


def test_a_wider_patrol_reach_reduces_the_gaps(coverage_page, demo_layers):
    at = coverage_page
    at.number_input(key="coverage_patrol_radius_km").set_value(60.0)
    at.checkbox(key="coverage_use_unit_radii").uncheck()
    at.button[0].click().run()
    assert not at.exception
    wide = summarise_coverage(analyse(demo_layers, patrol_radius_km=60.0, use_unit_radii=False))
    narrow = summarise_coverage(analyse(demo_layers))
    assert wide.centres_gap < narrow.centres_gap
    assert metric(at, "Centres with a gap") == f"{wide.centres_gap:,}"


def test_a_reach_set_on_the_page_applies_to_every_patrol_as_on_the_command_line(
    coverage_page, demo_layers, tmp_path, demo_workspace
):
    # The page and `python -m geo coverage --patrol-radius-km 5` give the same answer: the
    # 5 km applies to every patrol, including those with their own radius. (The pages
    # measure reach in straight lines for now, hence --reach straight.)
    every = summarise_coverage(analyse(demo_layers, patrol_radius_km=5.0, use_unit_radii=False))
    own = summarise_coverage(analyse(demo_layers, patrol_radius_km=5.0))
    assert every.centres_gap != own.centres_gap  # some patrols have their own radius
    at = coverage_page
    at.number_input(key="coverage_patrol_radius_km").set_value(5.0)
    at.button[0].click().run()
    assert not at.exception
    assert metric(at, "Centres with a gap") == f"{every.centres_gap:,}"
    assert at.checkbox(key="coverage_use_unit_radii").value is False
    patrols = int((demo_layers["units"]["unit_type"] == "patrol").sum())
    assert any(
        f"Patrol reach 5 km: units {patrols:,} (units' own radii not used)" in shown(c.value)
        for c in at.caption
    )
    out = tmp_path / "c.csv"
    workspace = tmp_path / "ws.gpkg"  # a copy: each export writes an audit entry
    shutil.copyfile(demo_workspace, workspace)
    argv = ["coverage", "--workspace", str(workspace), "--out", str(out), "--reach"]
    argv.append("straight")
    assert main([*argv, "--patrol-radius-km", "5"]) == 0
    assert pd.read_csv(out, encoding="utf-8-sig")["status"].eq("gap").sum() == every.centres_gap
    # Ticking the box again on the page is asked for explicitly: own radii come back.
    at.checkbox(key="coverage_use_unit_radii").check()
    at.button[0].click().run()
    assert metric(at, "Centres with a gap") == f"{own.centres_gap:,}"
    assert main([*argv, "--patrol-radius-km", "5", "--unit-radii"]) == 0
    assert pd.read_csv(out, encoding="utf-8-sig")["status"].eq("gap").sum() == own.centres_gap


def test_the_as_of_date_defaults_to_the_latest_incident(coverage_page, demo_layers):
    at = coverage_page
    latest = demo_layers["incidents"]["date"].max()
    assert at.date_input(key="coverage_as_of").value == latest.date()
    assert any(
        shown(c.value).startswith(f"As of {latest:%Y-%m-%d} (the latest incident's day)")
        for c in at.caption
    )


def test_the_first_gap_centre_is_explained_in_words(coverage_page, demo_layers):
    at = coverage_page
    result = analyse(demo_layers)
    first = gap_list(result, demo_layers["centres"])["centre_id"].iloc[0]
    row = result.centres.set_index("centre_id").loc[first]
    shown_texts = [shown(m.value).strip("*") for m in at.markdown]
    assert explain_risk(row, weights=result.weights) in shown_texts


def test_missing_units_layer_gives_a_clear_message(demo_layers, tmp_path, monkeypatch):
    path = tmp_path / "no_units.gpkg"
    GeoPackageStore(path).write_layers(
        {k: v for k, v in demo_layers.items() if k != "units"}, author="test"
    )
    monkeypatch.setenv("PSP_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=90).run().switch_page(PAGE).run()
    assert not at.exception
    assert "'units'" in shown(at.error[0].value)


def test_briefer_sees_no_distances_to_units(demo_workspace, monkeypatch):
    from geo.permissions import Viewer
    from geo.redaction import UNIT_DISTANCE_COLUMNS

    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["viewer"] = Viewer("Amal", "briefer")
    at = at.run().switch_page(PAGE).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert not set(UNIT_DISTANCE_COLUMNS) & set(shown.columns)
    assert not any(" km from the nearest unit" in m.value for m in at.markdown)
