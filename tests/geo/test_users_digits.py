"""Each user's choice of digits for Arabic pages, remembered in the users file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from geo.errors import AccessDeniedError, InputError
from geo.permissions import Viewer
from geo.users import add_user, create_first_admin, get_user, read_users, set_digits

T0 = datetime(2025, 5, 16, 9, 30, tzinfo=UTC)
ROOT = Viewer("root", "admin")
AMAL = Viewer("amal", "briefer")


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "private" / "users.yaml"
    create_first_admin(path, "root", name="Root Admin", password="admin passphrase 1", rounds=4)
    add_user(
        path,
        "amal",
        name="Amal",
        role="briefer",
        password="briefing slides 2025",
        by=ROOT,
        rounds=4,
    )
    return path


def test_a_user_without_a_choice_reads_western_digits(users_file):
    assert get_user(users_file, "amal").digits == "latn"


def test_a_user_sets_her_own_digits_and_they_are_kept_in_the_file(users_file):
    record = set_digits(users_file, "Amal", "arab", by=AMAL, now=T0)
    assert record.digits == "arab"
    assert read_users(users_file)["amal"].digits == "arab"
    entry = yaml.safe_load(users_file.read_text())["credentials"]["usernames"]["amal"]
    assert entry["digits"] == "arab"
    assert entry["updated_at"].startswith("2025-05-16T09:30")
    # The others are unchanged.
    assert get_user(users_file, "root").digits == "latn"
    set_digits(users_file, "amal", "latn", by=AMAL)
    assert get_user(users_file, "amal").digits == "latn"


def test_nobody_sets_another_users_digits_not_even_an_administrator(users_file):
    with pytest.raises(AccessDeniedError, match="root"):
        set_digits(users_file, "amal", "arab", by=ROOT)
    assert get_user(users_file, "amal").digits == "latn"


def test_an_unknown_choice_is_refused_with_the_choices(users_file):
    with pytest.raises(InputError, match="'digits' must be latn or arab"):
        set_digits(users_file, "amal", "roman", by=AMAL)


def test_a_bad_value_in_the_file_names_the_file_user_and_field(users_file):
    document = yaml.safe_load(users_file.read_text())
    document["credentials"]["usernames"]["amal"]["digits"] = "hindi"
    users_file.write_text(yaml.safe_dump(document))
    with pytest.raises(
        InputError, match=r"users\.yaml, user 'amal': 'digits' must be latn or arab"
    ):
        read_users(users_file)
