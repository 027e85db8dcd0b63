"""Tests of geo/users.py: the users file, sign-in, lockout, revocation, management rights."""

from __future__ import annotations

import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from geo import users
from geo.errors import AccessDeniedError, InputError
from geo.permissions import Viewer
from geo.users import (
    LoginPolicy,
    add_user,
    authenticate,
    create_first_admin,
    end_sessions,
    read_users,
    reset_password,
    session_end_reason,
    set_disabled,
    set_role,
    unlock,
)

T0 = datetime(2025, 5, 16, 9, 30, tzinfo=UTC)
ROOT = Viewer("root", "admin")
FAST = 4  # bcrypt rounds for tests
NO_DELAY = LoginPolicy(failure_delay_s=0)
ADMIN_PW = "admin passphrase 1"
AMAL_PW = "briefing slides 2025"


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "private" / "users.yaml"
    create_first_admin(path, "root", name="Root Admin", password=ADMIN_PW, now=T0, rounds=FAST)
    add_user(
        path, "Amal", name="Amal Ben Ali", role="briefer", password=AMAL_PW, by=ROOT, rounds=FAST
    )
    return path


def attempt(path, password, *, at=T0, username="amal", policy=NO_DELAY):
    return authenticate(path, username, password, policy=policy, now=at)


# -- the file ---------------------------------------------------------------------------


def test_the_file_uses_streamlit_authenticator_credentials_with_our_fields(users_file):
    document = yaml.safe_load(users_file.read_text())
    entry = document["credentials"]["usernames"]["amal"]
    assert entry["name"] == "Amal Ben Ali"
    assert entry["password"].startswith("$2b$04$")
    assert entry["role"] == "briefer"
    assert entry["disabled"] is False
    assert entry["failed_login_attempts"] == 0
    assert entry["locked_until"] is None


def test_the_file_and_its_folder_are_private(users_file):
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(users_file.parent.stat().st_mode) == 0o700


def test_no_password_is_stored_only_its_hash(users_file):
    text = users_file.read_text()
    assert AMAL_PW not in text
    assert ADMIN_PW not in text


def test_usernames_are_normalised_and_the_record_hides_its_hash(users_file):
    record = read_users(users_file)["amal"]
    assert record.viewer == Viewer("amal", "briefer")
    assert "$2b$" not in repr(record)


def test_the_first_admin_can_only_be_created_on_an_empty_file(users_file):
    with pytest.raises(InputError, match="already has users"):
        create_first_admin(users_file, "other", name="Other", password=ADMIN_PW, rounds=FAST)


def test_a_missing_file_has_no_users(tmp_path):
    assert read_users(tmp_path / "none.yaml") == {}
    assert not users.has_users(tmp_path / "none.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("credentials: [1, 2]", "'credentials' must be a mapping"),
        ("credentials:\n  usernames:\n    a:\n      password: plain\n      role: admin", "bcrypt"),
        ("credentials:\n  usernames:\n    a:\n      password: $2b$x\n      role: boss", "boss"),
        (
            "credentials:\n  usernames:\n    a:\n      password: $2b$x\n      role: admin\n"
            "      disabled: maybe",
            "'disabled' must be true or false",
        ),
        (
            "credentials:\n  usernames:\n    A:\n      password: $2b$x\n      role: admin\n"
            "    a:\n      password: $2b$x\n      role: admin",
            "appears twice",
        ),
        ("credentials: {usernames: {a: {", "cannot read the users file"),
    ],
)
def test_a_broken_file_names_the_file_user_and_field(tmp_path, text, message):
    path = tmp_path / "users.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_users(path)
    assert str(path) in str(err.value)


def test_unknown_fields_of_the_file_are_kept_on_rewrite(users_file):
    document = yaml.safe_load(users_file.read_text())
    document["cookie"] = {"name": "kept"}
    document["credentials"]["usernames"]["amal"]["email"] = "amal@example.org"
    users_file.write_text(yaml.safe_dump(document))
    unlock(users_file, "amal", by=ROOT)
    document = yaml.safe_load(users_file.read_text())
    assert document["cookie"] == {"name": "kept"}
    assert document["credentials"]["usernames"]["amal"]["email"] == "amal@example.org"


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "x' OR '1'='1", "amal ben", "-dash", "ü" * 3, "a" * 65])
def test_bad_usernames_are_refused(users_file, name):
    with pytest.raises(InputError, match="is not allowed"):
        add_user(users_file, name, name="N", role="viewer", password=AMAL_PW, by=ROOT, rounds=FAST)


@pytest.mark.parametrize("name", ["![x](http://host/t.png)", "<b>Amal</b>", "a\x07b", ""])
def test_display_names_that_markdown_or_html_would_interpret_are_refused(users_file, name):
    with pytest.raises(InputError, match="display name"):
        add_user(users_file, "newbie", name=name, role="viewer", password=AMAL_PW, by=ROOT)


def test_arabic_display_names_are_welcome(users_file):
    add_user(
        users_file,
        "salma",
        name="سلمى القذافي",
        role="viewer",
        password=AMAL_PW,
        by=ROOT,
        rounds=FAST,
    )
    assert read_users(users_file)["salma"].name == "سلمى القذافي"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "has 6 characters; use at least 10"),
        ("x" * 12, "repeats one character"),
        ("my-name-is-omar", "contains the username"),
        ("ب" * 20 + "ab" * 20, "longer than 72 bytes"),
    ],
)
def test_weak_passwords_are_refused_without_echoing_them(users_file, password, message):
    with pytest.raises(InputError, match=message) as err:
        add_user(users_file, "omar", name="Omar", role="viewer", password=password, by=ROOT)
    assert password not in str(err.value)


def test_a_taken_username_is_refused(users_file):
    with pytest.raises(InputError, match="'amal' is taken"):
        add_user(users_file, "AMAL", name="A", role="viewer", password=AMAL_PW, by=ROOT)


def test_unknown_role_lists_the_valid_ones(users_file):
    with pytest.raises(
        InputError, match="use one of admin, planner, operator, analyst, liaison, briefer, viewer"
    ):
        add_user(users_file, "omar", name="Omar", role="boss", password=AMAL_PW, by=ROOT)


# -- signing in ----------------------------------------------------------------------------


def test_the_right_password_signs_in(users_file):
    result = attempt(users_file, AMAL_PW, username="  Amal ")
    assert result.ok
    assert result.user.viewer == Viewer("amal", "briefer")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(users_file):
    wrong = attempt(users_file, "not the password")
    unknown = attempt(users_file, AMAL_PW, username="nobody")
    assert (wrong.outcome, unknown.outcome) == ("bad_password", "unknown_user")
    assert wrong.message == unknown.message == "Username or password is incorrect."
    assert unknown.username == ""


def test_failures_are_counted_in_the_file(users_file):
    attempt(users_file, "wrong password 1")
    attempt(users_file, "wrong password 2")
    assert read_users(users_file)["amal"].failed_login_attempts == 2


def test_five_failures_lock_the_account_for_fifteen_minutes(users_file):
    results = [attempt(users_file, f"wrong {i}", at=T0 + timedelta(seconds=i)) for i in range(5)]
    assert [r.outcome for r in results] == ["bad_password"] * 4 + ["locked"]
    assert results[-1].newly_locked
    until = T0 + timedelta(seconds=4, minutes=15)
    assert read_users(users_file)["amal"].locked_until == until
    assert "locked until" in results[-1].message


def test_a_locked_account_refuses_even_the_right_password(users_file):
    for i in range(5):
        attempt(users_file, f"wrong {i}")
    result = attempt(users_file, AMAL_PW, at=T0 + timedelta(minutes=14))
    assert result.outcome == "locked"
    assert not result.ok


def test_the_lock_expires_and_a_success_clears_the_counter(users_file):
    for i in range(5):
        attempt(users_file, f"wrong {i}")
    attempt(users_file, "wrong again", at=T0 + timedelta(minutes=16))
    result = attempt(users_file, AMAL_PW, at=T0 + timedelta(minutes=16))
    assert result.ok
    record = read_users(users_file)["amal"]
    assert (record.failed_login_attempts, record.locked_until) == (0, None)


def test_lockout_threshold_and_duration_are_configurable(users_file):
    policy = LoginPolicy(max_failed_attempts=2, lockout_minutes=1, failure_delay_s=0)
    attempt(users_file, "wrong 1", policy=policy)
    assert attempt(users_file, "wrong 2", policy=policy).outcome == "locked"
    assert attempt(users_file, AMAL_PW, policy=policy, at=T0 + timedelta(seconds=61)).ok


def test_failures_are_slowed_more_and_more():
    policy = LoginPolicy(failure_delay_s=0.5, max_failure_delay_s=3)
    assert [policy.failure_delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert LoginPolicy(failure_delay_s=0).failure_delay(4) == 0


def test_the_delay_of_a_failure_is_reported(users_file):
    result = attempt(users_file, "wrong", policy=LoginPolicy(failure_delay_s=0.25))
    assert result.delay_s == 0.25


def test_parallel_failures_are_all_counted(users_file):
    policy = LoginPolicy(max_failed_attempts=50, failure_delay_s=0)
    threads = [
        threading.Thread(target=attempt, args=(users_file, f"wrong {i}"), kwargs={"policy": policy})
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert read_users(users_file)["amal"].failed_login_attempts == 8


def test_a_disabled_user_is_refused_with_the_right_password(users_file):
    set_disabled(users_file, "amal", True, by=ROOT)
    result = attempt(users_file, AMAL_PW)
    assert result.outcome == "disabled"
    assert "disabled" in result.message


def test_an_overlong_password_fails_quietly(users_file):
    assert attempt(users_file, "x" * 100).outcome == "bad_password"


def test_failed_sign_in_logs_name_the_user_never_the_password(users_file, caplog):
    caplog.set_level("DEBUG")
    attempt(users_file, "Tr0ub4dor&3 secret")
    attempt(users_file, "typed into the wrong box", username="typed into the wrong box")
    assert "amal" in caplog.text
    assert "Tr0ub4dor" not in caplog.text
    assert "wrong box" not in caplog.text


def test_the_idle_timeout_is_thirty_minutes_by_default():
    policy = LoginPolicy()
    assert not policy.is_idle(T0, T0 + timedelta(minutes=30))
    assert policy.is_idle(T0, T0 + timedelta(minutes=30, seconds=1))
    assert LoginPolicy(session_timeout_minutes=5).is_idle(T0, T0 + timedelta(minutes=6))


def test_bad_policies_are_refused():
    with pytest.raises(InputError, match="max_failed_attempts must be at least 1"):
        LoginPolicy(max_failed_attempts=0)
    with pytest.raises(InputError, match="session_timeout_minutes must be positive"):
        LoginPolicy(session_timeout_minutes=0)


# -- sessions --------------------------------------------------------------------------------


def test_a_session_goes_on_while_the_account_is_unchanged(users_file):
    assert session_end_reason(read_users(users_file)["amal"], signed_in_at=T0) is None


def test_logout_everywhere_ends_sessions_begun_before_it(users_file):
    end_sessions(users_file, "amal", by=Viewer("amal", "briefer"), now=T0 + timedelta(hours=1))
    record = read_users(users_file)["amal"]
    assert session_end_reason(record, signed_in_at=T0) == "revoked"
    assert session_end_reason(record, signed_in_at=T0 + timedelta(hours=2)) is None


def test_only_admins_end_other_peoples_sessions(users_file):
    with pytest.raises(AccessDeniedError):
        end_sessions(users_file, "root", by=Viewer("amal", "briefer"))


def test_disabling_and_removing_end_sessions(users_file):
    set_disabled(users_file, "amal", True, by=ROOT, now=T0)
    assert session_end_reason(read_users(users_file)["amal"], signed_in_at=T0) == "disabled"
    assert session_end_reason(None, signed_in_at=T0) == "unknown_user"


def test_a_password_reset_unlocks_and_ends_sessions(users_file):
    for i in range(5):
        attempt(users_file, f"wrong {i}")
    reset_password(
        users_file,
        "amal",
        "a brand new passphrase",
        by=ROOT,
        now=T0 + timedelta(minutes=1),
        rounds=FAST,
    )
    record = read_users(users_file)["amal"]
    assert record.locked_until is None
    assert session_end_reason(record, signed_in_at=T0) == "revoked"
    assert attempt(users_file, "a brand new passphrase", at=T0 + timedelta(minutes=2)).ok
    assert attempt(users_file, AMAL_PW, at=T0 + timedelta(minutes=2)).outcome == "bad_password"


# -- managing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["planner", "analyst", "briefer", "viewer"])
def test_only_roles_with_manage_users_change_users(users_file, role):
    someone = Viewer("x", role)
    with pytest.raises(AccessDeniedError, match="may not manage users"):
        add_user(users_file, "omar", name="Omar", role="admin", password=AMAL_PW, by=someone)
    with pytest.raises(AccessDeniedError):
        set_role(users_file, "amal", "admin", by=someone)
    with pytest.raises(AccessDeniedError):
        users.list_users(users_file, by=someone)


def test_roles_change_and_accounts_are_enabled_again(users_file):
    set_role(users_file, "amal", "planner", by=ROOT)
    set_disabled(users_file, "amal", True, by=ROOT)
    set_disabled(users_file, "amal", False, by=ROOT)
    record = read_users(users_file)["amal"]
    assert (record.role, record.disabled) == ("planner", False)


def test_the_last_enabled_admin_cannot_be_disabled_or_demoted(users_file):
    with pytest.raises(InputError, match="only enabled administrator"):
        set_disabled(users_file, "root", True, by=ROOT)
    with pytest.raises(InputError, match="only enabled administrator"):
        set_role(users_file, "root", "viewer", by=ROOT)
    set_role(users_file, "amal", "admin", by=ROOT)
    set_role(users_file, "root", "viewer", by=ROOT)


def test_changing_a_missing_user_says_how_to_list_them(users_file):
    with pytest.raises(InputError, match="no user 'ghost'.*users --file PATH list"):
        unlock(users_file, "ghost", by=ROOT)


def test_list_users_has_no_password_hashes(users_file):
    table = users.list_users(users_file, by=ROOT)
    assert list(table.columns) == list(users.USER_COLUMNS)
    assert list(table["username"]) == ["root", "amal"]
    assert not table.astype(str).apply(lambda c: c.str.contains(r"\$2b\$")).any().any()


def test_authenticator_credentials_leave_disabled_users_out(users_file):
    set_disabled(users_file, "amal", True, by=ROOT)
    credentials = users.credentials_for_authenticator(read_users(users_file))
    assert list(credentials["usernames"]) == ["root"]
    assert credentials["usernames"]["root"]["roles"] == ["admin"]


# -- the cookie key ------------------------------------------------------------------------------


def test_the_cookie_key_is_generated_once_beside_the_users_file(users_file):
    key = users.ensure_cookie_key(users_file)
    assert len(key) >= users.MIN_COOKIE_KEY_CHARS
    assert users.ensure_cookie_key(users_file) == key
    key_path = users.cookie_key_path(users_file)
    assert key_path.parent == users_file.parent
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_a_short_cookie_key_is_refused(users_file):
    users.cookie_key_path(users_file).write_text("short")
    with pytest.raises(InputError, match="has 5 characters; use at least 32"):
        users.ensure_cookie_key(users_file)


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli_workspace(tmp_path):
    from geo.store import GeoPackageStore
    from tests.geo.builders import centres

    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_layer("centres", centres({"centre_id": "00001"}), author="t")
    return path


def run_cli(monkeypatch, *argv, stdin=""):
    import io

    from geo.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["users", *argv])


def test_cli_creates_the_first_admin_from_stdin_and_records_it(
    tmp_path, cli_workspace, monkeypatch, capsys
):
    from geo.audit import read_log

    path = tmp_path / "etc" / "users.yaml"
    code = run_cli(
        monkeypatch,
        "--file",
        str(path),
        "--workspace",
        str(cli_workspace),
        "create-admin",
        "root",
        "--name",
        "Root Admin",
        "--password-stdin",
        stdin=ADMIN_PW + "\n",
    )
    assert code == 0
    assert "Administrator 'root' created" in capsys.readouterr().out
    assert authenticate(path, "root", ADMIN_PW, policy=NO_DELAY).ok
    log = read_log(cli_workspace, viewer=ROOT)
    assert list(log["action"]) == ["user_create_admin"]
    assert log["actor"].iloc[0].startswith("cli:")


def test_cli_adds_disables_resets_and_lists_users(users_file, cli_workspace, monkeypatch, capsys):
    from geo.audit import read_log

    common = ("--file", str(users_file), "--workspace", str(cli_workspace))
    assert (
        run_cli(
            monkeypatch,
            *common,
            "add",
            "omar",
            "--name",
            "Omar",
            "--role",
            "planner",
            "--password-stdin",
            stdin="planning passphrase\n",
        )
        == 0
    )
    assert run_cli(monkeypatch, *common, "disable", "omar") == 0
    assert run_cli(monkeypatch, *common, "enable", "omar") == 0
    assert run_cli(monkeypatch, *common, "set-role", "omar", "--role", "analyst") == 0
    assert (
        run_cli(
            monkeypatch, *common, "reset", "omar", "--password-stdin", stdin="another passphrase\n"
        )
        == 0
    )
    assert run_cli(monkeypatch, *common, "unlock", "omar") == 0
    assert run_cli(monkeypatch, *common, "logout-everywhere", "omar") == 0
    assert run_cli(monkeypatch, "--file", str(users_file), "list") == 0
    listing = capsys.readouterr().out
    assert "omar" in listing
    assert "analyst" in listing
    assert "$2b$" not in listing
    assert authenticate(users_file, "omar", "another passphrase", policy=NO_DELAY).ok
    assert list(read_log(cli_workspace, viewer=ROOT)["action"]) == [
        "user_add",
        "user_disable",
        "user_enable",
        "user_set_role",
        "user_reset_password",
        "user_unlock",
        "user_end_sessions",
    ]
    text = cli_workspace.read_bytes()
    assert b"another passphrase" not in text
    assert b"planning passphrase" not in text


def test_cli_prompts_twice_when_there_is_a_terminal(users_file, monkeypatch):
    answers = iter(["prompted passphrase", "prompted passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    import io

    from geo.cli import main

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    assert main(["users", "--file", str(users_file), "reset", "amal"]) == 0
    assert authenticate(users_file, "amal", "prompted passphrase", policy=NO_DELAY).ok


def test_cli_without_terminal_or_stdin_flag_asks_for_password_stdin(
    users_file, monkeypatch, capsys
):
    assert run_cli(monkeypatch, "--file", str(users_file), "reset", "amal") == 2
    assert "--password-stdin" in capsys.readouterr().err


def test_cli_never_accepts_a_password_argument(users_file, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        run_cli(
            monkeypatch,
            "--file",
            str(users_file),
            "add",
            "omar",
            "--name",
            "Omar",
            "--role",
            "viewer",
            "--password",
            "visible in ps",
        )
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, "--file", str(users_file), "reset", "amal", "--pass", "x")


def test_cli_refuses_a_weak_password_with_exit_code_2(users_file, monkeypatch, capsys):
    code = run_cli(
        monkeypatch, "--file", str(users_file), "reset", "amal", "--password-stdin", stdin="short\n"
    )
    assert code == 2
    assert "use at least 10" in capsys.readouterr().err


def test_cli_changes_nothing_when_the_audit_workspace_is_missing(
    users_file, tmp_path, monkeypatch, capsys
):
    code = run_cli(
        monkeypatch,
        "--file",
        str(users_file),
        "--workspace",
        str(tmp_path / "none.gpkg"),
        "disable",
        "amal",
    )
    assert code == 2
    assert "nothing was changed" in capsys.readouterr().err
    assert not read_users(users_file)["amal"].disabled


def test_cli_refuses_a_users_file_inside_the_repository(monkeypatch, capsys):
    from pathlib import Path

    inside = Path(__file__).resolve().parents[2] / "users.yaml"
    code = run_cli(monkeypatch, "--file", str(inside), "list")
    assert code == 2
    assert "outside the repository" in capsys.readouterr().err
    assert not inside.exists()
