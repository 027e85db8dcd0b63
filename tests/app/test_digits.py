"""The choice of digits on Arabic pages: shown in the figures, remembered per user."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import users
from geo.coverage import CoverageParams, summarise_coverage
from geo.errors import StoreError
from geo.i18n import translate
from geo.permissions import Viewer

APP = str(Path(__file__).resolve().parents[2] / "app.py")
INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
T0 = datetime(2025, 5, 16, 9, 0, tzinfo=UTC)
ROOT = Viewer("root", "admin")


def indic(n: int) -> str:
    """``n`` in Arabic-Indic digits with the Arabic thousands separator, worked by hand."""
    return f"{n:,}".replace(",", "\u066c").translate(INDIC)


def libyan(n: int) -> str:
    """``n`` in Western digits as Libyan publications group them: 12,345."""
    return f"{n:,}"


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def home(demo_workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("PSP_WORKSPACE", str(demo_workspace))
    monkeypatch.delenv("PSP_USERS", raising=False)
    return AppTest.from_file(APP, default_timeout=90)


def test_arabic_indic_digits_on_the_home_page(home, demo_layers):
    centres = len(demo_layers["centres"])
    voters = int(demo_layers["centres"]["registered_voters"].sum())
    at = home.run()
    assert at.sidebar.radio(key="ui_lang").value == "en"
    # English: the choice is not offered and figures keep 0-9 with commas.
    assert not [r for r in at.sidebar.radio if r.key == "ui_digits"]
    assert metric(at, "Polling centres") == f"{centres:,}"
    at.sidebar.radio(key="ui_lang").set_value("ar").run()
    assert metric(at, "مراكز الاقتراع") == libyan(centres)
    at.sidebar.radio(key="ui_digits").set_value("arab").run()
    assert not at.exception
    assert metric(at, "مراكز الاقتراع") == indic(centres)
    assert metric(at, "الناخبون المسجلون") == indic(voters)
    assert metric(at, "الناخبون في مراكز ميسّرة الوصول").endswith("٪")
    assert at.query_params["digits"] == "arab"
    # Back to English: 0-9 again, whatever the Arabic choice.
    at.sidebar.radio(key="ui_lang").set_value("en").run()
    assert metric(at, "Polling centres") == f"{centres:,}"


def test_the_url_chooses_the_digits_in_single_user_mode(home, demo_layers):
    home.query_params["lang"] = "ar"
    home.query_params["digits"] = "arab"
    at = home.run()
    assert metric(at, "مراكز الاقتراع") == indic(len(demo_layers["centres"]))


def test_coverage_metrics_follow_the_digits(home, demo_workspace):
    # The page's one analysis of the workspace (on its roads).
    from geo.reports import analyse_workspace
    from geo.workspace import open_workspace

    result = analyse_workspace(open_workspace(demo_workspace), params=CoverageParams())
    summary = summarise_coverage(result)
    home.query_params["lang"] = "ar"
    home.query_params["digits"] = "arab"
    at = home.run().switch_page("views/coverage.py").run()
    assert not at.exception
    assert metric(at, translate("Centres with a gap", "ar")) == indic(summary.centres_gap)
    assert metric(at, translate("Voters in centres with a gap", "ar")) == indic(summary.voters_gap)


@pytest.fixture
def team(demo_workspace, tmp_path, monkeypatch) -> Path:
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    path = tmp_path / "etc" / "users.yaml"
    users.create_first_admin(path, "root", name="Root", password="admin passphrase 1", rounds=4)
    for name in ("amal", "pat"):
        users.add_user(path, name, name=name.title(), role="briefer",
                       password="briefing slides 2025", by=ROOT, rounds=4)  # fmt: skip
    monkeypatch.setenv("PSP_WORKSPACE", str(workspace))
    monkeypatch.setenv("PSP_USERS", str(path))
    monkeypatch.setenv("PSP_COOKIE_KEY", "k" * 40)
    monkeypatch.setenv("PSP_LOGIN_FAILURE_DELAY_S", "0")
    return path


def signed_in_as(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["auth_user"] = username
    at.session_state["auth_signed_in_at"] = datetime.now(UTC)
    at.session_state["auth_last_active"] = datetime.now(UTC)
    at.query_params["lang"] = "ar"
    return at


def test_a_users_choice_is_kept_in_the_users_file_for_her_next_session(team, demo_layers):
    centres = len(demo_layers["centres"])
    at = signed_in_as("amal").run()
    assert not at.exception
    assert metric(at, "مراكز الاقتراع") == libyan(centres)
    at.sidebar.radio(key="ui_digits").set_value("arab").run()
    assert users.get_user(team, "amal").digits == "arab"
    # A new session, without the URL's choice: her digits come from the file.
    again = signed_in_as("amal").run()
    assert again.sidebar.radio(key="ui_digits").value == "arab"
    assert metric(again, "مراكز الاقتراع") == indic(centres)
    # Another user keeps the Western digits.
    other = signed_in_as("pat").run()
    assert metric(other, "مراكز الاقتراع") == libyan(centres)
    assert users.get_user(team, "pat").digits == "latn"


def test_a_users_file_that_cannot_be_written_keeps_the_choice_for_the_session(
    team, demo_layers, monkeypatch
):
    def refuse(*args, **kwargs):
        raise StoreError(f"{team} is read-only")

    monkeypatch.setattr(users, "set_digits", refuse)
    at = signed_in_as("amal").run()
    at.sidebar.radio(key="ui_digits").set_value("arab").run()
    assert not at.exception
    assert metric(at, "مراكز الاقتراع") == indic(len(demo_layers["centres"]))
    assert any("لهذه الجلسة فقط" in w.value for w in at.sidebar.warning)
    assert users.get_user(team, "amal").digits == "latn"


@pytest.mark.parametrize(
    "script",
    ["views/map.py", "views/coverage.py", "views/plan.py", "views/reports.py",
     "views/briefing.py", "views/data.py", "views/admin.py"],
)  # fmt: skip
def test_every_page_runs_in_arabic_with_arabic_indic_digits(home, script):
    home.query_params["lang"] = "ar"
    home.query_params["digits"] = "arab"
    at = home.run().switch_page(script).run()
    assert not at.exception, script
    assert at.sidebar.radio(key="ui_digits").value == "arab"
