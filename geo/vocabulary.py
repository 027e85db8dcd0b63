"""Coded values as people write them: codes, English labels and Arabic labels.

Incident categories, unit types, centre types, centre statuses and agencies are stored as
codes (``attack_on_centre``, ``static_guard``; an agency by its English name), but files
often carry the label the app shows instead: "Attack on a polling centre or office",
"attack on polling centre or office", "اعتداء على مركز اقتراع أو مكتب انتخابي".
:func:`read_coded_values` reads all three back to the code and counts how each value was
given, so that the import report can say so.

Labels are compared by :func:`label_key`: case, punctuation, underscores, diacritics,
Arabic letter variants and the English articles *a*, *an*, *the* are ignored, and
*center* is read as *centre*. English labels are those the app shows (reports, map
legends, filters); Arabic labels are their translations (:func:`geo.i18n.translate`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from geo.i18n import N_, Language, translate
from geo.names import is_arabic, normalise_name

#: Column → code → the English labels the app uses for it (the first is the main one).
ENGLISH_LABELS: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "category": {
            "attack_on_centre": (
                "Attack on a polling centre or office",
                "Attack on a centre or office",
                "Attack on a polling centre",
            ),
            "armed_interference": ("Armed interference",),
            "obstruction_of_voting": ("Obstruction of voting",),
            "intimidation": ("Intimidation of voters, candidates or staff", "Intimidation"),
            "theft_destruction_of_materials": ("Theft or destruction of materials",),
            "violent_protest": ("Violent protest",),
            "hate_speech_misinformation": ("Hate speech or misinformation",),
            "registration_irregularity": ("Registration irregularity",),
            "monitor_neutrality_complaint": ("Monitor neutrality complaint",),
            "other": ("Other",),
        },
        "unit_type": {
            "static_guard": ("Static guard", "Static guards"),
            "patrol": ("Patrol", "Patrols"),
            "rapid_response": ("Rapid response", "Rapid-response units"),
            "checkpoint": ("Checkpoint", "Checkpoints"),
        },
        "centre_type": {
            "general": ("General",),
            "displaced": ("Displaced",),
            "oil_field": ("Oil field",),
            "military": ("Military",),
            "prison": ("Prison",),
            "hospital": ("Hospital",),
            "other": ("Other",),
        },
        "status": {
            "open": ("Open",),
            "planned": ("Planned",),
            "closed": ("Closed",),
        },
        "agency": {
            "Electoral Security Department": ("Electoral Security Department",),
            "Specialised Police": ("Specialised Police", "Specialized Police"),
            "Central Support Force": ("Central Support Force",),
            "Municipal Guard": ("Municipal Guard",),
        },
    }
)
#: Agencies the interface knows by name (free text otherwise), for the catalogue.
AGENCY_NAMES = (
    N_("Electoral Security Department"),
    N_("Specialised Police"),
    N_("Central Support Force"),
    N_("Municipal Guard"),
)
#: Columns whose values are free text: a value that is no known label is kept as written.
FREE_TEXT: frozenset[str] = frozenset({"agency"})
_ENGLISH_ARTICLES = frozenset({"a", "an", "the"})

CODE = "code"
ENGLISH = "English label"
ARABIC_LABEL = "Arabic label"
UNKNOWN = "unknown"
AS_WRITTEN = "as written"


def label_key(text: str | None) -> str:
    """Return ``text`` reduced for comparing labels and codes.

    Examples
    --------
    >>> label_key("Attack on a Polling Center or Office") == label_key(
    ...     "attack on polling centre or office"
    ... )
    True
    >>> label_key("attack_on_centre")
    'attack on centre'
    """
    words = normalise_name(text).split()
    kept = ["centre" if w == "center" else w for w in words if w not in _ENGLISH_ARTICLES]
    return " ".join(kept)


def _lookup(column: str) -> dict[str, tuple[str, str]]:
    """Return ``{label key: (code, how)}`` for ``column``; labels win over spelt-out codes."""
    found: dict[str, tuple[str, str]] = {}
    codes = ENGLISH_LABELS[column]
    for code, labels in codes.items():
        for label in labels:
            found.setdefault(label_key(label), (code, ENGLISH))
            arabic = translate(label, "ar")
            if arabic != label:
                found.setdefault(label_key(arabic), (code, ARABIC_LABEL))
    for code in codes:
        found.setdefault(label_key(code), (code, CODE))
    return found


def _read_one(
    column: str, value: str, lookup: Mapping[str, tuple[str, str]]
) -> tuple[str | None, str]:
    exact = {code.casefold(): code for code in ENGLISH_LABELS[column]}
    if value.casefold() in exact:
        return exact[value.casefold()], CODE
    return lookup.get(label_key(value), (None, UNKNOWN))


@dataclass(frozen=True)
class CodedReading:
    """How the values of one coded column were read.

    Attributes
    ----------
    values
        The codes, where a value was read; other values as given (blank stays blank).
    counts
        Rows per way of giving the value: ``code``, ``English label``, ``Arabic label``,
        ``unknown`` (not read: the schema then says which values are allowed) and, for
        free-text columns, ``as written``.
    example
        One label and the code it was read as, e.g. ``("Patrols", "patrol")``.
    """

    values: pd.Series
    counts: Mapping[str, int]
    example: tuple[str, str] | None = None

    def describe(self, column: str) -> str | None:
        """Return e.g. "'category': 12 rows given as English labels, 3 as Arabic labels …".

        ``None`` when every value was given as its code (nothing worth telling).
        """
        labelled = self.counts.get(ENGLISH, 0) + self.counts.get(ARABIC_LABEL, 0)
        if not labelled:
            return None
        kinds = (
            (ENGLISH, "English labels"),
            (ARABIC_LABEL, "Arabic labels"),
            (CODE, "codes"),
            (AS_WRITTEN, "other names, kept as written"),
        )
        parts = [(self.counts.get(how, 0), plural) for how, plural in kinds]
        given = [f"{n:,} as {plural}" for n, plural in parts if n]
        first = next(n for n, _ in parts if n)
        given[0] = given[0].replace(
            " as ", " row given as " if first == 1 else " rows given as ", 1
        )
        text = f"'{column}': " + ", ".join(given)
        if self.example is not None:
            label, code = self.example
            text += f"; labels were read as their codes (e.g. '{label}' → {code})"
        return text


def is_coded(column: str) -> bool:
    """Return True when ``column`` holds values that :func:`read_coded_values` reads."""
    return column in ENGLISH_LABELS


def read_coded_values(column: str, values: pd.Series) -> CodedReading:
    """Read codes, English labels and Arabic labels of ``column`` back to the codes.

    Parameters
    ----------
    column
        One of :data:`ENGLISH_LABELS` (``category``, ``unit_type``, ``centre_type``,
        ``status``, ``agency``).
    values
        The values as given (text; blanks are left blank).

    Returns
    -------
    CodedReading
        The codes and how many rows gave each kind of value.
    """
    lookup = _lookup(column)
    text = values.astype("string").str.strip()
    out = values.astype(object).copy()
    counts: dict[str, int] = {}
    example: tuple[str, str] | None = None
    for value in pd.unique(text.dropna()):
        if value == "":
            continue
        where = (text == value).fillna(False).to_numpy(dtype=bool)
        code, how = _read_one(column, str(value), lookup)
        if code is None and column in FREE_TEXT:
            how = AS_WRITTEN
        elif code is not None:
            out[where] = code
            if how != CODE and (
                example is None or (is_arabic(example[0]) and not is_arabic(value))
            ):
                example = (str(value), code)
        counts[how] = counts.get(how, 0) + int(where.sum())
    blank = text.isna() | (text == "")
    out[blank.to_numpy(dtype=bool)] = values[blank.to_numpy(dtype=bool)]
    return CodedReading(pd.Series(out, index=values.index), counts, example)


#: Kinds of election an election's name starts with (``municipal 2025 phase 2``).
ELECTION_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "municipal": N_("Municipal elections"),
        "parliamentary": N_("Parliamentary elections"),
        "presidential": N_("Presidential elections"),
        "referendum": N_("Referendum"),
    }
)
#: "Phase n" for the phases an election is held in.
ELECTION_PHASES: Mapping[int, str] = MappingProxyType(
    {
        1: N_("first phase"),
        2: N_("second phase"),
        3: N_("third phase"),
        4: N_("fourth phase"),
        5: N_("fifth phase"),
    }
)
_ELECTION = re.compile(r"^\s*([a-z]+)\s+(\d{4})(?:\s+phase\s+(\d+))?\s*$", re.IGNORECASE)


def election_label(name: str, lang: Language) -> str:
    """Return an election's name as a reader of ``lang`` writes it.

    ``municipal 2025 phase 2`` is «الانتخابات البلدية 2025 – المرحلة الثانية» in Arabic; a
    name of another form, and every name in English, is shown as written.
    """
    found = _ELECTION.match(name)
    if lang == "en" or found is None or found.group(1).lower() not in ELECTION_KINDS:
        return name
    kind, year, phase = found.group(1).lower(), found.group(2), found.group(3)
    text = f"{translate(ELECTION_KINDS[kind], lang)} {year}"
    if phase is not None:
        ordinal = ELECTION_PHASES.get(int(phase))
        text += " – " + (
            translate(ordinal, lang) if ordinal else f"{translate('phase', lang)} {phase}"
        )
    return text
