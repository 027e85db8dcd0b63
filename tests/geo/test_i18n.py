from babel.messages.pofile import read_po

from geo.catalogue import po_path
from geo.i18n import is_rtl, translate


def test_arabic_translation_is_used_when_present():
    assert translate("Polling centres", "ar") == "مراكز الاقتراع"


def test_english_is_identity_and_missing_entries_fall_back_to_english():
    assert translate("Polling centres", "en") == "Polling centres"
    assert translate("A sentence nobody translated", "ar") == "A sentence nobody translated"


def test_empty_text_stays_empty_in_arabic():
    # gettext would answer "" with the catalogue's header.
    assert translate("", "ar") == ""


def test_only_arabic_is_right_to_left():
    assert is_rtl("ar")
    assert not is_rtl("en")


def test_every_arabic_entry_contains_arabic_letters():
    with po_path("ar").open("rb") as file:
        catalogue = read_po(file)
    entries = [m for m in catalogue if m.id and m.string]
    assert len(entries) > 500
    for message in entries:
        assert any("\u0600" <= ch <= "\u06ff" for ch in message.string), message.id
