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
from geo.reports import value_label
from geo.risk import explain_risk
from geo.store import GeoPackageStore
from tests.labels import machine, machine_names, shown_as
from tests.markdown_text import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "views/coverage.py"


@pytest.fixture
def coverage_page(demo_workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    at = AppTest.from_file(APP, default_timeout=90).run()
    return at.switch_page(PAGE).run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def analyse(layers, **params):
    """The page's analysis: on the demo's roads unless ``reach="straight"``."""
    return analyse_coverage(
        layers["centres"],
        layers["units"],
        layers["incidents"],
        layers["access_audits"],
        layers["municipalities"],
        params=CoverageParams(**params),
        roads=layers["roads"],
        roads_version="demo seed 7",
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
    shown = machine(at.dataframe[0].value)
    assert list(shown["centre_id"]) == list(expected["centre_id"])
    assert set(shown["status"]) == {value_label("status", "gap", "en")}  # as shown
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
    shown = machine(at.dataframe[0].value)
    assert list(shown["centre_id"]) == list(expected["centre_id"])
    assert any(c.value.startswith(f"{label}: {len(expected):,}") for c in at.caption)
    assert at.get("download_button")[0].proto.label == f"Download: {label} (CSV)"


def test_a_wider_patrol_reach_reduces_the_gaps(coverage_page, demo_layers):
    at = coverage_page
    at.selectbox(key="coverage_reach").set_value("straight")
    at.number_input(key="coverage_patrol_radius_km").set_value(60.0)
    at.checkbox(key="coverage_use_unit_radii").uncheck()
    at.button[0].click().run()
    assert not at.exception
    wide = summarise_coverage(
        analyse(demo_layers, reach="straight", patrol_radius_km=60.0, use_unit_radii=False)
    )
    narrow = summarise_coverage(analyse(demo_layers, reach="straight"))
    assert wide.centres_gap < narrow.centres_gap
    assert metric(at, "Centres with a gap") == f"{wide.centres_gap:,}"


def test_a_reach_set_on_the_page_applies_to_every_patrol_as_on_the_command_line(
    coverage_page, demo_layers, tmp_path, demo_workspace
):
    # The page and `python -m geo coverage --patrol-radius-km 5` give the same answer: the
    # 5 km applies to every patrol, including those with their own radius. (Radii in km
    # are the straight-line model's, hence --reach straight on both.)
    straight = {"reach": "straight", "patrol_radius_km": 5.0}
    every = summarise_coverage(analyse(demo_layers, **straight, use_unit_radii=False))
    own = summarise_coverage(analyse(demo_layers, **straight))
    assert every.centres_gap != own.centres_gap  # some patrols have their own radius
    at = coverage_page
    at.selectbox(key="coverage_reach").set_value("straight")
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
    shown = machine(at.dataframe[0].value)
    assert not set(UNIT_DISTANCE_COLUMNS) & machine_names(shown.columns)
    assert not any(" km from the nearest unit" in m.value for m in at.markdown)


# -- reach on roads (issue 18) -------------------------------------------------------------


def caption_texts(at: AppTest) -> list[str]:
    return [shown(c.value) for c in at.caption]


def test_the_page_measures_reach_on_the_demo_roads_by_default(coverage_page, demo_layers):
    at = coverage_page
    result = analyse(demo_layers)
    models = result.centres["reach_model"].value_counts()
    assert models["network"] > 0
    summary = summarise_coverage(result)
    assert metric(at, "Centres with a gap") == f"{summary.centres_gap:,}"
    line = (
        f"reach: {models['network']:,} centres on the network model, "
        f"{models.get('straight', 0):,} centres on the straight model"
    )
    assert any(line in c for c in caption_texts(at))
    assert at.selectbox(key="coverage_reach").value == "auto"
    assert at.number_input(key="coverage_patrol_minutes").value == 15.0
    assert at.number_input(key="coverage_rapid_minutes").value == 30.0
    speeds = {"motorway": 100, "trunk": 90, "primary": 80, "secondary": 70, "tertiary": 60}
    for name, kmh in {**speeds, "other": 40}.items():
        assert at.number_input(key=f"coverage_{name}_kmh").value == kmh


def test_patrol_minutes_set_on_the_page_match_the_command_line(
    coverage_page, demo_layers, tmp_path, demo_workspace
):
    at = coverage_page
    at.number_input(key="coverage_patrol_minutes").set_value(5.0)
    at.number_input(key="coverage_rapid_minutes").set_value(10.0)
    at.button[0].click().run()
    assert not at.exception
    expected = summarise_coverage(
        analyse(demo_layers, patrol_minutes=5.0, rapid_minutes=10.0, use_unit_radii=False)
    )
    assert expected.centres_gap != summarise_coverage(analyse(demo_layers)).centres_gap
    assert metric(at, "Centres with a gap") == f"{expected.centres_gap:,}"
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    out = tmp_path / "c.csv"
    argv = ["coverage", "--workspace", str(workspace), "--out", str(out)]
    assert main([*argv, "--patrol-minutes", "5", "--rapid-minutes", "10"]) == 0
    cli = pd.read_csv(out, encoding="utf-8-sig")
    assert cli["status"].eq("gap").sum() == expected.centres_gap


def test_slower_roads_set_on_the_page_are_the_analysis_speeds(coverage_page, demo_layers):
    from geo.network import RoadSpeeds

    at = coverage_page
    for name in ("motorway", "trunk", "primary", "secondary", "tertiary", "other"):
        at.number_input(key=f"coverage_{name}_kmh").set_value(10.0)
    at.button[0].click().run()
    assert not at.exception
    slow = RoadSpeeds(*[10.0] * 6)
    expected = summarise_coverage(analyse(demo_layers, road_speeds=slow))
    assert expected.centres_gap != summarise_coverage(analyse(demo_layers)).centres_gap
    assert metric(at, "Centres with a gap") == f"{expected.centres_gap:,}"


def test_the_straight_model_chosen_on_the_page_is_used(coverage_page, demo_layers):
    at = coverage_page
    at.selectbox(key="coverage_reach").set_value("straight")
    at.button[0].click().run()
    assert not at.exception
    straight = analyse(demo_layers, reach="straight")
    assert metric(at, "Centres with a gap") == f"{summarise_coverage(straight).centres_gap:,}"
    assert any(
        f"reach: 0 centres on the network model, {len(straight.centres):,} centres on the "
        "straight model" in c
        for c in caption_texts(at)
    )


def reach_frame(at: AppTest) -> pd.DataFrame:
    return next(
        machine(d.value) for d in at.dataframe if "reach_model" in machine_names(d.value.columns)
    )


def test_the_reach_per_centre_shows_minutes_and_model_to_a_planner(coverage_page, demo_layers):
    at = coverage_page
    result = analyse(demo_layers).centres
    table = reach_frame(at)
    assert list(table.columns) == [
        "centre_id",
        "name_en",
        "name_ar",
        "municipality_pcode",
        "status",
        "reachable",
        "nearest_patrol_min",
        "nearest_rapid_min",
        "reach_model",
    ]
    assert list(table["centre_id"]) == list(result["centre_id"])
    assert table["nearest_patrol_min"].to_numpy() == pytest.approx(
        result["nearest_patrol_min"].to_numpy(), nan_ok=True
    )
    assert list(table["reach_model"]) == list(shown_as(result[["reach_model"]])["reach_model"])
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download: Reach per centre (CSV)" in labels


def test_a_briefer_sees_the_reach_model_but_no_minutes(demo_workspace, monkeypatch):
    from geo.permissions import Viewer
    from geo.redaction import UNIT_DISTANCE_COLUMNS

    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["viewer"] = Viewer("Amal", "briefer")
    at = at.run().switch_page(PAGE).run()
    assert not at.exception
    table = reach_frame(at)
    assert "reach_model" in table.columns
    assert not set(UNIT_DISTANCE_COLUMNS) & machine_names(table.columns)
    assert not any(" min by road from the nearest unit" in m.value for m in at.markdown)


def test_straight_lines_against_roads_by_municipality_as_on_the_command_line(
    coverage_page, demo_layers, tmp_path, demo_workspace
):
    from geo.coverage import compare_reach

    at = coverage_page
    comparison = compare_reach(
        analyse(demo_layers, reach="straight"),
        analyse(demo_layers, reach="network"),
        demo_layers["centres"],
        demo_layers["municipalities"],
    )
    changed = comparison.centres["changed"]
    assert changed.sum() > 0
    assert metric(at, "Centres that change status") == f"{int(changed.sum()):,}"
    lost = comparison.centres["change"] == "lost"
    assert metric(at, "Lose reach on roads") == f"{int(lost.sum()):,}"
    table = next(
        machine(d.value)
        for d in at.dataframe
        if "centres_changed" in machine_names(d.value.columns)
    )
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    out = tmp_path / "reach.csv"
    assert (
        main(["coverage", "--workspace", str(workspace), "--compare-reach", "--out", str(out)]) == 0
    )
    cli = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table["pcode"]) == list(cli["pcode"])
    assert list(table["centres_changed"]) == list(cli["centres_changed"])
    assert list(table["voters_lost"]) == list(cli["voters_lost"])


def test_the_reach_download_holds_the_model_and_its_audit_entry_says_it(
    demo_workspace, demo_layers, tmp_path, monkeypatch
):
    import io

    from streamlit.runtime.media_file_manager import MediaFileManager

    from geo.audit import read_log
    from geo.coverage import describe_models
    from geo.permissions import Viewer

    found = {}
    original = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    monkeypatch.setenv("PSP_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=90).run().switch_page(PAGE).run()
    assert not at.exception
    result = analyse(demo_layers)
    table = pd.read_csv(io.BytesIO(found["reach_by_centre.csv"]()), encoding="utf-8-sig")
    assert list(table["reach_model"]) == list(result.centres["reach_model"])
    gaps = pd.read_csv(io.BytesIO(found["gap_list.csv"]()), encoding="utf-8-sig")
    assert {"reach_model", "remoteness_model", "nearest_patrol_min"} <= set(gaps.columns)
    log = read_log(workspace, viewer=Viewer("root", "admin"), action="export")
    entries = dict(zip(log["target"], log["details"], strict=True))
    for name in ("reach_by_centre.csv", "gap_list.csv"):
        assert describe_models(result) in entries[name]


def test_the_reach_settings_speak_arabic(coverage_page):
    at = coverage_page
    at.sidebar.radio(key="ui_lang").set_value("ar").run()
    assert not at.exception
    assert at.selectbox(key="coverage_reach").label == "نموذج المدى"
    assert at.number_input(key="coverage_patrol_minutes").label == (
        "مدى الدوريات على الطرق (دقائق)"
    )
    assert at.number_input(key="coverage_motorway_kmh").label == "طريق سريع"
    assert any("نموذج الشبكة" in c for c in caption_texts(at))


def test_without_roads_the_page_says_so_and_network_asks_for_them(
    demo_layers, tmp_path, monkeypatch
):
    path = tmp_path / "no_roads.gpkg"
    GeoPackageStore(path).write_layers(
        {k: v for k, v in demo_layers.items() if k != "roads"}, author="test"
    )
    monkeypatch.setenv("PSP_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=90).run().switch_page(PAGE).run()
    assert not at.exception
    straight = analyse(demo_layers, reach="straight")
    assert metric(at, "Centres with a gap") == f"{summarise_coverage(straight).centres_gap:,}"
    assert any(
        "The workspace has no roads layer: import one to compare straight lines with roads."
        in i.value
        for i in at.info
    )
    at.selectbox(key="coverage_reach").set_value("network")
    at.button[0].click().run()
    assert not at.exception
    assert "needs the 'roads' layer" in shown(at.error[0].value)
