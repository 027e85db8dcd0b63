"""User-facing text in English and Arabic: one translation function for every page.

English text is the key (the gettext *msgid*); the Arabic is in the standard gettext
catalogue ``locale/ar/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` beside it,
which :func:`translate` reads. ``make po`` extracts every text from the code and updates
both (see :mod:`geo.catalogue` and the README's *Languages*).
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["en", "ar"]
LANGUAGES: dict[Language, str] = {"en": "English", "ar": "العربية"}
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
