"""AppTest of the home page on the national demo workspace."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.permissions import Viewer
from tests.markdown_text import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def home(demo_workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    return AppTest.from_file(APP, default_timeout=60)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_home_renders_without_exception_and_shows_demo_banner(home):
    at = home.run()
    assert not at.exception
    assert "DEMO — synthetic data" in at.warning[0].value


def test_key_figures_match_the_workspace(home, demo_layers):
    at = home.run()
    centres, units = demo_layers["centres"], demo_layers["units"]
    assert metric(at, "Polling centres") == f"{len(centres):,}"
    stations = int(centres[["stations_male", "stations_female", "stations_mixed"]].sum().sum())
    assert metric(at, "Stations") == f"{stations:,}"
    assert metric(at, "Registered voters") == f"{int(centres['registered_voters'].sum()):,}"
    assert metric(at, "Security units") == f"{len(units):,}"
    assert metric(at, "Officers") == f"{int(units['officers'].sum()):,}"
    assert metric(at, "Female officers") == f"{int(units['female_officers'].sum()):,}"
    assert metric(at, "Incidents") == f"{len(demo_layers['incidents']):,}"
    assert metric(at, "Voters at accessible centres").endswith("%")


def test_stations_and_voters_by_sex_are_shown(home, demo_layers):
    at = home.run()
    centres = demo_layers["centres"]
    caption = " ".join(c.value for c in at.caption)
    assert f"{int(centres['stations_female'].sum()):,} women" in caption
    assert f"{int(centres['voters_female'].sum()):,} women" in caption


def test_incidents_are_listed_per_election(home, demo_layers):
    at = home.run()
    table = at.dataframe[0].value
    expected = demo_layers["incidents"]["election"].value_counts()
    assert dict(zip(table["election"], table["incidents"], strict=True)) == expected.to_dict()


def test_every_layer_shows_version_source_and_row_count(home, demo_layers):
    at = home.run()
    layers = at.dataframe[1].value.set_index("layer")
    assert list(layers.index) == list(demo_layers)
    for name, frame in demo_layers.items():
        assert layers.loc[name, "rows"] == len(frame)
        assert layers.loc[name, "version"] == 1
    assert layers.loc["centres", "source"] == "synthetic demo"
    assert "Natural Earth" in layers.loc["districts", "source"]


def test_switching_to_arabic_translates_the_page(home):
    at = home.run()
    at.sidebar.radio(key="ui_lang").set_value("ar").run()
    assert not at.exception
    assert at.title[0].value == "مخطط أمن مراكز الاقتراع"
    assert any(m.label == "مراكز الاقتراع" for m in at.metric)
    assert "عرض تجريبي" in at.warning[0].value


def test_single_user_mode_is_announced(home):
    at = home.run()
    assert any("local administrator" in i.value for i in at.sidebar.info)


def test_signed_in_viewer_is_named_and_not_called_local_admin(home):
    home.session_state["viewer"] = Viewer("Amal", "briefer")
    at = home.run()
    assert not at.sidebar.info
    assert any("Amal" in c.value and "Briefer" in c.value for c in at.sidebar.caption)


def test_missing_workspace_gives_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv("PSP_WORKSPACE", str(tmp_path / "nothing.gpkg"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "python -m geo demo --out" in shown(at.error[0].value)


def test_home_links_to_every_page(home):
    at = home.run()
    linked = {link.proto.page for link in at.get("page_link")}
    views = Path(APP).parent / "views"
    # The local admin may open every page; a page's URL is its file name: views/map.py -> "Map".
    assert {p.stem.capitalize() for p in views.glob("*.py") if p.stem != "home"} == linked
