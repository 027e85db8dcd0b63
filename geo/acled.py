"""ACLED event exports turned into incidents: three generations of columns, one table.

ACLED (Armed Conflict Location & Event Data) exports have changed their columns over time.
The importer recognises three generations by their headers (compared case-insensitively):

``acled-2023``
    Current exports (lower case), with ``disorder_type``, ``civilian_targeting`` and
    ``tags``: ``event_id_cnty, event_date, year, time_precision, disorder_type, event_type,
    sub_event_type, actor1, assoc_actor_1, inter1, actor2, assoc_actor_2, inter2,
    interaction, civilian_targeting, iso, region, country, admin1, admin2, admin3,
    location, latitude, longitude, geo_precision, source, source_scale, notes, fatalities,
    tags, timestamp``.
``acled-2019``
    Exports of 2019-2022 (lower case, sub-event types, no tags): ``data_id, iso,
    event_id_cnty, event_id_no_cnty, event_date, year, time_precision, event_type,
    sub_event_type, actor1, assoc_actor_1, inter1, actor2, assoc_actor_2, inter2,
    interaction, region, country, admin1, admin2, admin3, location, latitude, longitude,
    geo_precision, source, source_scale, notes, fatalities, timestamp, iso3``.
``acled-legacy``
    The older upper-case files (to 2018, e.g. the Africa "version 7/8" files), with the
    old event types and no sub-event type: ``GWNO, EVENT_ID_CNTY, EVENT_ID_NO_CNTY,
    EVENT_DATE, YEAR, TIME_PRECISION, EVENT_TYPE, ACTOR1, ALLY_ACTOR_1, INTER1, ACTOR2,
    ALLY_ACTOR_2, INTER2, INTERACTION, COUNTRY, ADMIN1, ADMIN2, ADMIN3, LOCATION,
    LATITUDE, LONGITUDE, GEO_PRECISION, SOURCE, NOTES, FATALITIES``.

Files may be CSV (UTF-8 or Windows-1252, read by :mod:`geo.io`) or Excel; dates may be
``YYYY-MM-DD``, ``DD/MM/YYYY``, ``16 May 2025`` or Excel serials; notes may span lines.
Files covering a whole region are filtered to **Libya** (``country``, else ``iso``
434 / ``iso3`` LBY / ``GWNO`` 620, else an ``event_id_cnty`` starting ``LBY``); the
report says how many rows were outside and in which countries. Those rows are left out,
not rejected. ACLED's terms forbid passing raw rows to other users: the app shows ACLED
incidents in aggregates and keeps ``source = "ACLED"`` on every row.

Each event becomes one incident:

=====================  ==================================================================
incident column        from
=====================  ==================================================================
``incident_id``        ``ACLED-`` + ``event_id_cnty``
``date``               ``event_date``
``category``           the table below
``severity``           1-5, see below
``fatalities``         ``fatalities``
``injuries``           0 (ACLED does not count injuries; said in the report)
``description``        ``notes``
``source``             ``ACLED``
point                  ``longitude``, ``latitude``
extra columns          ``acled_event_type``, ``acled_sub_event_type``, ``geo_precision``,
                       ``election_related``, ``acled_admin1``, ``acled_location``
=====================  ==================================================================

**Election-related** events are those whose ``tags`` or ``notes`` mention elections,
voting, ballots, polling, candidates, voter registration, referendums or HNEC
(:data:`ELECTION_PATTERN`). All events are imported (non-election violence is context for
risk); ``election_related`` tells them apart.

**Categories**: ACLED event type (sub-event type) → incident category, and → the category
used instead when the event is election-related:

========================================  ====================  ==============================
ACLED event type (sub-event type)         category              when election-related
========================================  ====================  ==============================
Battles (any)                             armed_interference    attack_on_centre [1]_
Explosions/Remote violence (any)          armed_interference    attack_on_centre [1]_
Violence against civilians (Attack;       intimidation          attack_on_centre [1]_
Abduction/forced disappearance)
Violence against civilians (Sexual        other                 other
violence)
Riots (Violent demonstration; Mob         violent_protest       attack_on_centre [1]_,
violence)                                                       obstruction_of_voting [2]_
Protests (Protest with intervention;      violent_protest       obstruction_of_voting [2]_
Excessive force against protesters)
Protests (Peaceful protest)               other                 obstruction_of_voting [2]_
Strategic developments (Looting/property  other                 theft_destruction_of_materials
destruction)
Strategic developments (Arrests)          other                 intimidation
Strategic developments (any other)        other                 obstruction_of_voting [2]_
legacy: Battle-No change of territory;    armed_interference    attack_on_centre [1]_
Battle-Government regains territory;
Battle-Non-state actor overtakes
territory
legacy: Remote violence                   armed_interference    attack_on_centre [1]_
legacy: Violence against civilians        intimidation          attack_on_centre [1]_
legacy: Riots/Protests                    violent_protest if    attack_on_centre [1]_,
                                          the notes tell of     obstruction_of_voting [2]_
                                          violence, else other
legacy: Strategic development;            other                 obstruction_of_voting [2]_
Headquarters or base established; Non-
violent transfer of territory
any other type                            other, with a         other
                                          warning
========================================  ====================  ==============================

.. [1] when the notes name an election site: a polling station or centre, a registration
   or voting centre, an election or electoral office or commission, HNEC, ballot boxes
   (:data:`ELECTION_SITE_PATTERN`).
.. [2] when the notes say voting was prevented, blocked, closed, obstructed, disrupted,
   halted, stopped or suspended (:data:`OBSTRUCTION_PATTERN`).

A footnoted category applies only when its condition holds (an attack on a site wins over
an obstruction); otherwise the middle column's category stays.

**Severity** (1 to 5): Battles, Explosions/Remote violence and Violence against civilians
3; Riots 2; Protests and Strategic developments 1 (legacy types alike); at least 4 for an
attack on an election site or any event with a death; 5 with five deaths or more.

**Geo-precision** is kept: 1 = the exact town, 2 = near a town or within a district,
3 = only the region or a larger area is known. Precision-3 events are imported but the
report warns that their points are too coarse for decisions about single centres.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InputError
from geo.io import (
    RawTable,
    column_or_blank,
    describe_rows,
    header_lookup,
    not_a_format,
    parse_dates,
)
from geo.mapping import (
    LATITUDE,
    LONGITUDE,
    Conversion,
    FillDefault,
    mapping_from_columns,
)
from geo.schema import Problem

Generation = Literal["acled-2023", "acled-2019", "acled-legacy"]
GENERATION_LABELS: Mapping[Generation, str] = {
    "acled-2023": "ACLED export, 2023 and later columns (with tags)",
    "acled-2019": "ACLED export, 2019-2022 columns",
    "acled-legacy": "ACLED export, older upper-case columns (to 2018)",
}

#: Columns of each generation, exactly as ACLED writes them.
COLUMNS: Mapping[Generation, tuple[str, ...]] = {
    "acled-2023": (
        "event_id_cnty",
        "event_date",
        "year",
        "time_precision",
        "disorder_type",
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "inter1",
        "actor2",
        "assoc_actor_2",
        "inter2",
        "interaction",
        "civilian_targeting",
        "iso",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "source_scale",
        "notes",
        "fatalities",
        "tags",
        "timestamp",
    ),
    "acled-2019": (
        "data_id",
        "iso",
        "event_id_cnty",
        "event_id_no_cnty",
        "event_date",
        "year",
        "time_precision",
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "inter1",
        "actor2",
        "assoc_actor_2",
        "inter2",
        "interaction",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "source_scale",
        "notes",
        "fatalities",
        "timestamp",
        "iso3",
    ),
    "acled-legacy": (
        "GWNO",
        "EVENT_ID_CNTY",
        "EVENT_ID_NO_CNTY",
        "EVENT_DATE",
        "YEAR",
        "TIME_PRECISION",
        "EVENT_TYPE",
        "ACTOR1",
        "ALLY_ACTOR_1",
        "INTER1",
        "ACTOR2",
        "ALLY_ACTOR_2",
        "INTER2",
        "INTERACTION",
        "COUNTRY",
        "ADMIN1",
        "ADMIN2",
        "ADMIN3",
        "LOCATION",
        "LATITUDE",
        "LONGITUDE",
        "GEO_PRECISION",
        "SOURCE",
        "NOTES",
        "FATALITIES",
    ),
}
#: Columns without which a file is not read as ACLED (compared in lower case).
SIGNATURE = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")

LIBYA = "Libya"
LIBYA_ISO_NUMERIC = "434"
LIBYA_GWNO = "620"
SOURCE = "ACLED"
ID_PREFIX = "ACLED-"
COARSE_PRECISION = 3

ELECTION_PATTERN = re.compile(
    r"\b(?:elect(?:ion|ions|oral|ed)?|vot(?:e|es|er|ers|ing)|ballot\w*|poll(?:s|ing)"
    r"(?:\s+(?:station|centre|center|staff|day))?|candidat\w*|referend\w*|hnec"
    r"|voter\s+registration|registration\s+cent(?:re|er)s?)\b",
    re.IGNORECASE,
)
ELECTION_SITE_PATTERN = re.compile(
    r"\b(?:polling\s+(?:station|centre|center|site)s?|(?:registration|voting)\s+"
    r"(?:station|centre|center)s?|(?:election|electoral)\s+(?:office|commission|centre|center"
    r"|headquarters|building)s?|hnec(?:\s+office)?|ballot\s+box(?:es)?)\b",
    re.IGNORECASE,
)
OBSTRUCTION_PATTERN = re.compile(
    r"\b(?:prevent\w*|block\w*|clos\w*|obstruct\w*|disrupt\w*|halt\w*|suspend\w*|stop\w*)\b"
    r"[^.]{0,60}\b(?:vot\w*|poll\w*|election\w*|ballot\w*|registration)",
    re.IGNORECASE,
)
VIOLENCE_PATTERN = re.compile(
    r"\b(?:riot\w*|clash\w*|violen\w*|burn\w*|stone\w*|shot|shoot\w*|fired|attack\w*|injur\w*)",
    re.IGNORECASE,
)

#: (event type, sub-event type or "*") → category when not election-related.
CATEGORY_TABLE: Mapping[tuple[str, str], str] = {
    ("battles", "*"): "armed_interference",
    ("explosions/remote violence", "*"): "armed_interference",
    ("violence against civilians", "attack"): "intimidation",
    ("violence against civilians", "abduction/forced disappearance"): "intimidation",
    ("violence against civilians", "sexual violence"): "other",
    ("violence against civilians", "*"): "intimidation",
    ("riots", "*"): "violent_protest",
    ("protests", "peaceful protest"): "other",
    ("protests", "*"): "violent_protest",
    ("strategic developments", "*"): "other",
    ("battle-no change of territory", "*"): "armed_interference",
    ("battle-government regains territory", "*"): "armed_interference",
    ("battle-non-state actor overtakes territory", "*"): "armed_interference",
    ("remote violence", "*"): "armed_interference",
    ("riots/protests", "*"): "other",
    ("strategic development", "*"): "other",
    ("headquarters or base established", "*"): "other",
    ("non-violent transfer of territory", "*"): "other",
}
#: Categories of election-related events, where they differ (sub-event "*" = any).
ELECTION_CATEGORY_TABLE: Mapping[tuple[str, str], str] = {
    ("strategic developments", "looting/property destruction"): "theft_destruction_of_materials",
    ("strategic developments", "arrests"): "intimidation",
}
_VIOLENT_TYPES = frozenset(
    {
        "battles",
        "explosions/remote violence",
        "violence against civilians",
        "riots",
        "battle-no change of territory",
        "battle-government regains territory",
        "battle-non-state actor overtakes territory",
        "remote violence",
        "riots/protests",
    }
)
_OBSTRUCTING_TYPES = frozenset(
    {
        "riots",
        "protests",
        "strategic developments",
        "riots/protests",
        "strategic development",
        "headquarters or base established",
        "non-violent transfer of territory",
    }
)
_BASE_SEVERITY: Mapping[str, int] = {
    "battles": 3,
    "explosions/remote violence": 3,
    "violence against civilians": 3,
    "riots": 2,
    "protests": 1,
    "strategic developments": 1,
    "battle-no change of territory": 3,
    "battle-government regains territory": 3,
    "battle-non-state actor overtakes territory": 3,
    "remote violence": 3,
    "riots/protests": 2,
    "strategic development": 1,
    "headquarters or base established": 1,
    "non-violent transfer of territory": 1,
}


@dataclass(frozen=True)
class AcledEvents:
    """Categories, severities and flags of ACLED events (arrays aligned with the input)."""

    category: NDArray[np.object_]
    severity: NDArray[np.int64]
    election_related: NDArray[np.bool_]
    unknown_type: NDArray[np.bool_]


def detect_generation(columns: tuple[str, ...]) -> Generation | None:
    """Return the ACLED generation of a header, or None when it is not an ACLED export."""
    lower = {c.strip().lower() for c in columns}
    if not set(SIGNATURE) <= lower:
        return None
    if {"disorder_type", "tags", "civilian_targeting"} & lower:
        return "acled-2023"
    if "sub_event_type" in lower:
        return "acled-2019"
    return "acled-legacy"


def classify_events(
    event_type: pd.Series,
    sub_event_type: pd.Series,
    notes: pd.Series,
    tags: pd.Series,
    fatalities: pd.Series,
) -> AcledEvents:
    """Apply the category and severity rules of the module docstring, vectorised.

    Parameters
    ----------
    event_type, sub_event_type, notes, tags
        Text columns (blank or missing allowed).
    fatalities
        Deaths per event (text or numbers; unreadable counts as 0 here).

    Returns
    -------
    AcledEvents
        One value per event.
    """
    etype = event_type.astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)
    sub = sub_event_type.astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)
    text_notes = notes.astype("string").fillna("")
    text = text_notes + " " + tags.astype("string").fillna("")
    election = text.str.contains(ELECTION_PATTERN).fillna(False).to_numpy(dtype=bool)
    site = text_notes.str.contains(ELECTION_SITE_PATTERN).fillna(False).to_numpy(dtype=bool)
    obstruct = text_notes.str.contains(OBSTRUCTION_PATTERN).fillna(False).to_numpy(dtype=bool)
    violent_notes = text_notes.str.contains(VIOLENCE_PATTERN).fillna(False).to_numpy(dtype=bool)
    pairs = pd.Series(list(zip(etype, sub, strict=True)), dtype=object)
    exact = pairs.map(CATEGORY_TABLE)
    general = pd.Series(etype, dtype=object).map(
        {t: c for (t, s), c in CATEGORY_TABLE.items() if s == "*"}
    )
    named = exact.fillna(general)
    unknown = named.isna().to_numpy(dtype=bool)
    category = named.fillna("other").to_numpy(dtype=object)
    legacy_riot = (etype == "riots/protests") & violent_notes
    category[legacy_riot] = "violent_protest"
    special = pairs.map(ELECTION_CATEGORY_TABLE).to_numpy(dtype=object)
    use_special = election & pd.notna(special)
    category[use_special] = special[use_special]
    obstructing = election & obstruct & np.isin(etype, list(_OBSTRUCTING_TYPES))
    category[obstructing] = "obstruction_of_voting"
    attack = election & site & np.isin(etype, list(_VIOLENT_TYPES))
    attack &= ~((etype == "riots/protests") & ~violent_notes)
    category[attack] = "attack_on_centre"
    deaths = pd.to_numeric(fatalities, errors="coerce").fillna(0).to_numpy(dtype=float)
    severity = pd.Series(etype, dtype=object).map(_BASE_SEVERITY).fillna(1).to_numpy(dtype=np.int64)
    severity = np.where(attack | (deaths >= 1), np.maximum(severity, 4), severity)
    severity = np.where(deaths >= 5, 5, severity)
    return AcledEvents(category, severity.astype(np.int64), election, unknown)


def _is_libya(table: RawTable, lookup: Mapping[str, str]) -> NDArray[np.bool_]:
    def column(name: str) -> pd.Series:
        return column_or_blank(table, lookup, name)

    if "country" in lookup:
        return (column("country").str.strip().str.casefold() == LIBYA.casefold()).to_numpy(
            dtype=bool
        )
    for name, value in (("iso3", "LBY"), ("iso", LIBYA_ISO_NUMERIC), ("gwno", LIBYA_GWNO)):
        if name in lookup:
            return (column(name).str.strip().str.upper() == value).to_numpy(dtype=bool)
    return (
        column("event_id_cnty").str.strip().str.upper().str.startswith("LBY").to_numpy(dtype=bool)
    )


def convert_acled(table: RawTable, *, layer: str = "incidents") -> Conversion:
    """Turn an ACLED export into incidents (see the module docstring for every rule).

    Parameters
    ----------
    table
        The export as read by :mod:`geo.io`.
    layer
        Must be ``"incidents"``.

    Returns
    -------
    Conversion
        Incident columns as text (dates as ``YYYY-MM-DD``), longitude/latitude, extra
        columns; ``keep`` marks the Libyan rows. Problems: unreadable dates (with the
        formats accepted), unknown event types; notes: generation, rows outside Libya,
        election-related share, date styles; a warning for precision-3 events.

    Raises
    ------
    InputError
        When the table is not an ACLED export or ``layer`` is not ``incidents``.
    """
    generation = detect_generation(table.columns)
    if generation is None:
        raise not_a_format(table, "an ACLED export", SIGNATURE)
    if layer != "incidents":
        raise InputError(
            f"an ACLED export holds events: import it as the layer 'incidents', not '{layer}'"
        )
    lookup = header_lookup(table.columns)

    def column(name: str) -> pd.Series:
        return column_or_blank(table, lookup, name)

    event_ids = column("event_id_cnty").str.strip()
    notes = column("notes")
    event_type = column("event_type")
    sub_event_type = column("sub_event_type")
    fatalities = column("fatalities")
    events = classify_events(event_type, sub_event_type, notes, column("tags"), fatalities)
    event_date = column("event_date")
    dates = parse_dates(event_date)
    date_text = dates.values.dt.strftime("%Y-%m-%d").astype("string")
    raw_dates = event_date.astype("string").reset_index(drop=True)
    date_text = date_text.where(~pd.Series(dates.bad), raw_dates).fillna("")
    precision = pd.to_numeric(column("geo_precision"), errors="coerce").astype("Int64")
    frame = pd.DataFrame(
        {
            "incident_id": np.where(
                event_ids.to_numpy(dtype=object) == "", "", ID_PREFIX + event_ids
            ),
            "date": date_text.to_numpy(dtype=object),
            "category": events.category,
            "severity": events.severity,
            "fatalities": fatalities.to_numpy(dtype=object),
            "injuries": 0,
            "description": notes.to_numpy(dtype=object),
            "source": SOURCE,
            LONGITUDE: column("longitude").to_numpy(dtype=object),
            LATITUDE: column("latitude").to_numpy(dtype=object),
            "acled_event_type": event_type.to_numpy(dtype=object),
            "acled_sub_event_type": sub_event_type.to_numpy(dtype=object),
            "geo_precision": precision.to_numpy(),
            "election_related": events.election_related,
            "acled_admin1": column("admin1").to_numpy(dtype=object),
            "acled_location": column("location").to_numpy(dtype=object),
        },
        index=table.frame.index,
    )
    frame["geo_precision"] = frame["geo_precision"].astype("Int64")
    keep = _is_libya(table, lookup)
    rows = table.row_numbers
    problems: list[Problem] = []
    date_column = lookup.get("event_date", "event_date")
    for position in np.flatnonzero(dates.bad & keep):
        problems.append(
            Problem(
                "incidents",
                int(rows[position]),
                date_column,
                f"'{raw_dates.iloc[position]}' is not a date ACLED writes (YYYY-MM-DD, "
                "DD/MM/YYYY, 16 May 2025 or an Excel serial number); correct the value",
            )
        )
    unknown = events.unknown_type & keep
    if unknown.any():
        kinds = sorted(set(event_type.to_numpy(dtype=object)[unknown]))
        problems.append(
            Problem(
                "incidents",
                None,
                lookup.get("event_type", "event_type"),
                f"event type(s) {', '.join(repr(k) for k in kinds[:5])} are not ACLED types "
                f"known here (rows {describe_rows(rows[unknown])}); they were filed as 'other'",
                "warning",
            )
        )
    coarse = (precision.fillna(0).to_numpy() >= COARSE_PRECISION) & keep
    if coarse.any():
        problems.append(
            Problem(
                "incidents",
                None,
                lookup.get("geo_precision", "geo_precision"),
                f"{int(coarse.sum()):,} event(s) have geo_precision 3 (only the region or a "
                f"wider area is known; rows {describe_rows(rows[coarse])}): their points are "
                "too coarse for decisions about single centres; they are kept and marked in "
                "the column geo_precision",
                "warning",
            )
        )
    notes_out = list(table.notes)
    outside = int((~keep).sum())
    if outside:
        countries = column("country").to_numpy(dtype=object)[~keep]
        counts = pd.Series(countries).replace("", "unknown").value_counts()
        listed = ", ".join(f"{name} {n:,}" for name, n in counts.head(6).items())
        notes_out.append(
            f"{outside:,} row(s) outside Libya were left out ({listed}"
            + (", …" if len(counts) > 6 else "")
            + ")"
        )
    kept = int(keep.sum())
    notes_out.append(
        f"{int((events.election_related & keep).sum()):,} of {kept:,} Libyan event(s) are "
        "election-related (tags or notes)"
    )
    if dates.styles:
        styles = ", ".join(f"{k} {v:,}" for k, v in dates.styles.items())
        notes_out.append(f"dates written as: {styles}")
    notes_out.append("ACLED does not count injuries: 'injuries' is set to 0 on every event")
    mapping = mapping_from_columns(
        table.columns,
        {
            "incident_id": "event_id_cnty",
            "date": "event_date",
            "category": "event_type",
            "fatalities": "fatalities",
            "description": "notes",
            LONGITUDE: "longitude",
            LATITUDE: "latitude",
            "geo_precision": "geo_precision",
        },
    )
    return Conversion(
        layer="incidents",
        format="acled",
        table=table,
        frame=frame,
        mapping=mapping,
        keep=keep,
        defaults=(FillDefault("injuries", 0, "ACLED does not count injuries"),),
        extras=(
            "acled_event_type",
            "acled_sub_event_type",
            "geo_precision",
            "election_related",
            "acled_admin1",
            "acled_location",
        ),
        problems=tuple(problems),
        notes=tuple(notes_out),
        label=GENERATION_LABELS[generation],
    )
