"""How a file's columns become a layer's: targets, header synonyms, HXL hashtags, mappings.

A *target* is a column the importer fills: every schema column of the layer
(:mod:`geo.schema`) plus a few that are read and then turned into schema columns:

- ``longitude`` and ``latitude`` (degrees WGS84) make the point of a point layer;
- ``wkt`` holds a polygon as Well-Known Text when a table (not a GIS file) carries polygons;
- ``municipality_name`` names the municipality when no P-code is given; the importer
  looks it up among the workspace's municipalities (Arabic or English, spelling-tolerant);
- ``list_id`` is a municipality list's own ID (a ministry's number, not a P-code): such a
  list is matched to the workspace's municipalities (see :mod:`geo.imports`) and the ID
  is kept in a ``list_id`` column.

:func:`suggest_mapping` proposes, for each target, the file column whose header matches it:
the canonical name, the English or Arabic template header (:data:`ARABIC_HEADERS`), a
common synonym (:data:`SYNONYMS`), or an HXL hashtag (:data:`HXL_RULES`). Headers are
compared by :func:`header_key` (case, spaces, punctuation and articles ignored). Users
correct the proposal in the mapping step; :func:`apply_mapping` then builds a
:class:`Conversion`, the common shape every format adapter (ACLED, HNEC, COD-AB, generic)
hands to :func:`geo.imports.prepare_import`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InputError
from geo.io import JsonProblem, RawTable, header_lookup, parse_json
from geo.names import normalise_name
from geo.schema import LAYERS, Problem

FormatName = Literal["cod-ab", "hnec", "acled", "hxl", "generic"]
FORMAT_NAMES: tuple[FormatName, ...] = ("cod-ab", "hnec", "acled", "hxl", "generic")
FORMAT_LABELS: Mapping[str, str] = {
    "cod-ab": "OCHA COD-AB administrative boundaries",
    "hnec": "HNEC SmartElect centre list",
    "acled": "ACLED event export",
    "hxl": "HXL-tagged table",
    "generic": "table or GIS file with a column mapping",
}

LONGITUDE = "longitude"
LATITUDE = "latitude"
WKT = "wkt"
MUNICIPALITY_NAME = "municipality_name"
LIST_ID = "list_id"
PSEUDO_TARGETS = (LONGITUDE, LATITUDE, WKT, MUNICIPALITY_NAME, LIST_ID)

#: Arabic headers of the templates (and accepted on import), by target.
ARABIC_HEADERS: Mapping[str, str] = {
    "pcode": "الرمز",
    "name_en": "الاسم بالإنجليزية",
    "name_ar": "الاسم بالعربية",
    "region_pcode": "رمز الإقليم",
    "district_pcode": "رمز الشعبية",
    "municipality_pcode": "رمز البلدية",
    "population": "عدد السكان",
    "boundary_kind": "نوع الحدود",
    "seat_lon": "خط طول مقر البلدية",
    "seat_lat": "خط عرض مقر البلدية",
    "source": "المصدر",
    "centre_id": "رقم المركز",
    "centre_type": "نوع المركز",
    "stations_male": "محطات الرجال",
    "stations_female": "محطات النساء",
    "stations_mixed": "محطات مختلطة",
    "registered_voters": "الناخبون المسجلون",
    "voters_male": "الناخبون الرجال",
    "voters_female": "الناخبات النساء",
    "status": "الحالة",
    "audit_id": "رقم التدقيق",
    "audit_date": "تاريخ التدقيق",
    "step_free_entrance": "مدخل بدون درج",
    "ramp": "منحدر",
    "ground_floor_voting": "اقتراع في الطابق الأرضي",
    "accessible_toilet": "دورة مياه ميسرة",
    "parking_near": "موقف سيارات قريب",
    "notes": "ملاحظات",
    "unit_id": "رقم الوحدة",
    "agency": "الجهة",
    "unit_type": "نوع الوحدة",
    "assigned_centre_id": "رقم المركز المكلفة به",
    "officers": "عدد العناصر",
    "female_officers": "العناصر النسائية",
    "vehicles": "المركبات",
    "response_radius_km": "نطاق الاستجابة كم",
    "incident_id": "رقم الحادثة",
    "date": "التاريخ",
    "election": "الانتخابات",
    "category": "الفئة",
    "severity": "درجة الخطورة",
    "fatalities": "القتلى",
    "injuries": "الجرحى",
    "verified": "تم التحقق",
    "description": "الوصف",
    LONGITUDE: "خط الطول",
    LATITUDE: "خط العرض",
    WKT: "الشكل WKT",
    MUNICIPALITY_NAME: "اسم البلدية",
    LIST_ID: "رقم القائمة",
}

#: Other headers commonly used for a target (any layer); compared by :func:`header_key`.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    LONGITUDE: ("lon", "long", "lng", "x", "longitude_dd", "center_lon", "centre_lon", "gps_lon"),
    LATITUDE: ("lat", "y", "latitude_dd", "center_lat", "centre_lat", "gps_lat"),
    WKT: ("geometry", "geom", "the_geom", "shape", "wkt_geom"),
    "pcode": ("p_code", "admin_pcode", "code"),
    LIST_ID: (
        "id",
        "municipality_id",
        "muni_id",
        "mun_id",
        "baladiya_id",
        "no",
        "number",
        "رقم",
        "الرقم",
    ),  # fmt: skip
    "seat_lon": ("longitude", "lon", "long", "lng", "x", "seat_longitude", "longitude_dd"),
    "seat_lat": ("latitude", "lat", "y", "seat_latitude", "latitude_dd"),
    "name_en": ("name", "english_name", "name_english", "name (english)"),
    "name_ar": ("arabic_name", "name_arabic", "name (arabic)", "الاسم", "اسم"),
    "centre_id": ("center_id", "centre_code", "center_code", "polling_centre_id", "pc_id"),
    "municipality_pcode": (
        "municipality_code",
        "baladiya_pcode",
        "adm3_pcode",
        "admin3_pcode",
        "muni_pcode",
    ),
    MUNICIPALITY_NAME: ("municipality", "baladiya", "baladiyah", "admin3", "adm3_en", "البلدية"),
    "district_pcode": ("district_code", "adm2_pcode", "admin2_pcode", "mantika_pcode"),
    "region_pcode": ("region_code", "adm1_pcode", "admin1_pcode"),
    "centre_type": ("center_type", "type"),
    "registered_voters": ("voters", "registered", "total_voters", "الناخبون"),
    "stations_male": ("male_stations", "stations_men"),
    "stations_female": ("female_stations", "stations_women"),
    "stations_mixed": ("mixed_stations",),
    "assigned_centre_id": ("assigned_center_id", "centre", "center"),
    "response_radius_km": ("radius_km", "response_radius"),
    "incident_id": ("event_id", "id_incident"),
    "date": ("event_date", "incident_date", "date_occurred"),
    "fatalities": ("killed", "deaths"),
    "injuries": ("injured", "wounded"),
    "description": ("notes_incident", "details", "summary"),
    "audit_date": ("date_audit", "visit_date"),
    "officers": ("personnel", "staff"),
    "female_officers": ("women_officers", "policewomen"),
}
#: Synonyms that hold in one layer only: a centre list's ``municipality_name_en`` names
#: the centre's municipality, a municipality list's names the municipality itself.
LAYER_SYNONYMS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "municipalities": {
        "name_en": ("municipality_name_en",),
        "name_ar": ("municipality_name_ar",),
    },
}


@dataclass(frozen=True)
class HxlRule:
    """An HXL hashtag (with the attributes it must carry) and the target it fills."""

    hashtag: str
    attributes: frozenset[str]
    target: str


def _rule(tag: str, target: str) -> HxlRule:
    parts = tag.lstrip("#").split("+")
    return HxlRule(parts[0], frozenset(parts[1:]), target)


#: HXL hashtags understood, most specific first (see hxlstandard.org for the vocabulary).
HXL_RULES: tuple[HxlRule, ...] = tuple(
    _rule(tag, target)
    for tag, target in (
        ("#geo+lat", LATITUDE),
        ("#geo+lon", LONGITUDE),
        ("#loc+name+i_ar", "name_ar"),
        ("#loc+name+i_en", "name_en"),
        ("#loc+name", "name_en"),
        ("#loc+code", "centre_id"),
        ("#loc+id", "centre_id"),
        ("#loc+type", "centre_type"),
        ("#adm3+code", "municipality_pcode"),
        ("#adm3+name", MUNICIPALITY_NAME),
        ("#adm2+code", "district_pcode"),
        ("#adm1+code", "region_pcode"),
        ("#event+id", "incident_id"),
        ("#event+code", "incident_id"),
        ("#event+category", "category"),
        ("#event+type", "category"),
        ("#date+occurred", "date"),
        ("#date", "date"),
        ("#severity", "severity"),
        ("#affected+killed", "fatalities"),
        ("#affected+injured", "injuries"),
        ("#description", "description"),
        ("#meta+source", "source"),
        ("#status", "status"),
        ("#org+name", "agency"),
        ("#org", "agency"),
        ("#population+voters+m", "voters_male"),
        ("#population+voters+f", "voters_female"),
        ("#population+voters", "registered_voters"),
        ("#indicator+stations+m", "stations_male"),
        ("#indicator+stations+f", "stations_female"),
        ("#indicator+stations+mixed", "stations_mixed"),
    )
)


def targets_of(layer: str) -> tuple[str, ...]:
    """Return the targets a file can fill for ``layer``, schema columns first."""
    schema = LAYERS[layer]
    extra: list[str] = []
    if schema.geometry == "point":
        extra += [LONGITUDE, LATITUDE]
    elif schema.geometry == "polygon":
        extra.append(WKT)
    if "municipality_pcode" in schema.column_names:
        extra.append(MUNICIPALITY_NAME)
    if layer == "municipalities":
        extra.append(LIST_ID)
    return (*schema.column_names, *extra)


def header_key(header: str) -> str:
    """Return ``header`` reduced for comparison: ``"Centre ID"`` and ``"centre_id"`` agree."""
    return re.sub(r"[\W_]+", "", normalise_name(header))


def parse_hxl_tag(tag: str) -> tuple[str, frozenset[str]] | None:
    """Split ``#loc+name+i_ar`` into (``"loc"``, {``"name"``, ``"i_ar"``}); None if not a tag."""
    text = re.sub(r"\s+", "", tag or "").lower()
    if not text.startswith("#") or len(text) < 2:
        return None
    parts = text[1:].split("+")
    return parts[0], frozenset(p for p in parts[1:] if p)


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column fills which target: ``pairs`` of (target, source column)."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, mapping: Mapping[str, str | None]) -> ColumnMapping:
        """Build a mapping from ``{target: source}``; empty sources are left out."""
        return cls(tuple((t, s) for t, s in mapping.items() if s))

    def as_dict(self) -> dict[str, str]:
        """Return ``{target: source}``."""
        return dict(self.pairs)

    def source_of(self, target: str) -> str | None:
        """Return the file column that fills ``target``, or None."""
        return self.as_dict().get(target)

    @property
    def targets(self) -> tuple[str, ...]:
        """The targets filled, in order."""
        return tuple(t for t, _ in self.pairs)

    def describe(self) -> pd.DataFrame:
        """Return the mapping as a table (``column in the file``, ``imported as``)."""
        return pd.DataFrame(
            {"column in the file": [s for _, s in self.pairs], "imported as": list(self.targets)}
        )


@dataclass(frozen=True)
class FillDefault:
    """A value given to new rows when the file has no column for ``column``; said so."""

    column: str
    value: object
    reason: str


@dataclass(frozen=True)
class Conversion:
    """A file table turned into a layer's columns, before validation.

    Attributes
    ----------
    layer
        Target layer.
    format
        The format adapter that made it.
    table
        The source table (its rows, row numbers and original values).
    frame
        One row per table row (same positions): target columns (values as text, or
        already canonical), plus ``extras`` (kept in the layer).
    mapping
        Target → source column, to name the user's columns in messages.
    geometry
        Geometries of a GIS source, in the file's CRS (``None`` for tables).
    keep
        Rows that belong to the import; the others are left out (with a note), not
        rejected. ``None`` keeps every row.
    defaults
        Values for new rows when the file lacks a column.
    extras
        Columns outside the schema that are stored with the layer.
    problems
        What the adapter found, with the user's row numbers.
    notes
        Facts to tell the user.
    label
        A readable name of the format (e.g. the ACLED generation); the format's own name
        when empty.
    """

    layer: str
    format: FormatName
    table: RawTable
    frame: pd.DataFrame
    mapping: ColumnMapping
    geometry: gpd.GeoSeries | None = None
    keep: NDArray[np.bool_] | None = None
    defaults: tuple[FillDefault, ...] = ()
    extras: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    label: str = ""


def _candidates(target: str, layer: str) -> set[str]:
    names = {target, *SYNONYMS.get(target, ()), *LAYER_SYNONYMS.get(layer, {}).get(target, ())}
    if target in ARABIC_HEADERS:
        names.add(ARABIC_HEADERS[target])
    return {header_key(n) for n in names}


def suggest_mapping(table: RawTable, layer: str) -> ColumnMapping:
    """Propose a mapping of ``table``'s columns onto the targets of ``layer``.

    HXL hashtags are matched first (the most specific rule wins), then headers: the
    canonical name or its Arabic template header before synonyms. Each column fills at
    most one target and each target at most one column; the layer's key may also be
    matched by a column called ``id``.

    Parameters
    ----------
    table
        The file's table.
    layer
        A layer of :data:`geo.schema.LAYERS`.

    Returns
    -------
    ColumnMapping
        The proposal, in target order.
    """
    targets = targets_of(layer)
    chosen: dict[str, str] = {}
    used: set[str] = set()
    if table.hxl_tags is not None:
        for column, tag in zip(table.columns, table.hxl_tags, strict=True):
            parsed = parse_hxl_tag(tag)
            if parsed is None:
                continue
            hashtag, attributes = parsed
            for rule in HXL_RULES:
                if rule.target not in targets or rule.target in chosen:
                    continue
                if rule.hashtag == hashtag and rule.attributes <= attributes:
                    chosen[rule.target] = column
                    used.add(column)
                    break
    keys = {column: header_key(column) for column in table.columns}
    for strict in (True, False):
        for target in targets:
            if target in chosen:
                continue
            wanted = (
                {header_key(target), header_key(ARABIC_HEADERS.get(target, target))}
                if strict
                else _candidates(target, layer)
                | ({"id"} if target == _key_target(layer) else set())
            )
            for column in table.columns:
                if column not in used and keys[column] in wanted:
                    chosen[target] = column
                    used.add(column)
                    break
    # A JSON table's nested field (``location.lat``) fills a target its last part names,
    # when no column of the whole name did.
    nested = [c for c in table.columns if "." in c and c not in used]
    for target in targets:
        if target in chosen:
            continue
        wanted = {header_key(target)} | _candidates(target, layer)
        for column in nested:
            if column not in used and header_key(column.rsplit(".", 1)[-1]) in wanted:
                chosen[target] = column
                used.add(column)
                break
    return ColumnMapping(tuple((t, chosen[t]) for t in targets if t in chosen))


def _key_target(layer: str) -> str:
    """Return the target an ``id`` column fills: the key, or a municipality list's own ID.

    An ``id`` beside municipality names is a list's number (1, 2, …), never an OCHA
    P-code, so it fills ``list_id`` and the rows are matched (see :mod:`geo.imports`).
    """
    return LIST_ID if layer == "municipalities" else LAYERS[layer].key


def guess_layer(table: RawTable) -> str | None:
    """Return the layer whose columns a table fills best, or None when none fits.

    Each layer scores the number of its targets that :func:`suggest_mapping` fills, plus 3
    when its key is among them; a layer needs its key and at least three targets.
    """
    best: tuple[int, str] | None = None
    for layer, schema in LAYERS.items():
        mapped = suggest_mapping(table, layer).targets
        if not {schema.key, _key_target(layer)} & set(mapped) or len(mapped) < 3:
            continue
        score = len(mapped) + 3
        if best is None or score > best[0]:
            best = (score, layer)
    return None if best is None else best[1]


def check_mapping(table: RawTable, layer: str, mapping: ColumnMapping) -> None:
    """Raise :class:`InputError` when ``mapping`` names unknown targets or columns.

    A column may fill several targets (e.g. one name column for both languages), but a
    target is filled by one column.
    """
    problems: list[str] = []
    targets = set(targets_of(layer))
    seen: set[str] = set()
    for target, source in mapping.pairs:
        if target not in targets:
            problems.append(f"'{target}' is not a column of layer '{layer}'")
        if source not in table.columns:
            problems.append(f"the file has no column '{source}' (mapped to '{target}')")
        if target in seen:
            problems.append(f"'{target}' is mapped twice; keep one file column for it")
        seen.add(target)
    if problems:
        raise InputError(
            "the column mapping cannot be used: " + "; ".join(problems) + ". Correct the mapping."
        )


#: What a saved column mapping says it is (``--save-mapping``), and its format version.
SAVED_MAPPING_KIND = "column mapping"
SAVED_MAPPING_VERSION = 1
#: A saved mapping is a few hundred bytes; a file larger than this is refused unread.
MAX_MAPPING_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SavedMapping:
    """A column mapping saved for one layer (``--save-mapping FILE``, ``--mapping FILE``)."""

    layer: str
    mapping: ColumnMapping


#: Longest name of a mapping saved in the workspace.
MAPPING_NAME_CHARS = 64


def is_mapping_file(value: str) -> bool:
    """Tell whether ``--mapping``/``--save-mapping VALUE`` is a file rather than a name.

    A file: a value ending in ``.json``, naming a folder, or an existing file; any other
    value is the name of a mapping kept in the workspace.
    """
    path = Path(value)
    return value.lower().endswith(".json") or "/" in value or path.is_file()


def check_mapping_name(name: str) -> str:
    """Return ``name`` stripped, or raise :class:`InputError` saying what a name may be.

    A name is printable text (no control characters or line breaks) of 1 to
    :data:`MAPPING_NAME_CHARS` characters.
    """
    text = name.strip()
    rule = f"a mapping's name is printable text of 1 to {MAPPING_NAME_CHARS} characters"
    if not text:
        raise InputError(f"the mapping name is empty; {rule}, e.g. 'ministry list'")
    if len(text) > MAPPING_NAME_CHARS:
        raise InputError(f"the mapping name has {len(text)} characters; {rule}")
    if not text.isprintable():
        raise InputError(
            f"the mapping name '{text.encode('unicode_escape').decode('ascii')[:80]}' holds a "
            f"control character or line break; {rule}"
        )
    return text


def dump_mapping(layer: str, mapping: ColumnMapping) -> bytes:
    """Return ``mapping`` as the JSON of a saved mapping (UTF-8, indented).

    ``{"kind": "column mapping", "version": 1, "layer": "centres",
    "columns": {"centre_id": "kod", …}}``: ``columns`` maps each target to the file's column.
    """
    content = {
        "kind": SAVED_MAPPING_KIND,
        "version": SAVED_MAPPING_VERSION,
        "layer": layer,
        "columns": mapping.as_dict(),
    }
    return (json.dumps(content, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def load_mapping(content: bytes, *, name: str) -> SavedMapping:
    """Read a mapping written by :func:`dump_mapping`.

    Parameters
    ----------
    content
        The file's bytes.
    name
        The file's name, for messages.

    Raises
    ------
    InputError
        When the content is not such a mapping (not JSON, another kind, no layer, columns
        that are not text), naming the file and how to make one.
    """
    fix = "save one with --save-mapping FILE on an import that maps the columns"
    if len(content) > MAX_MAPPING_BYTES:
        raise InputError(
            f"the column mapping {name} is larger than {MAX_MAPPING_BYTES // 2**20} MB, far "
            f"more than a mapping of column names needs; {fix}"
        )
    try:
        data = parse_json(content.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the column mapping {name} is not a column mapping saved by --save-mapping "
            f"(not UTF-8 text: {exc.reason} at byte {exc.start}); {fix}"
        ) from exc
    except JsonProblem as exc:
        raise InputError(
            f"the column mapping {name} is not a column mapping saved by --save-mapping "
            f"({exc}); {fix}"
        ) from exc
    columns = data.get("columns") if isinstance(data, dict) else None
    layer = data.get("layer") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("kind") != SAVED_MAPPING_KIND
        or not isinstance(layer, str)
        or not isinstance(columns, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items())
    ):
        raise InputError(
            f"the column mapping {name} is not a column mapping saved by --save-mapping "
            f'(it needs "kind": "{SAVED_MAPPING_KIND}", a "layer" and "columns" '
            f"of target: file column); {fix}"
        )
    if data.get("version") != SAVED_MAPPING_VERSION:
        raise InputError(
            f"the column mapping {name} has version {data.get('version')!r}, and this version "
            f"of the planner reads version {SAVED_MAPPING_VERSION}; {fix}"
        )
    return SavedMapping(layer, ColumnMapping(tuple(columns.items())))


#: Values given to new rows of a layer when a generic file lacks the column.
GENERIC_DEFAULTS: Mapping[str, tuple[FillDefault, ...]] = {
    "centres": (
        FillDefault("status", "open", "the file has no status column"),
        FillDefault("stations_mixed", 0, "the file has no column of mixed stations"),
    ),
    "incidents": (
        FillDefault("fatalities", 0, "the file has no fatalities column"),
        FillDefault("injuries", 0, "the file has no injuries column"),
    ),
    "units": (FillDefault("vehicles", 0, "the file has no vehicles column"),),
    "municipalities": (FillDefault("boundary_kind", "imported", "polygons from a file"),),
}
#: A municipality table without polygons (seats only): its boundaries are not known.
SEATS_ONLY_DEFAULTS: tuple[FillDefault, ...] = (
    FillDefault("boundary_kind", "approximate", "a table of seats, without boundaries"),
)


def apply_mapping(
    table: RawTable,
    layer: str,
    mapping: ColumnMapping,
    *,
    format_name: FormatName = "generic",
) -> Conversion:
    """Build the :class:`Conversion` of a generic (or HXL) table with ``mapping``.

    Columns not in the mapping are not imported; the notes list them.

    Raises
    ------
    InputError
        When the mapping names a column the file lacks or a target the layer lacks.
    """
    check_mapping(table, layer, mapping)
    frame = pd.DataFrame(
        {target: table.frame[source].to_numpy() for target, source in mapping.pairs},
        index=table.frame.index,
    )
    unused = [c for c in table.columns if c not in set(mapping.as_dict().values())]
    notes = list(table.notes)
    if unused:
        notes.append(
            f"column(s) not imported (not mapped): {', '.join(unused[:12])}"
            + (" …" if len(unused) > 12 else "")
        )
    return Conversion(
        layer=layer,
        format=format_name,
        table=table,
        frame=frame,
        mapping=mapping,
        geometry=table.geometry,
        defaults=(
            SEATS_ONLY_DEFAULTS
            if layer == "municipalities" and table.geometry is None and WKT not in frame
            else GENERIC_DEFAULTS.get(layer, ())
        ),
        notes=tuple(notes),
    )


def template_headers(layer: str, lang: Literal["en", "ar"] = "en") -> list[str]:
    """Return the header row of the layer's template, in English or Arabic.

    Point layers get ``longitude``/``latitude``; polygon layers a ``wkt`` column;
    ``municipality_name`` is left out (the P-code is the reference).
    """
    names = [t for t in targets_of(layer) if t not in (MUNICIPALITY_NAME, LIST_ID)]
    if lang == "ar":
        return [ARABIC_HEADERS.get(n, n) for n in names]
    return names


def describe_targets(layer: str) -> pd.DataFrame:
    """One row per target of ``layer``: kind, required, allowed values (for the template)."""
    schema = LAYERS[layer]
    rows = []
    for target in targets_of(layer):
        if target in schema.column_names:
            col = schema.column(target)
            kind = {
                "str": "text",
                "int": "whole number",
                "float": "number",
                "bool": "yes/no",
                "date": "date YYYY-MM-DD",
            }[col.kind]
            required = "yes" if col.must_be_present else "no"
            allowed = ", ".join(col.allowed) if col.allowed else ""
        else:
            kind = {
                LONGITUDE: "number, degrees east (WGS84)",
                LATITUDE: "number, degrees north (WGS84)",
                WKT: "polygon as WKT, WGS84",
                MUNICIPALITY_NAME: "text (Arabic or English)",
                LIST_ID: "text: a list's own ID (not a P-code); rows are matched by name",
            }[target]
            required = "yes" if target in (LONGITUDE, LATITUDE) else "no"
            allowed = ""
        if target == "source" or (target, layer) in {("status", "centres")}:
            required = "no"
        rows.append(
            {
                "column": target,
                "arabic header": ARABIC_HEADERS.get(target, ""),
                "kind": kind,
                "required": required,
                "allowed values": allowed,
            }
        )
    return pd.DataFrame(rows)


def mapping_from_columns(columns: Iterable[str], mapping: Mapping[str, str]) -> ColumnMapping:
    """Keep the pairs of ``{target: source}`` whose source is among ``columns``.

    Sources are compared stripped and in lower case; the mapping names each source as
    ``columns`` spells it.
    """
    lookup = header_lookup(columns)
    return ColumnMapping(tuple((t, lookup[s]) for t, s in mapping.items() if s in lookup))
