"""AppTest of the Admin page: the audit log (filter, export) and user management."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from geo import users
from geo.audit import read_log, record
from geo.errors import StoreError
from geo.permissions import Viewer
from geo.store import GeoPackageStore

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
PAGE = "views/admin.py"
ROOT = Viewer("root", "admin")
FAST = 4
T0 = datetime(2025, 5, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
def workspace(demo_workspace, tmp_path) -> Path:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_workspace, path)
    record(path, actor="amal", action="login", now=T0)
    record(path, actor="omar", action="export", target="=cmd|' /C calc'!A0", rows=3, now=T0)
    return path


@pytest.fixture
def users_file(tmp_path) -> Path:
    path = tmp_path / "etc" / "users.yaml"
    users.create_first_admin(path, "root", name="Root", password="the first key 1", rounds=FAST)
    users.add_user(
        path, "vic", name="Vic", role="viewer", password="looking only 44", by=ROOT, rounds=FAST
    )
    return path


@pytest.fixture
def producers(monkeypatch) -> dict[str, object]:
    """File name → the producer Streamlit calls when the browser asks for the file."""
    found: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return found


def open_admin(monkeypatch, workspace: Path, users_file: Path | None, as_user: str = "root"):
    monkeypatch.setenv("PSP_WORKSPACE", str(workspace))
    monkeypatch.setenv("PSP_LOGIN_FAILURE_DELAY_S", "0")
    if users_file is None:
        monkeypatch.delenv("PSP_USERS", raising=False)
    else:
        monkeypatch.setenv("PSP_USERS", str(users_file))
        monkeypatch.setenv("PSP_COOKIE_KEY", "k" * 40)
    at = AppTest.from_file(APP, default_timeout=120)
    if users_file is not None:
        at.session_state["auth_user"] = as_user
        at.session_state["auth_signed_in_at"] = datetime.now(UTC)
        at.session_state["auth_last_active"] = datetime.now(UTC)
    at.run()
    return at.switch_page(PAGE).run()


def messages(at: AppTest) -> list[str]:
    return [str(e.value) for e in (*at.error, *at.info, *at.warning, *at.success)]


def log_table(at: AppTest):
    # Shown with headings and actions in the page's language (ui.table).
    return next(d.value for d in at.dataframe if "Action" in d.value.columns)


# -- the audit log -------------------------------------------------------------------------------


def test_the_log_is_shown_newest_first(monkeypatch, workspace):
    at = open_admin(monkeypatch, workspace, None)
    assert not at.exception
    assert list(log_table(at)["Who"])[:2] == ["omar", "amal"]


def test_the_log_filters_by_actor_target_and_action(monkeypatch, workspace):
    at = open_admin(monkeypatch, workspace, None)
    at.text_input(key="admin_log_actor").input("amal").run()
    assert list(log_table(at)["Who"]) == ["amal"]
    at.text_input(key="admin_log_actor").input("").run()
    at.multiselect(key="admin_log_actions").select("export").run()
    assert list(log_table(at)["Action"]) == ["Export"]
    at.text_input(key="admin_log_target").input("nothing of the kind").run()
    assert log_table(at).empty


def test_the_export_records_the_filters_used(monkeypatch, workspace, producers):
    at = open_admin(monkeypatch, workspace, None)
    at.multiselect(key="admin_log_actions").select("login").run()
    assert at.download_button(key="admin_log_csv").proto.ignore_rerun  # made on click
    producers["audit_log.csv"]()
    last = read_log(workspace, viewer=ROOT, action="export").iloc[-1]
    assert '"action": "login"' in last["details"]
    assert last["rows"] == 1


def test_the_export_is_formula_safe_and_is_itself_audited(monkeypatch, workspace, producers):
    open_admin(monkeypatch, workspace, None)
    assert len(read_log(workspace, viewer=ROOT, action="export")) == 1  # omar's, not ours yet
    exported = producers["audit_log.csv"]()
    assert b"'=cmd|" in exported
    assert b",=cmd|" not in exported
    log = read_log(workspace, viewer=ROOT, action="export")
    last = log.iloc[-1]
    assert (last["actor"], last["target"], last["rows"]) == ("local admin", "audit_log.csv", 2)


def test_an_export_whose_entry_cannot_be_written_gives_no_file(monkeypatch, workspace, producers):
    open_admin(monkeypatch, workspace, None)
    lock = GeoPackageStore(workspace).lock_path
    lock.unlink(missing_ok=True)
    lock.mkdir()  # the log cannot be written: the lock file's name is taken by a folder
    with pytest.raises(StoreError, match="cannot open the lock file"):
        producers["audit_log.csv"]()


def test_the_log_says_it_is_append_only(monkeypatch, workspace):
    at = open_admin(monkeypatch, workspace, None)
    assert any("append-only" in c.value for c in at.caption)


@pytest.mark.parametrize("role", ["planner", "analyst", "briefer", "viewer"])
def test_other_roles_see_neither_log_nor_users(monkeypatch, workspace, users_file, role):
    users.set_role(users_file, "vic", role, by=ROOT)
    at = open_admin(monkeypatch, workspace, users_file, as_user="vic")
    assert not at.exception
    assert any("Only administrators" in m for m in messages(at))
    assert not at.dataframe
    assert "admin_log_actor" not in {w.key for w in at.text_input}


# -- users ---------------------------------------------------------------------------------------


def test_single_user_mode_explains_how_to_create_accounts(monkeypatch, workspace):
    at = open_admin(monkeypatch, workspace, None)
    assert any("Single-user mode: there are no accounts" in m for m in messages(at))
    assert any("create-admin" in c.value for c in at.code)


def test_users_are_listed_without_hashes(monkeypatch, workspace, users_file):
    at = open_admin(monkeypatch, workspace, users_file)
    table = next(d.value for d in at.dataframe if "Username" in d.value.columns)
    assert list(table["Username"]) == ["root", "vic"]
    assert not [c for c in table.columns if "password" in c.lower() or "hash" in c.lower()]
    assert not table.astype(str).apply(lambda col: col.str.startswith("$2")).any().any()


def add_user(at: AppTest, username: str, password: str, again: str, role: str = "briefer"):
    at.text_input(key="admin_add_username").input(username)
    at.text_input(key="admin_add_name").input("Amal Ben Ali")
    at.selectbox(key="admin_add_role").select(role)
    at.text_input(key="admin_add_password").input(password)
    at.text_input(key="admin_add_again").input(again)
    return at.button(key="admin_add_submit").click().run()


def test_an_admin_adds_a_user_and_the_change_is_audited(monkeypatch, workspace, users_file):
    at = open_admin(monkeypatch, workspace, users_file)
    at = add_user(at, "amal", "briefing slides 2025", "briefing slides 2025")
    assert not at.exception
    assert any("Done" in m and "amal" in m for m in messages(at))
    assert users.get_user(users_file, "amal").role == "briefer"
    entry = read_log(workspace, viewer=ROOT, action="user_add").iloc[-1]
    assert (entry["actor"], entry["target"]) == ("root", "amal")
    assert "briefing slides" not in entry["details"]


def test_differing_passwords_add_nobody(monkeypatch, workspace, users_file):
    at = open_admin(monkeypatch, workspace, users_file)
    at = add_user(at, "amal", "briefing slides 2025", "briefing slides 2024")
    assert "The two passwords differ; type them again." in messages(at)
    assert users.get_user(users_file, "amal") is None


def test_a_weak_password_is_refused_with_the_reason(monkeypatch, workspace, users_file):
    at = open_admin(monkeypatch, workspace, users_file)
    at = add_user(at, "amal", "short", "short")
    assert any("use at least 10" in m for m in messages(at))


def change(at: AppTest, username: str, action: str, **fields):
    at.selectbox(key="admin_change_user").select(username)
    at.selectbox(key="admin_change_action").select(action)
    if "role" in fields:
        at.selectbox(key="admin_change_role").select(fields["role"])
    if "password" in fields:
        at.text_input(key="admin_change_password").input(fields["password"])
        at.text_input(key="admin_change_again").input(fields["password"])
    return at.button(key="admin_change_submit").click().run()


def test_password_fields_are_empty_after_a_change(monkeypatch, workspace, users_file):
    at = open_admin(monkeypatch, workspace, users_file)
    at = change(at, "vic", "reset_password", password="a new passphrase")
    assert at.text_input(key="admin_change_password").value == ""
    assert at.text_input(key="admin_add_password").value == ""


def test_an_admin_disables_resets_and_changes_roles(monkeypatch, workspace, users_file):
    at = open_admin(monkeypatch, workspace, users_file)
    at = change(at, "vic", "disable")
    assert users.get_user(users_file, "vic").disabled
    at = change(at, "vic", "enable")
    at = change(at, "vic", "set_role", role="planner")
    at = change(at, "vic", "reset_password", password="a new passphrase")
    assert not at.exception
    vic = users.get_user(users_file, "vic")
    assert (vic.disabled, vic.role) == (False, "planner")
    assert users.authenticate(users_file, "vic", "a new passphrase").ok
    actions = list(read_log(workspace, viewer=ROOT, actor="root")["action"])
    assert actions[-4:] == ["user_disable", "user_enable", "user_set_role", "user_reset_password"]


def test_the_last_admin_cannot_disable_themselves(monkeypatch, workspace, users_file):
    at = open_admin(monkeypatch, workspace, users_file)
    at = change(at, "root", "disable")
    assert any("only enabled administrator" in m for m in messages(at))
    assert not users.get_user(users_file, "root").disabled
