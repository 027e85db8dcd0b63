"""User-facing text in English and Arabic: one translation function for every page.

English text is the key (the gettext *msgid*); the Arabic is in the standard gettext
catalogue ``locale/ar/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` beside it,
which :func:`translate` reads. ``make po`` extracts every text from the code and updates
both (see :mod:`geo.catalogue` and the README's *Languages*).
"""

from __future__ import annotations

import datetime as dt
import gettext
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from babel import dates as babel_dates
from babel import numbers as babel_numbers

Language = Literal["en", "ar"]
LANGUAGES: dict[Language, str] = {"en": "English", "ar": "العربية"}
Digits = Literal["latn", "arab"]
#: The digits Arabic pages may use: Western (0-9) or Arabic-Indic (٠-٩); English uses 0-9.
DIGITS: dict[Digits, str] = {"latn": "0-9", "arab": "٠-٩"}
#: The Babel (CLDR) locale of each language's dates: Arabic as written in Libya (ar_LY).
LOCALES: dict[Language, str] = {"en": "en_GB", "ar": "ar_LY"}
#: ... and of its numbers: Western digits grouped as on the English pages, 1,234.5 (generic
#: "ar"), not CLDR ar_LY's Maghreb 1.234,5, which beside the English pages would read as a
#: decimal (to be confirmed with Libyan readers). Arabic-Indic digits: ١٬٢٣٤٫٥ either way.
NUMBER_LOCALES: dict[Language, str] = {"en": "en_GB", "ar": "ar"}
_INDIC = str.maketrans("0123456789%", "٠١٢٣٤٥٦٧٨٩٪")
#: Where the catalogues are: ``locale/<lang>/LC_MESSAGES/messages.mo``.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


@cache
def _translations(lang: Language) -> gettext.GNUTranslations:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as file:
            return gettext.GNUTranslations(file)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: the compiled {lang} catalogue is missing; run 'make po' to compile "
            f"it from {path.with_suffix('.po').name}"
        ) from None


def N_(text: str) -> str:  # noqa: N802 (the gettext name translators' tools know)
    """Mark ``text`` as a text to translate later, by :func:`translate`; return it unchanged.

    For labels defined in one place and passed to ``t`` elsewhere, so that ``make po``
    finds them (see :mod:`geo.catalogue`).
    """
    return text


def translate(text: str, lang: Language) -> str:
    """Return ``text`` in ``lang`` (English text is the key; missing entries stay English)."""
    if lang == "ar" and text:
        return _translations(lang).gettext(text)
    return text


def is_rtl(lang: Language) -> bool:
    """Return True for languages written right to left."""
    return lang == "ar"


# --- numbers and dates ------------------------------------------------------------------


def _digits(lang: Language, digits: Digits) -> Digits:
    return digits if lang == "ar" and digits in DIGITS else "latn"


def with_digits(text: str, lang: Language, digits: Digits = "latn") -> str:
    """Return ``text`` with its digits (and ``%``) Arabic-Indic when ``digits`` says so.

    >>> with_digits("12 / 2025", "ar", "arab")
    '١٢ / ٢٠٢٥'
    >>> with_digits("12 / 2025", "en", "arab")
    '12 / 2025'
    """
    return text.translate(_INDIC) if _digits(lang, digits) == "arab" else text


def _number(value: float, lang: Language, digits: Digits, pattern: str) -> str:
    system = _digits(lang, digits)
    text = babel_numbers.format_decimal(
        value, format=pattern, locale=NUMBER_LOCALES[lang], numbering_system=system
    )
    return with_digits(text, lang, system)


def format_integer(value: float, lang: Language, digits: Digits = "latn") -> str:
    """Return ``value`` rounded to a whole number, with the thousands separator of ``lang``.

    ``12,345`` in English and in Arabic with Western digits, ``١٢٬٣٤٥`` with Arabic-Indic.
    """
    return _number(round(value), lang, digits, "#,##0")


def format_decimal(value: float, lang: Language, digits: Digits = "latn", places: int = 1) -> str:
    """Return ``value`` with ``places`` decimals: ``1,234.5``, or ``١٬٢٣٤٫٥``."""
    return _number(value, lang, digits, "#,##0" + ("." + "0" * places if places else ""))


def format_percent(share: float, lang: Language, digits: Digits = "latn", places: int = 0) -> str:
    """Return the share ``share`` (0.256) as a percentage: ``26%``, ``25.6%``, ``٢٥٫٦٪``."""
    system = _digits(lang, digits)
    pattern = "#,##0" + ("." + "0" * places if places else "") + "%"
    text = babel_numbers.format_percent(
        share, format=pattern, locale=NUMBER_LOCALES[lang], numbering_system=system
    )
    return with_digits(text, lang, system)


def format_km(km: float, lang: Language, digits: Digits = "latn", places: int = 1) -> str:
    """Return a distance: ``12.5 km``, ``12.5 كم``, ``١٢٫٥ كم``."""
    return f"{format_decimal(km, lang, digits, places)} {translate('km', lang)}"


def format_minutes(minutes: float, lang: Language, digits: Digits = "latn") -> str:
    """Return a duration in whole minutes: ``15 min``, ``15 د``, ``١٥ د``."""
    return f"{format_integer(minutes, lang, digits)} {translate('min', lang)}"


def format_date(
    day: dt.date, lang: Language, digits: Digits = "latn", style: Literal["long", "short"] = "long"
) -> str:
    """Return a Gregorian date as written in ``lang``: day, month name, year, or in figures.

    English ``5 March 2025`` or ``2025-03-05`` (ISO, as the English pages always wrote
    it); Arabic (Libya, months يناير … ديسمبر) ``5 مارس 2025`` or ``05/03/2025``
    (day/month/year), and ``٥ مارس ٢٠٢٥`` with Arabic-Indic digits.
    """
    if style == "short" and lang != "ar":
        return day.isoformat()[:10]
    pattern = "d MMMM y" if style == "long" else "dd/MM/y"
    text = babel_dates.format_date(day, pattern, locale=LOCALES[lang])
    return with_digits(text, lang, digits)


@dataclass(frozen=True)
class NumberFormat:
    """The number and date formats of one reader: a language and a choice of digits."""

    lang: Language = "en"
    digits: Digits = "latn"

    def integer(self, value: float) -> str:
        """See :func:`format_integer`."""
        return format_integer(value, self.lang, self.digits)

    def decimal(self, value: float, places: int = 1) -> str:
        """See :func:`format_decimal`."""
        return format_decimal(value, self.lang, self.digits, places)

    def percent(self, share: float, places: int = 0) -> str:
        """See :func:`format_percent`."""
        return format_percent(share, self.lang, self.digits, places)

    def km(self, km: float, places: int = 1) -> str:
        """See :func:`format_km`."""
        return format_km(km, self.lang, self.digits, places)

    def minutes(self, minutes: float) -> str:
        """See :func:`format_minutes`."""
        return format_minutes(minutes, self.lang, self.digits)

    def date(self, day: dt.date, style: Literal["long", "short"] = "long") -> str:
        """See :func:`format_date`."""
        return format_date(day, self.lang, self.digits, style)
