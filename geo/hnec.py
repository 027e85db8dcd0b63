"""HNEC centre lists in the SmartElect upload format, turned into polling centres.

SmartElect, the open-source voter-registration system of Libya's High National Elections
Commission (HNEC), uploads centres as CSV with exactly these columns::

    center_id, name, copy_of_id, region_name, office_id, office_name, constituency_name,
    constituency_id, subconstituency_id, subconstituency_name, mahalla_name, village_name,
    center_type, center_lat, center_lon

``center_id`` has 5 digits; ``name`` and the place names are Arabic; ``center_type`` is
written in Arabic or in English (SmartElect accepts both, and real files mix them, even
in two blocks separated by a blank line). The types map to the planner's centre types:

==========  ======================  ============  ============================================
SmartElect  Arabic                  centre_type   why
==========  ======================  ============  ============================================
General     عام                     general
Displaced   نازحين                  displaced     centres for displaced voters
Oil         حقل نفط                 oil_field     centres at oil fields
Disability  مركز تأهيل وايواء       other         care and shelter centres; no planner type
Revolution  ثوار                    military      centres for (former) fighters
Copy        نسخة                    general       a copy of another centre (``copy_of_id``)
Split       (English only)          general       a split centre (sub-constituency 998)
==========  ======================  ============  ============================================

Types are compared after :func:`geo.names.normalise_name`, so hamza, taa marbuta and
article variants agree. The SmartElect type and the other SmartElect fields are kept in
extra columns prefixed ``hnec_``. SmartElect lists carry no station or voter counts and no
status: a centre already in the workspace keeps its own; a new centre gets 0 stations,
0 voters and status ``open``, and the report says so. The municipality is found from the
location by the importer. Coordinates are often **swapped** in these files
(``center_lat`` ≈ 13.98, ``center_lon`` ≈ 31.75 for Bani Walid); the importer detects
it and offers the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.io import RawTable, column_or_blank, describe_rows, header_lookup, not_a_format
from geo.mapping import (
    LATITUDE,
    LONGITUDE,
    Conversion,
    FillDefault,
    mapping_from_columns,
)
from geo.names import normalise_name
from geo.schema import Problem

#: The SmartElect upload columns, in order.
COLUMNS = (
    "center_id",
    "name",
    "copy_of_id",
    "region_name",
    "office_id",
    "office_name",
    "constituency_name",
    "constituency_id",
    "subconstituency_id",
    "subconstituency_name",
    "mahalla_name",
    "village_name",
    "center_type",
    "center_lat",
    "center_lon",
)
#: Columns without which a table is not read as a SmartElect list.
SIGNATURE = ("center_id", "name", "center_type", "center_lat", "center_lon")
#: SmartElect centre IDs lie in this range (5 digits).
CENTRE_ID_RANGE = (10_000, 99_999)
SOURCE = "HNEC SmartElect list"
_KEPT = tuple(c for c in COLUMNS if c not in ("center_id", "name", "center_lat", "center_lon"))


@dataclass(frozen=True)
class HnecCentreType:
    """One SmartElect centre type: its code, English and Arabic names, planner type."""

    code: int
    english: str
    arabic: str | None
    centre_type: str


CENTRE_TYPES: tuple[HnecCentreType, ...] = (
    HnecCentreType(1, "General", "عام", "general"),
    HnecCentreType(2, "Displaced", "نازحين", "displaced"),
    HnecCentreType(3, "Oil", "حقل نفط", "oil_field"),
    HnecCentreType(4, "Disability", "مركز تأهيل وايواء", "other"),
    HnecCentreType(5, "Revolution", "ثوار", "military"),
    HnecCentreType(6, "Copy", "نسخة", "general"),
    HnecCentreType(7, "Split", None, "general"),
)


def _type_lookup() -> dict[str, HnecCentreType]:
    lookup: dict[str, HnecCentreType] = {}
    for kind in CENTRE_TYPES:
        lookup[normalise_name(kind.english)] = kind
        lookup[str(kind.code)] = kind
        if kind.arabic:
            lookup[normalise_name(kind.arabic)] = kind
    return lookup


def is_hnec(columns: tuple[str, ...]) -> bool:
    """Return True when a header has the SmartElect signature columns."""
    lower = {c.strip().lower() for c in columns}
    return set(SIGNATURE) <= lower


def valid_types_text() -> str:
    """Return the accepted ``center_type`` values, e.g. ``عام (General), …``."""
    return ", ".join(f"{k.arabic} ({k.english})" if k.arabic else k.english for k in CENTRE_TYPES)


def convert_hnec(table: RawTable, *, layer: str = "centres") -> Conversion:
    """Turn a SmartElect centre list into centres (see the module docstring).

    Parameters
    ----------
    table
        The list as read by :mod:`geo.io`.
    layer
        Must be ``"centres"``.

    Returns
    -------
    Conversion
        Centre columns as text, longitude/latitude from ``center_lon``/``center_lat``,
        ``hnec_`` extra columns, defaults for counts and status. Problems: centre IDs
        that are not 5 digits, unknown centre types (listing the valid ones), copies of
        centres that are not in the list.

    Raises
    ------
    InputError
        When the table is not a SmartElect list or ``layer`` is not ``centres``.
    """
    if not is_hnec(table.columns):
        raise not_a_format(table, "an HNEC SmartElect list", SIGNATURE)
    if layer != "centres":
        raise InputError(
            f"an HNEC centre list holds polling centres: import it as 'centres', not '{layer}'"
        )
    lookup = header_lookup(table.columns)

    def column(name: str) -> pd.Series:
        return column_or_blank(table, lookup, name).astype("str").str.strip()

    rows = table.row_numbers
    problems: list[Problem] = []
    ids = column("center_id")
    numbers = pd.to_numeric(ids, errors="coerce")
    bad_id = (ids != "") & ~numbers.between(*CENTRE_ID_RANGE).fillna(False)
    bad_id |= (ids != "") & ~ids.str.fullmatch(r"\d{5}").fillna(False)
    for position in np.flatnonzero(bad_id.to_numpy(dtype=bool)):
        problems.append(
            Problem(
                "centres",
                int(rows[position]),
                lookup["center_id"],
                f"'{ids.iloc[position]}' is not an HNEC centre ID (5 digits, "
                f"{CENTRE_ID_RANGE[0]}-{CENTRE_ID_RANGE[1]}); correct it",
            )
        )
    types = _type_lookup()
    raw_types = column("center_type")
    kinds = raw_types.map(lambda v: types.get(normalise_name(v)))
    unknown = (raw_types != "") & kinds.isna()
    for position in np.flatnonzero(unknown.to_numpy(dtype=bool)):
        problems.append(
            Problem(
                "centres",
                int(rows[position]),
                lookup["center_type"],
                f"'{raw_types.iloc[position]}' is not a SmartElect centre type; use one of "
                f"{valid_types_text()}",
            )
        )
    centre_type = kinds.map(lambda k: k.centre_type if k is not None else "")
    centre_type = centre_type.where(~unknown, raw_types)
    copies = column("copy_of_id")
    listed = set(ids)
    orphan = (copies != "") & ~copies.isin(listed)
    if orphan.any():
        problems.append(
            Problem(
                "centres",
                None,
                lookup.get("copy_of_id", "copy_of_id"),
                f"copy_of_id names centre(s) {', '.join(sorted(set(copies[orphan]))[:5])} that "
                f"are not in this list (rows {describe_rows(rows[orphan.to_numpy(dtype=bool)])})"
                "; check that the original centres are imported too",
                "warning",
            )
        )
    frame = pd.DataFrame(
        {
            "centre_id": ids.to_numpy(dtype=object),
            "name_ar": column("name").to_numpy(dtype=object),
            "centre_type": centre_type.to_numpy(dtype=object),
            "source": f"{SOURCE} ({table.name})",
            LONGITUDE: column("center_lon").to_numpy(dtype=object),
            LATITUDE: column("center_lat").to_numpy(dtype=object),
            "hnec_centre_type": kinds.map(lambda k: k.english if k is not None else None)
            .astype(object)
            .to_numpy(),
            **{
                f"hnec_{name}": column(name).to_numpy(dtype=object)
                for name in _KEPT
                if name != "center_type"
            },
        },
        index=table.frame.index,
    )
    counts = pd.Series(raw_types[raw_types != ""]).value_counts()
    mapped = ", ".join(
        f"{value} → {types[normalise_name(value)].centre_type} ({n})"
        for value, n in counts.items()
        if normalise_name(value) in types
    )
    notes = [f"HNEC SmartElect list of {len(table):,} centre(s)", *table.notes]
    if mapped:
        notes.append(f"centre types read: {mapped}")
    reason = "SmartElect lists carry no station or voter counts"
    defaults = (
        FillDefault("stations_male", 0, reason),
        FillDefault("stations_female", 0, reason),
        FillDefault("stations_mixed", 0, reason),
        FillDefault("registered_voters", 0, reason),
        FillDefault("status", "open", "SmartElect lists carry no status"),
    )
    mapping = mapping_from_columns(
        table.columns,
        {
            "centre_id": "center_id",
            "name_ar": "name",
            "centre_type": "center_type",
            LONGITUDE: "center_lon",
            LATITUDE: "center_lat",
        },
    )
    extras = ("hnec_centre_type", *(f"hnec_{n}" for n in _KEPT if n != "center_type"))
    return Conversion(
        layer="centres",
        format="hnec",
        table=table,
        frame=frame,
        mapping=mapping,
        defaults=defaults,
        extras=extras,
        problems=tuple(problems),
        notes=tuple(notes),
    )
