"""The router: translated menu titles, each role's pages, and refusal of the others by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.permissions import ROLES, Viewer

APP = str(Path(__file__).resolve().parents[2] / "app.py")
#: Each page's URL path ("" is the home page) and file, by hand.
FILES = {
    "": "views/home.py",
    "Map": "views/map.py",
    "Coverage": "views/coverage.py",
    "Plan": "views/plan.py",
    "Data": "views/data.py",
    "Reports": "views/reports.py",
    "Briefing": "views/briefing.py",
    "Operations": "views/operations.py",
    "Admin": "views/admin.py",
}
ENGLISH = ["Home", "Map", "Coverage", "Plan", "Data", "Reports", "Briefing", "Operations",
           "Administration"]  # fmt: skip
ARABIC = ["الرئيسية", "الخريطة", "التغطية", "التخطيط", "البيانات", "التقارير", "الإحاطة",
          "غرفة العمليات", "الإدارة"]  # fmt: skip
#: The pages each role may open, listed by hand from the permission matrix of
#: geo/permissions.py: home, Map and Coverage for everyone signed in; Plan needs ``plan``
#: (admin, planner); Data needs ``import_data`` or ``import_centres`` (admin, planner,
#: analyst); Reports needs ``export_coverage`` and Briefing ``see_briefing`` (all but the
#: viewer); Operations needs ``see_operations`` (admin, planner, operator, liaison); Admin
#: needs ``manage_users`` or ``read_audit_log`` (admin).
ALLOWED = {
    "admin": {"", "Map", "Coverage", "Plan", "Data", "Reports", "Briefing", "Operations", "Admin"},
    "planner": {"", "Map", "Coverage", "Plan", "Data", "Reports", "Briefing", "Operations"},
    "operator": {"", "Map", "Coverage", "Operations"},
    "analyst": {"", "Map", "Coverage", "Data", "Reports", "Briefing"},
    "liaison": {"", "Map", "Coverage", "Operations"},
    "briefer": {"", "Map", "Coverage", "Reports", "Briefing"},
    "viewer": {"", "Map", "Coverage"},
}
REFUSALS = {
    "Plan": "Planning needs the 'plan' permission",
    "Data": "Your role may not change data",
    "Reports": "Your role may not export reports",
    "Briefing": "Your role may not see the briefing",
    "Operations": "The operations room is open to operators, liaisons",
    "Admin": "Only administrators may open this page",
}


@pytest.fixture
def app(demo_workspace, monkeypatch):
    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    monkeypatch.delenv("PSP_USERS", raising=False)

    def make(role: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        if role is not None:
            at.session_state["viewer"] = Viewer(f"a {role}", role)  # type: ignore[arg-type]
        return at

    return make


def visible(pages) -> list[str]:
    return [p.page_name for p in pages if not p.is_hidden]


def test_the_menu_is_in_english_with_the_home_page_called_home(app, menu):
    at = app().run()
    assert not at.exception
    pages = menu(at)
    assert visible(pages) == ENGLISH
    assert [p.url_pathname for p in pages] == list(FILES)
    home = next(p for p in pages if p.is_default)
    assert (home.page_name, home.url_pathname) == ("Home", "")
    assert all(p.icon.startswith(":material/") for p in pages)
    links = {link.proto.page: link.proto.label for link in at.get("page_link")}
    assert links == dict(zip(list(FILES)[1:], ENGLISH[1:], strict=True))


def test_the_menu_and_the_home_links_are_in_arabic_when_the_language_is(app, menu):
    at = app().run()
    at.sidebar.radio(key="ui_lang").set_value("ar").run()
    assert not at.exception
    assert visible(menu(at)) == ARABIC
    labels = {link.proto.page: link.proto.label for link in at.get("page_link")}
    assert labels == dict(zip(list(FILES)[1:], ARABIC[1:], strict=True))
    # The words under each link are Arabic too (no English summary left).
    summaries = [c.value for c in at.caption][: len(labels)]
    assert all(not any("a" <= ch.lower() <= "z" for ch in s) for s in summaries), summaries


def test_arabic_from_the_address_names_the_menu_in_arabic_on_the_first_run(app, menu):
    at = app()
    at.query_params["lang"] = "ar"
    at.run()
    assert visible(menu(at)) == ARABIC


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_offered_exactly_the_pages_it_may_open(app, menu, role):
    at = app(role).run()
    assert not at.exception
    pages = menu(at)
    offered = {p.url_pathname for p in pages if not p.is_hidden}
    assert offered == ALLOWED[role]
    linked = {link.proto.page for link in at.get("page_link")}
    assert linked == ALLOWED[role] - {""}


FORBIDDEN = [(role, url) for role in ROLES for url in FILES if url not in ALLOWED[role]]


@pytest.mark.parametrize(("role", "url"), FORBIDDEN)
def test_a_forbidden_page_opened_by_its_url_is_refused_and_shows_nothing(app, role, url):
    at = app(role).run()
    at.switch_page(FILES[url]).run()
    assert not at.exception
    assert len(at.info) == 1
    assert REFUSALS[url] in at.info[0].value
    # The title and the refusal, nothing else: no banner, figure, table, tab or widget.
    assert len(at.main.children) == 2, [type(c).__name__ for c in at.main.children.values()]
    for kind in ("warning", "metric", "dataframe", "tabs", "button", "download_button"):
        assert not at.get(kind), kind


@pytest.mark.parametrize("url", [u for u in FILES if u])
def test_an_allowed_page_opened_by_its_url_runs(app, url):
    at = app("admin").run()
    at.switch_page(FILES[url]).run()
    assert not at.exception
    assert not any("may not" in i.value or "Only administrators" in i.value for i in at.info)
    assert "DEMO — synthetic data" in at.warning[0].value
