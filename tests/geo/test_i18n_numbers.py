"""Numbers, distances, durations and dates as each reader writes them (geo.i18n)."""

import datetime as dt

import pytest

from geo.i18n import (
    NumberFormat,
    format_date,
    format_decimal,
    format_integer,
    format_km,
    format_minutes,
    format_percent,
    with_digits,
)

# Arabic-Indic digits: zero is U+0660, the decimal separator U+066B, the thousands U+066C.
AR_1234567 = "\u0661\u066c\u0662\u0663\u0664\u066c\u0665\u0666\u0667"


def test_integers_english_and_arabic_with_each_digit_choice():
    assert format_integer(1234567, "en") == "1,234,567"
    # Western digits are grouped as in English (HNEC's figures), not CLDR ar_LY's 1.234.567.
    assert format_integer(1234567, "ar", "latn") == "1,234,567"
    assert format_integer(1234567, "ar", "arab") == AR_1234567
    assert format_integer(1234567, "ar", "arab") == "١٬٢٣٤٬٥٦٧"
    assert format_integer(0, "ar", "arab") == "٠"
    assert format_integer(41.6, "ar", "arab") == "٤٢"


def test_english_ignores_the_arabic_digit_choice():
    assert format_integer(1234, "en", "arab") == "1,234"
    assert format_percent(0.5, "en", "arab") == "50%"


def test_decimals_and_percentages():
    assert format_decimal(1234.56, "en") == "1,234.6"
    assert format_decimal(1234.56, "ar", "latn") == "1,234.6"
    assert format_decimal(1234.56, "ar", "arab") == "١٬٢٣٤٫٦"
    assert format_decimal(3.14159, "ar", "arab", places=2) == "٣٫١٤"
    assert format_percent(0.256, "en") == "26%"
    assert format_percent(0.256, "ar", "latn", places=1) == "25.6%"
    assert format_percent(0.256, "ar", "arab", places=1) == "٢٥٫٦٪"
    assert format_percent(1, "ar", "arab") == "١٠٠٪"


def test_km_and_minutes_in_arabic_units():
    assert format_km(12.5, "en") == "12.5 km"
    assert format_km(12.5, "ar", "latn") == "12.5 كم"
    assert format_km(12.5, "ar", "arab") == "١٢٫٥ كم"
    assert format_minutes(15, "en") == "15 min"
    assert format_minutes(15, "ar", "latn") == "15 د"
    assert format_minutes(15, "ar", "arab") == "١٥ د"


def test_gregorian_dates_as_written_in_libya():
    day = dt.date(2025, 3, 5)
    assert format_date(day, "en") == "5 March 2025"
    assert format_date(day, "en", style="short") == "2025-03-05"
    assert format_date(day, "ar", "latn") == "5 مارس 2025"
    assert format_date(day, "ar", "arab") == "٥ مارس ٢٠٢٥"
    assert format_date(day, "ar", "latn", style="short") == "05/03/2025"
    assert format_date(day, "ar", "arab", style="short") == "٠٥/٠٣/٢٠٢٥"
    # The Libyan month names (يناير … ديسمبر), not the Levantine (كانون الثاني …).
    months = [format_date(dt.date(2025, m, 1), "ar").split()[1] for m in range(1, 13)]
    assert months == [
        "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
        "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
    ]  # fmt: skip


def test_no_invisible_direction_marks_in_the_output():
    day = dt.date(2025, 3, 5)
    for text in (
        format_date(day, "ar", "latn", style="short"),
        format_integer(-5, "ar", "arab"),
        format_percent(0.25, "ar", "latn"),
    ):
        assert not any(ch in text for ch in "\u200e\u200f\u061c"), ascii(text)


@pytest.mark.parametrize("digits", ["latn", "arab"])
def test_number_format_bundles_the_same_functions(digits):
    f = NumberFormat("ar", digits)
    assert f.integer(1234) == format_integer(1234, "ar", digits)
    assert f.percent(0.3) == format_percent(0.3, "ar", digits)
    assert f.km(2) == format_km(2, "ar", digits)
    assert f.minutes(7) == format_minutes(7, "ar", digits)
    assert f.decimal(2.25, 2) == format_decimal(2.25, "ar", digits, 2)
    assert f.date(dt.date(2025, 1, 2)) == format_date(dt.date(2025, 1, 2), "ar", digits)


def test_with_digits_converts_only_for_arabic_indic():
    assert with_digits("LY-TB 2025: 15%", "ar", "arab") == "LY-TB ٢٠٢٥: ١٥٪"
    assert with_digits("2025", "ar", "latn") == "2025"
