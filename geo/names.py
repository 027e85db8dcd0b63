"""Arabic and English place names reduced to keys that compare equal across spellings.

Libyan place names reach the planner in many spellings: ``مصراتة``/``مصراته``,
``أبو سليم``/``ابوسليم``, ``Misrata``/``Misratah``/``Misurata``, ``Az Zawiyah``/``Azzawya``.
Three levels of reduction are offered, each a pure function of one string:

:func:`normalise_name`
    For search and exact matching. Arabic: diacritics (tashkeel) and tatweel removed; alef
    forms ``أ إ آ ٱ`` → ``ا``; ``ؤ`` → ``و``; ``ئ`` and alef maqsura ``ى`` → ``ي``; taa
    marbuta ``ة`` → ``ه``; a lone hamza ``ء`` dropped; Persian ``ی ک`` → ``ي ك``;
    Arabic-Indic digits → ASCII; the article ``ال`` dropped at the start of each word.
    Latin: accents removed, lower case, apostrophes and ayn marks dropped, punctuation and
    hyphens → spaces, and the article dropped: ``Al``/``El`` and the sun-letter forms
    (``Az``, ``As``, ``Ash``, ``Ar``, ``At``, ``Ad``, ``An`` …) as a separate or hyphenated
    word, and glued forms (``Alkufra`` → ``kufra``, ``Azzawya`` → ``zawya``).
:func:`name_key`
    :func:`normalise_name` without spaces (``ابوسليم`` = ``أبو سليم``); :func:`place_key`
    also folds well-known alternative names (:data:`KNOWN_VARIANTS`).
:func:`transliteration_key`
    For Latin spellings only: a consonant skeleton after folding common transliteration
    variants (``q``/``g``/``k``; ``ou``/``oo`` → ``u``; a final ``h`` after a vowel;
    doubled letters; vowels and inner ``w``/``y`` dropped), plus a small table of
    well-known alternative names (Tarabulus = Tripoli, Misurata = Misrata …).
    ``Misrata``, ``Misratah`` and ``Misurata`` all give ``msrt``. Short skeletons collide
    easily: use them only as a last resort and only when the match is unique.

:func:`name_similarity` gives a 0–1 similarity of two names' keys, for fuzzy matching.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

_ARABIC_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]"
)
_TATWEEL = "\u0640"
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "و",
        "ئ": "ي",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ة": "ه",
        "ۀ": "ه",
        "ھ": "ه",
        "ک": "ك",
        "ڪ": "ك",
        "ء": None,
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
        "۰": "0",
        "۱": "1",
        "۲": "2",
        "۳": "3",
        "۴": "4",
        "۵": "5",
        "۶": "6",
        "۷": "7",
        "۸": "8",
        "۹": "9",
    }
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
# Apostrophes, ayn/hamza marks of transliterations and quotes vanish; they carry no letter.
_DROPPED = re.compile("['`\u2018\u2019\u02bb\u02bc\u02be\u02bf\u00b4\"]")
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
#: Latin spellings of the Arabic article, as a separate (or hyphenated) word.
LATIN_ARTICLES = frozenset(
    {"al", "el", "il", "ul", "as", "ash", "az", "ad", "adh", "ar", "at", "ath", "an", "ed", "es"}
)
# Glued sun-letter article: "azzawya", "assahel", "ashshati", "arrajban".
_GLUED_SUN_ARTICLE = re.compile(r"^a(sh|th|dh|[tdrzsn])\1(?=[a-z])")
_GLUED_AL = re.compile(r"^[ae]l(?=[a-z]{4,})")

#: Alternative names of well-known places, each mapped to one spelling (by name key).
KNOWN_VARIANTS: dict[str, str] = {
    "tarabulus": "tripoli",
    "trablus": "tripoli",
    "tripolicentre": "tripolicenter",
    "misurata": "misrata",
    "misratah": "misrata",
    "misrato": "misrata",
    "bengasi": "benghazi",
    "banghazi": "benghazi",
    "zawiyah": "zawiya",
    "zawia": "zawiya",
    "zawya": "zawiya",
    "zuwarah": "zuwara",
    "zwara": "zuwara",
    "zuara": "zuwara",
    "sirt": "sirte",
    "surt": "sirte",
    "khoms": "khums",
    "homs": "khums",
    "sebha": "sabha",
    "ejdabia": "ajdabiya",
    "ajdabia": "ajdabiya",
    "agedabia": "ajdabiya",
    "ghiryan": "gharyan",
    "garian": "gharyan",
    "tubruq": "tobruk",
    "tobrouk": "tobruk",
    "darnah": "derna",
    "beniulid": "baniwalid",
    "baniwaleed": "baniwalid",
    "kufrah": "kufra",
    "awbari": "ubari",
    "obari": "ubari",
    "murzuk": "murzuq",
    "ghadamis": "ghadames",
    "yefren": "yafran",
    "jefren": "yafran",
    "yafrin": "yafran",
    "zlitan": "zliten",
    "tarhunah": "tarhuna",
    "tarhouna": "tarhuna",
    "beida": "bayda",
    "baida": "bayda",
    "shahhat": "shahat",
    "cyrene": "shahat",
    "abusliem": "abusalim",
    "abuslim": "abusalim",
    "janzur": "janzour",
    "sabratah": "sabratha",
    "tajura": "tajoura",
    "tajora": "tajoura",
}


def _fold_arabic(text: str) -> str:
    text = _ARABIC_MARKS.sub("", text.replace(_TATWEEL, ""))
    return text.translate(_ARABIC_FOLD)


def _strip_arabic_article(word: str) -> str:
    # "ال" + at least two letters: الزاوية → زاويه, but ال alone or الى stay.
    while word.startswith("ال") and len(word) > 3:
        word = word[2:]
    return word


def _strip_latin_article(words: list[str]) -> list[str]:
    kept: list[str] = []
    for i, word in enumerate(words):
        if word in LATIN_ARTICLES and i + 1 < len(words):
            continue
        stripped = None
        while stripped != word:
            stripped = word
            word = _GLUED_AL.sub("", _GLUED_SUN_ARTICLE.sub(r"\1", word))
        if word in LATIN_ARTICLES and i + 1 < len(words):
            continue
        kept.append(word)
    return kept


@lru_cache(maxsize=65_536)
def normalise_name(text: str | None) -> str:
    """Return ``text`` reduced for search and exact matching (see the module docstring).

    Parameters
    ----------
    text
        A place name in Arabic, Latin script or both; ``None`` gives ``""``.

    Returns
    -------
    str
        Lower-case words separated by single spaces, without articles, diacritics or
        punctuation; Arabic letter variants folded.

    Examples
    --------
    >>> normalise_name("الزَّاوِيَة")
    'زاويه'
    >>> normalise_name("Az-Zawiyah")
    'zawiyah'
    >>> normalise_name("El-Bayda") == normalise_name("Al Bayda") == normalise_name("Albayda")
    True
    """
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = _fold_arabic(value)
    # Accents: decompose, then drop combining marks (Arabic marks are already gone).
    value = "".join(
        ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch)
    )
    value = _DROPPED.sub("", value.casefold())
    words = [w for w in _SEPARATORS.split(value) if w]
    words = [_strip_arabic_article(w) if _ARABIC_LETTER.match(w) else w for w in words]
    words = _strip_latin_article(words)
    return " ".join(words)


def name_key(text: str | None) -> str:
    """Return :func:`normalise_name` without spaces: ``ابوسليم`` and ``أبو سليم`` agree."""
    return normalise_name(text).replace(" ", "")


def place_key(text: str | None) -> str:
    """Return :func:`name_key` with well-known alternative names folded (Misurata → misrata)."""
    key = name_key(text)
    return KNOWN_VARIANTS.get(key, key)


def is_arabic(text: str | None) -> bool:
    """Return True when ``text`` contains at least one Arabic letter."""
    return bool(text) and _ARABIC_LETTER.search(str(text)) is not None


_VOWELS = re.compile("[aeiou]")


def _skeleton(word: str) -> str:
    word = word.replace("ou", "u").replace("oo", "u").replace("ee", "i")
    word = re.sub(r"(?<=[aeiou])h$", "", word)
    for digraph, letter in (("kh", "K"), ("gh", "G"), ("sh", "S"), ("th", "T"), ("dh", "D")):
        word = word.replace(digraph, letter)
    word = re.sub("[qgc]", "k", word)
    word = re.sub(r"(.)\1+", r"\1", word)
    # Vowels go everywhere; w and y (often written for long vowels) except as first letter.
    head, tail = word[:1], re.sub("[wy]", "", word[1:])
    skeleton = _VOWELS.sub("", head) + _VOWELS.sub("", tail)
    return re.sub(r"(.)\1+", r"\1", skeleton)


@lru_cache(maxsize=65_536)
def transliteration_key(text: str | None) -> str:
    """Return a consonant skeleton of a Latin-script name (``""`` for Arabic text).

    Parameters
    ----------
    text
        A place name in Latin script.

    Returns
    -------
    str
        The skeleton of the name's :func:`name_key` (no spaces); well-known alternative
        names are first replaced by one spelling (:data:`KNOWN_VARIANTS`).

    Examples
    --------
    >>> transliteration_key("Misurata") == transliteration_key("Misratah") == "msrt"
    True
    >>> transliteration_key("Qaminis") == transliteration_key("Gemienis")
    True
    """
    if text is None or is_arabic(text):
        return ""
    key = name_key(text)
    return _skeleton(KNOWN_VARIANTS.get(key, key))


def name_similarity(a: str | None, b: str | None) -> float:
    """Return the similarity (0 to 1) of two names' :func:`name_key` strings.

    The ratio of :class:`difflib.SequenceMatcher`: twice the matched characters over the
    total length. Empty names give 0.
    """
    key_a, key_b = place_key(a), place_key(b)
    if not key_a or not key_b:
        return 0.0
    return SequenceMatcher(None, key_a, key_b, autojunk=False).ratio()
