from geo.i18n import ARABIC, is_rtl, translate


def test_arabic_translation_is_used_when_present():
    assert translate("Polling centres", "ar") == "مراكز الاقتراع"


def test_english_is_identity_and_missing_entries_fall_back_to_english():
    assert translate("Polling centres", "en") == "Polling centres"
    assert translate("A sentence nobody translated", "ar") == "A sentence nobody translated"


def test_only_arabic_is_right_to_left():
    assert is_rtl("ar")
    assert not is_rtl("en")


def test_every_arabic_entry_contains_arabic_letters():
    for english, arabic in ARABIC.items():
        assert any("\u0600" <= ch <= "\u06ff" for ch in arabic), english
