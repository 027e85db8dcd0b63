"""Text from the data or the URL shows as plain text on every page, never as live Markdown.

Streamlit renders alerts, captions, headings, labels and tooltips as Markdown: a centre
named ``[x](http://127.0.0.9/)`` would be a live link there, and ``![x](…)`` an image the
browser fetches from any host (revealing a signed-in user's address on an offline
deployment). A small demo workspace gets such text in every field that pages show
(names and IDs of centres, units, incidents and municipalities, an election, an agency,
audit notes), and the URL, uploads and scenarios get it too. Every Markdown text of every
page must then hold the payload only escaped (``tests/markdown_text.py``), and the places
that quote it must still show it, as typed.
"""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st_
from streamlit.testing.v1 import AppTest

import ui
from geo import users
from geo.demo import build_demo
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.markdown_text import WORD_JOINER, live_markup, live_texts, markdown_texts, shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LINK = "[x](http://127.0.0.9/)"
IMAGE = "![x](http://127.0.0.9/x.png)"
TAG = "<img src=x onerror=alert(1)>"
PAYLOAD = f"{LINK} {IMAGE} {TAG}"
#: A browser sends a file's name without folders, so no slash in it.
FILE_PAYLOAD = f"[x](javascript:alert(1)) ![x](x.png) {TAG}"
#: The workspace's file name, shown in the sidebar (once in a code span, which a
#: backtick in the name closed).
WORKSPACE_NAME = f"hostile`[x](x.png) {TAG}`.gpkg"
HOSTILE_CENTRE = f"C {PAYLOAD}"
HOSTILE_UNIT = f"U {PAYLOAD}"
UNKNOWN_MUNICIPALITY = f"LY99 {PAYLOAD}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, str]:
    """A small demo workspace with the payload in every field pages show; (path, busiest).

    ``busiest`` is the P-code of the municipality with the most voters (the Briefing's
    first slide), whose names carry the payload.
    """
    layers = build_demo(seed=7, scale=0.05)
    centres, munis = layers["centres"].copy(), layers["municipalities"].copy()
    voters = centres.groupby("municipality_pcode")["registered_voters"].sum()
    busiest = str(voters.idxmax())
    is_busiest = munis["pcode"] == busiest
    munis.loc[is_busiest, "name_en"] = f"Town {PAYLOAD}"
    munis.loc[is_busiest, "name_ar"] = f"مدينة {PAYLOAD}"
    districts = layers["districts"].copy()
    district = munis.loc[is_busiest, "district_pcode"].iloc[0]
    districts.loc[districts["pcode"] == district, "name_en"] = f"District {PAYLOAD}"

    target = str(centres.loc[centres["municipality_pcode"] == busiest, "centre_id"].iloc[0])
    renamed = {target: HOSTILE_CENTRE}
    centres["centre_id"] = centres["centre_id"].replace(renamed)
    is_target = centres["centre_id"] == HOSTILE_CENTRE
    centres.loc[is_target, "name_en"] = f"School {PAYLOAD}"
    centres.loc[is_target, "name_ar"] = f"مدرسة {PAYLOAD}"
    elsewhere = centres[centres["municipality_pcode"] != busiest]
    smallest = elsewhere["registered_voters"].idxmin()
    centres.loc[smallest, "municipality_pcode"] = UNKNOWN_MUNICIPALITY

    audits = layers["access_audits"].copy()
    audits["centre_id"] = audits["centre_id"].replace(renamed)
    audits.loc[audits["centre_id"] == HOSTILE_CENTRE, "notes"] = PAYLOAD

    units = layers["units"].copy()
    units["assigned_centre_id"] = units["assigned_centre_id"].replace(renamed)
    guard = units.index[units["unit_type"] == "static_guard"][0]
    units.loc[guard, ["unit_id", "assigned_centre_id"]] = [HOSTILE_UNIT, "gone-00000"]
    units.loc[units.index[units["unit_type"] == "patrol"][0], "agency"] = f"Agency {PAYLOAD}"

    incidents = layers["incidents"].copy()
    incidents["centre_id"] = incidents["centre_id"].replace(renamed)
    first = incidents.index[0]
    incidents.loc[first, ["incident_id", "description", "election"]] = [
        f"I {PAYLOAD}",
        PAYLOAD,
        f"Election {PAYLOAD}",
    ]
    layers |= {
        "districts": districts,
        "municipalities": munis,
        "centres": centres,
        "access_audits": audits,
        "units": units,
        "incidents": incidents,
    }
    path = tmp_path_factory.mktemp("markdown") / WORKSPACE_NAME
    GeoPackageStore(path).write_layers(
        layers, author="test", note="hostile text", info={"is_demo": "true"}
    )
    return path, busiest


@pytest.fixture
def workspace(hostile, monkeypatch) -> Path:
    monkeypatch.setenv("PSP_WORKSPACE", str(hostile[0]))
    monkeypatch.delenv("PSP_USERS", raising=False)
    return hostile[0]


@pytest.fixture
def writable(hostile, tmp_path, monkeypatch) -> Path:
    """A private copy of the hostile workspace, for tests that write to it."""
    path = tmp_path / "hostile.gpkg"
    shutil.copyfile(hostile[0], path)
    monkeypatch.setenv("PSP_WORKSPACE", str(path))
    monkeypatch.delenv("PSP_USERS", raising=False)
    return path


def open_page(page: str | None, *, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query or {})
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def quoting_payload(at: AppTest) -> list[str]:
    """The Markdown texts that show the payload to the reader."""
    return [text for text in markdown_texts(at) if PAYLOAD in shown(text)]


# -- the escape -------------------------------------------------------------------------------


def test_md_escape_puts_a_backslash_before_every_ascii_punctuation_character():
    escaped = ui.md_escape(string.punctuation).replace(WORD_JOINER, "")
    assert escaped == "".join(f"\\{c}" for c in string.punctuation)
    assert ui.md_escape("Centre 12 مدرسة") == "Centre 12 مدرسة"
    assert live_markup(ui.md_escape(PAYLOAD)) == []
    assert live_markup(PAYLOAD) == [
        "](",
        "![",
        "<img",
        "http://127.0.0.9/)",
        "http://127.0.0.9/x.png)",
    ]


def backslashed(text: str) -> str:
    """``text`` with every ASCII punctuation character escaped, and nothing else."""
    return "".join(f"\\{c}" if c in string.punctuation else c for c in text)


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("http://127.0.0.9/", "http://127.0.0.9/"),
        ("see HTTPS://host.example/x now", "HTTPS://host.example/x"),
        ("www.host.example", "www.host.example"),
        ("mail amal@host.example", "amal@host.example"),
    ],
)
def test_md_escape_breaks_autolinks_that_escapes_cannot_stop(text, link):
    # GFM finds these in the text after the escapes are resolved (Streamlit's renderer).
    assert live_markup(backslashed(text)) == [link]
    assert live_markup(ui.md_escape(text)) == []
    assert shown(ui.md_escape(text)) == text


@given(st_.text().filter(lambda text: WORD_JOINER not in text))
@example("[x](http://127.0.0.9/) www.host.example amal@host.example WWW.X")
def test_md_escape_shows_any_text_as_typed(text):
    assert shown(ui.md_escape(text)) == text
    assert live_markup(ui.md_escape(text)) == []


# -- the URL ------------------------------------------------------------------------------------


def test_map_page_shows_hostile_link_values_as_text(workspace):
    query = {
        key: PAYLOAD
        for key in ("region", "district", "municipality", "category", "measure", "colour")
    }
    query |= {"heat": PAYLOAD, "from": PAYLOAD, "centre": PAYLOAD, "lang": PAYLOAD}
    at = open_page("views/map.py", query=query)
    assert live_texts(at) == []
    warnings = [w.value for w in at.warning]
    assert sum(PAYLOAD in shown(w) for w in warnings) >= 5, warnings


# -- data on every page -----------------------------------------------------------------------


def test_home_page_shows_hostile_data_and_a_hostile_file_name_as_text(workspace):
    at = open_page(None)
    assert live_texts(at) == []
    assert any(WORKSPACE_NAME in shown(c.value) for c in at.sidebar.caption)


def test_map_details_show_a_hostile_centre_as_text(workspace):
    at = open_page("views/map.py", query={"centre": HOSTILE_CENTRE})
    assert live_texts(at) == []
    assert any(PAYLOAD in shown(s.value) for s in at.subheader)
    assert quoting_payload(at)


def test_coverage_page_shows_hostile_ids_in_its_warnings_as_text(workspace):
    at = open_page("views/coverage.py")
    assert live_texts(at) == []
    assert any(UNKNOWN_MUNICIPALITY in shown(w.value) for w in at.warning)


def test_coverage_explanation_of_a_hostile_centre_is_text(workspace):
    at = open_page("views/coverage.py")
    at.selectbox(key="coverage_centre").set_value(HOSTILE_CENTRE).run()
    assert not at.exception
    assert live_texts(at) == []


def test_reports_page_shows_a_hostile_area_name_as_text(workspace, hostile):
    at = open_page("views/reports.py")
    at.radio(key="reports_level").set_value("municipality").run()
    at.selectbox(key="reports_area").set_value(hostile[1]).run()
    assert not at.exception
    assert live_texts(at) == []
    assert any(PAYLOAD in shown(s.value) for s in at.subheader)
    at.radio(key="reports_level").set_value("district").run()
    assert live_texts(at) == []


def test_briefing_page_shows_a_hostile_area_name_as_text(workspace):
    at = open_page("views/briefing.py")
    assert live_texts(at) == []
    while not at.button(key="briefing_next").disabled:  # national → … → the municipality
        at.button(key="briefing_next").click().run()
        assert live_texts(at) == []
    assert any(PAYLOAD in shown(h.value) for h in at.header)


def test_data_page_shows_a_hostile_file_name_as_text(workspace):
    at = open_page("views/data.py")
    content = b"centre_id,name_en\n1,School\n"
    at.file_uploader(key="data_upload").set_value((f"{FILE_PAYLOAD}.csv", content, "text/csv"))
    at.run()
    assert not at.exception
    assert live_texts(at) == []
    assert any(FILE_PAYLOAD in shown(text) for text in markdown_texts(at))


def test_data_page_shows_a_hostile_record_id_as_text(writable):
    at = open_page("views/data.py")
    at.selectbox(key="data_edit_layer").set_value("incidents").run()
    at.radio(key="data_edit_action").set_value("retire").run()
    at.selectbox(key="data_edit_id").set_value(f"I {PAYLOAD}").run()
    assert not at.exception
    assert live_texts(at) == []
    at.button(key="data_edit_save").click().run()
    assert not at.exception
    assert live_texts(at) == []
    assert any(PAYLOAD in shown(s.value) for s in at.success), [s.value for s in at.success]


def test_plan_page_shows_a_hostile_scenario_name_and_note_as_text(writable):
    at = open_page("views/plan.py")
    at.button(key="FormSubmitter:plan_staff_form-Allocate officers").click().run()
    at.text_input(key="plan_scenario_name").set_value(PAYLOAD)
    at.text_input(key="plan_scenario_note").set_value(PAYLOAD)
    at.button(key="FormSubmitter:plan_save_form-Save as scenario").click().run()
    assert not at.exception
    assert live_texts(at) == []
    assert any(PAYLOAD in shown(s.value) for s in at.success)
    at.selectbox(key="plan_compare_b").set_value(PAYLOAD)
    at.button(key="plan_compare_button").click().run()
    assert not at.exception
    assert live_texts(at) == []
    assert quoting_payload(at)


def test_admin_page_shows_a_hostile_username_in_its_error_as_text(workspace, tmp_path, monkeypatch):
    # Display names allow only letters, digits, spaces, dots, hyphens and apostrophes, and
    # usernames fewer still (geo.users): what was typed comes back only in the refusal.
    users_file = tmp_path / "etc" / "users.yaml"
    users.create_first_admin(users_file, "root", name="Root", password="the first key 1", rounds=4)
    monkeypatch.setenv("PSP_USERS", str(users_file))
    monkeypatch.setenv("PSP_COOKIE_KEY", "k" * 40)
    at = AppTest.from_file(APP, default_timeout=120)
    signed_in = pd.Timestamp.now(tz="UTC").to_pydatetime()
    for key in ("auth_signed_in_at", "auth_last_active"):
        at.session_state[key] = signed_in
    at.session_state["auth_user"] = "root"
    at.run()
    at.switch_page("views/admin.py").run()
    assert at.session_state["viewer"] == Viewer("root", "admin")
    at.text_input(key="admin_add_username").input(PAYLOAD)
    at.text_input(key="admin_add_name").input(PAYLOAD)
    at.text_input(key="admin_add_password").input("a long password 1")
    at.text_input(key="admin_add_again").input("a long password 1")
    at.button(key="admin_add_submit").click().run()
    assert not at.exception
    assert live_texts(at) == []
    assert any(PAYLOAD in shown(e.value) for e in at.error), [e.value for e in at.error]
