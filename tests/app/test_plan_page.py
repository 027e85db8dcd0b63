"""AppTest of the Plan page on a private copy of the demo workspace."""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.markdown_text import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "views/plan.py"


@pytest.fixture
def workspace(demo_workspace, tmp_path, monkeypatch) -> Path:
    """A copy of the demo workspace: saving scenarios never touches the shared fixture."""
    path = tmp_path / "plan.gpkg"
    shutil.copyfile(demo_workspace, path)
    monkeypatch.setenv("PSP_WORKSPACE", str(path))
    return path


def open_plan(viewer: Viewer | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    at.run()
    return at.switch_page(PAGE).run()


def table_with(at: AppTest, column: str):
    """The first table shown with ``column`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_viewer_without_plan_permission_gets_a_clear_message(workspace):
    at = open_plan(Viewer("Sami", "briefer"))
    assert not at.exception
    assert any("'plan' permission" in shown(i.value) for i in at.info)
    assert not at.button


def test_optimising_patrols_shows_figures_status_and_gap(workspace):
    at = open_plan()
    assert not at.exception
    at.number_input(key="plan_count").set_value(25)
    at.button(key="FormSubmitter:plan_units_form-Optimise").click().run()
    assert not at.exception
    assert not at.error
    assert metric(at, "Solver status") == "optimal"
    assert metric(at, "Optimality gap") == "0.000%"
    assert metric(at, "Demand covered").endswith("%")
    sites = table_with(at, "sole_demand")
    assert len(sites) == 25
    # The change in voters within reach says what it is measured against.
    assert any("The plan's 25 patrols replace them" in shown(c.value) for c in at.caption)


def test_nonsense_request_shows_the_reason(workspace):
    at = open_plan()
    at.number_input(key="plan_count").set_value(5000)
    at.button(key="FormSubmitter:plan_units_form-Optimise").click().run()
    assert not at.exception
    assert "only" in at.error[0].value
    assert "candidate sites" in at.error[0].value


def test_allocate_save_and_compare_with_the_current_deployment(workspace):
    at = open_plan()
    at.number_input(key="plan_count").set_value(20)
    at.button(key="FormSubmitter:plan_units_form-Optimise").click().run()
    at.button(key="FormSubmitter:plan_staff_form-Allocate officers").click().run()
    assert not at.exception
    assert metric(at, "Officer shortfall").replace(",", "").isdigit()
    at.text_input(key="plan_scenario_name").set_value("Twenty patrols")
    at.text_input(key="plan_scenario_note").set_value("first try")
    at.button(key="FormSubmitter:plan_save_form-Save as scenario").click().run()
    assert not at.exception
    assert "Twenty patrols v1" in at.success[0].value
    stored = GeoPackageStore(workspace).list_scenarios()
    assert stored["name"].tolist() == ["Twenty patrols"]
    assert stored["author"].iloc[0] == "local admin"
    at.selectbox(key="plan_compare_b").set_value("Twenty patrols")
    at.button(key="plan_compare_button").click().run()
    assert not at.exception
    statuses = table_with(at, "centres_change")
    assert statuses["centres_a"].sum() == statuses["centres_b"].sum()
    assert len(table_with(at, "status_b")) > 0
