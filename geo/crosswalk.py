"""Municipality lists in other code schemes matched to the workspace's municipalities.

Lists in use name Libya's municipalities with OCHA P-codes (``LY021104``), REACH codes
(``LBY020404``: districts numbered within regions), ISO 3166-2 district codes (``LY-TB``)
plus a name, or names only. :func:`crosswalk_municipalities` matches each row of such a list
to one municipality of the workspace, in this order, and says how and how sure:

==============  ==========  ===============================================================
method          confidence  rule
==============  ==========  ===============================================================
``code``        1.00        the row's code equals a workspace P-code (case and spaces
                            ignored)
``name``        0.98        Arabic **and** English names equal after
                            :func:`geo.names.name_key`
``name_ar``     0.95        the Arabic name equals (hamza, taa marbuta, alef maqsura,
                            diacritics, article and spaces ignored)
``name_en``     0.90        the English name equals, or a known alternative name
                            (Misurata = Misrata, :data:`geo.names.KNOWN_VARIANTS`)
``spelling``    0.80        the English consonant skeletons agree
                            (:func:`geo.names.transliteration_key`) and only one
                            municipality has that skeleton
``fuzzy``       0.60-0.76   the most similar name (Arabic or English) has a similarity
                            ``s`` of at least 0.8; confidence ``0.8 * s - 0.04``
``spatial``     0.70/0.60   the row's point lies in a municipality's polygon (0.70 for
                            official or imported boundaries, 0.60 for approximate ones)
``spatial``     0.50        else the nearest seat within 20 km
==============  ==========  ===============================================================

Each list row gets its best candidate; candidates are assigned greedily from the most
confident down, one list row per municipality, so two rows never claim the same
municipality (the second gets its next candidate or stays unmatched). A row whose two
best candidates tie is left unmatched as ambiguous. Rows below ``min_confidence`` (0.5)
stay unmatched and the closest candidate is named. Blank rows, and in a list whose codes
mostly carry digits the rows whose code has none (REACH's survey options ``dk`` "I don't
know" and ``dwta`` "I prefer not to answer"), are skipped as not being places. With
``locate_named=False`` (how a municipality list is imported) the location matches only rows
without a name, so a named place missing from the workspace is never merged into the
municipality it lies in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.distance import project_lonlat
from geo.errors import InputError
from geo.io import RawTable
from geo.mapping import header_key
from geo.names import is_arabic, name_key, name_similarity, place_key, transliteration_key

CONFIDENCE: Mapping[str, float] = {
    "code": 1.0,
    "name": 0.98,
    "name_ar": 0.95,
    "name_en": 0.90,
    "spelling": 0.80,
    "spatial_polygon": 0.70,
    "spatial_approximate": 0.60,
    "spatial_seat": 0.50,
}
MIN_CONFIDENCE = 0.5
FUZZY_MIN_SIMILARITY = 0.8
SEAT_RADIUS_KM = 20.0

#: Header names recognised for each role of a list's columns (compared by header_key).
LIST_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "code": (
        "municipality_id",
        "municipality_pcode",
        "municipality_code",
        "pcode",
        "adm3_pcode",
        "admin3pcode",
        "code",
    ),
    "name_ar": ("municipality_name_ar", "name_ar", "adm3_ar", "arabic_name", "الاسم", "البلدية"),
    "name_en": ("municipality_name_en", "name_en", "adm3_en", "municipality", "name"),
    "lon": ("longitude", "lon", "long", "lng", "x"),
    "lat": ("latitude", "lat", "y"),
}

RESULT_COLUMNS = (
    "row",
    "source_code",
    "source_name_ar",
    "source_name_en",
    "pcode",
    "name_en",
    "name_ar",
    "method",
    "confidence",
    "note",
)


@dataclass(frozen=True)
class ListColumns:
    """Which columns of a municipality list hold the code, names and coordinates."""

    code: str | None = None
    name_ar: str | None = None
    name_en: str | None = None
    lon: str | None = None
    lat: str | None = None


@dataclass(frozen=True)
class CrosswalkResult:
    """One row per list row: the municipality matched, by which method, how sure.

    ``matches`` has the columns :data:`RESULT_COLUMNS` (``pcode`` empty when unmatched;
    ``method`` ``"none"`` then, ``"skipped"`` for rows that are not places).
    """

    matches: pd.DataFrame

    @property
    def matched(self) -> pd.DataFrame:
        """The rows matched to a municipality."""
        return self.matches.loc[~self.matches["method"].isin(["none", "skipped"])]

    @property
    def unmatched(self) -> pd.DataFrame:
        """The place rows left unmatched, with the closest candidate in ``note``."""
        return self.matches.loc[self.matches["method"] == "none"]

    @property
    def skipped(self) -> pd.DataFrame:
        """Rows that are not places (survey options and blank rows)."""
        return self.matches.loc[self.matches["method"] == "skipped"]

    def summary(self) -> str:
        """Return e.g. ``"96 matched (code 0, name 80, …), 3 unmatched, 2 skipped"``."""
        counts = self.matched["method"].value_counts()
        methods = ", ".join(f"{m} {n}" for m, n in counts.items())
        return (
            f"{len(self.matched)} matched ({methods}), {len(self.unmatched)} unmatched, "
            f"{len(self.skipped)} skipped"
        )


def guess_list_columns(columns: tuple[str, ...]) -> ListColumns:
    """Guess the code, name and coordinate columns of a municipality list from its header."""
    keys = {c: header_key(c) for c in columns}
    found: dict[str, str] = {}
    for role, names in LIST_COLUMNS.items():
        wanted = [header_key(n) for n in names]
        for name in wanted:
            column = next(
                (c for c, k in keys.items() if k == name and c not in found.values()), None
            )
            if column is not None:
                found[role] = column
                break
    return ListColumns(**found)


@dataclass(frozen=True)
class _Candidate:
    target: int
    method: str
    confidence: float


def _english_keys(values: pd.Series) -> list[str]:
    return [place_key(v if isinstance(v, str) else None) for v in values]


def crosswalk_municipalities(
    listing: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    columns: ListColumns | None = None,
    rows: np.ndarray | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    locate_named: bool = True,
) -> CrosswalkResult:
    """Match a list of municipalities to the workspace's (see the module docstring).

    Parameters
    ----------
    listing
        The list, one municipality per row (values as text).
    municipalities
        The workspace layer: ``pcode``, ``name_en``, ``name_ar``, optional polygons,
        ``seat_lon``/``seat_lat`` and ``boundary_kind``.
    columns
        Which list columns hold the code, names and coordinates; guessed when ``None``.
    rows
        The row number of each list row as the user sees it (default ``2, 3, …``: a file
        whose header is row 1).
    min_confidence
        Matches below this stay unmatched.
    locate_named
        When False, the location matches only rows that name no place: a row with a name
        that matches nothing stays unmatched (its note says where it lies) and never takes
        the municipality it lies in from the row that names it.

    Returns
    -------
    CrosswalkResult
        One row per list row.

    Raises
    ------
    InputError
        When the list has neither a code nor a name column, or the workspace has no
        municipalities.
    """
    cols = columns or guess_list_columns(tuple(str(c) for c in listing.columns))
    if cols.code is None and cols.name_ar is None and cols.name_en is None:
        raise InputError(
            "the list has no column of codes or names (looked for municipality_id, pcode, "
            "name_ar, name_en, municipality …); name its columns or choose them"
        )
    if municipalities is None or not len(municipalities):
        raise InputError("the workspace has no municipalities to match against; import them first")
    n = len(listing)
    numbers = np.arange(2, n + 2) if rows is None else np.asarray(rows)

    def text(column: str | None) -> pd.Series:
        if column is None:
            return pd.Series([""] * n, index=listing.index, dtype="str")
        return listing[column].astype("string").fillna("").str.strip().astype("str")

    codes, names_ar, names_en = text(cols.code), text(cols.name_ar), text(cols.name_en)
    targets = municipalities.reset_index(drop=True)
    t_codes = targets["pcode"].astype("string").fillna("").str.strip().str.upper().tolist()
    t_ar = [name_key(v) for v in targets["name_ar"].astype("string").fillna("")]
    t_en = _english_keys(targets["name_en"].astype("string").fillna(""))
    t_skeleton = [transliteration_key(v) for v in targets["name_en"].astype("string").fillna("")]
    skeleton_count = pd.Series(t_skeleton).value_counts()
    code_index = {c: i for i, c in enumerate(t_codes) if c}
    ar_index: dict[str, list[int]] = {}
    en_index: dict[str, list[int]] = {}
    for i, (a, e) in enumerate(zip(t_ar, t_en, strict=True)):
        if a:
            ar_index.setdefault(a, []).append(i)
        if e:
            en_index.setdefault(e, []).append(i)
    points = _list_points(listing, cols)
    spatial = _spatial_candidates(points, targets)
    has_digit = np.array([any(ch.isdigit() for ch in c) for c in codes], dtype=bool)
    blank = np.array(
        [not (c or a or e) for c, a, e in zip(codes, names_ar, names_en, strict=True)], dtype=bool
    )
    # In a list coded with numbers, a row whose code has no digit is an answer option
    # ("dk", "dwta"), not a place.
    coded = cols.code is not None and has_digit.sum() * 2 > n
    skipped = blank | (coded & ~has_digit)
    # English names only count when they are Latin (some lists put Arabic in both).
    candidates: list[list[_Candidate]] = []
    lies_in: dict[int, list[_Candidate]] = {}
    for r in range(n):
        found: list[_Candidate] = []
        if skipped[r]:
            candidates.append(found)
            continue
        code = codes.iloc[r].upper().replace(" ", "")
        if code in code_index:
            found.append(_Candidate(code_index[code], "code", CONFIDENCE["code"]))
        key_ar = name_key(names_ar.iloc[r])
        english = names_en.iloc[r] if not is_arabic(names_en.iloc[r]) else ""
        key_en = place_key(english)
        by_ar = set(ar_index.get(key_ar, [])) if key_ar else set()
        by_en = set(en_index.get(key_en, [])) if key_en else set()
        for i in by_ar & by_en:
            found.append(_Candidate(i, "name", CONFIDENCE["name"]))
        for i in by_ar - by_en:
            found.append(_Candidate(i, "name_ar", CONFIDENCE["name_ar"]))
        for i in by_en - by_ar:
            found.append(_Candidate(i, "name_en", CONFIDENCE["name_en"]))
        skeleton = transliteration_key(english)
        if skeleton and skeleton_count.get(skeleton, 0) == 1:
            found.append(_Candidate(t_skeleton.index(skeleton), "spelling", CONFIDENCE["spelling"]))
        found += _fuzzy_candidates(key_ar, key_en, t_ar, t_en)
        if locate_named or not (names_ar.iloc[r] or names_en.iloc[r]):
            found += spatial.get(r, [])
        elif r in spatial:
            lies_in[r] = spatial[r]
        candidates.append(found)
    matches = _assign(
        candidates, targets, codes, names_ar, names_en, numbers, skipped, min_confidence
    )
    for r, located in lies_in.items():
        if matches.at[r, "method"] == "none":
            target = targets.iloc[max(located, key=lambda c: c.confidence).target]
            matches.at[r, "note"] = (
                f"it lies in {target['name_en']} ({target['pcode']}) but names another place"
            )
    return CrosswalkResult(matches)


def _may_reach(key: str, target: str) -> bool:
    """Whether :func:`geo.names.name_similarity` of these can reach the fuzzy threshold.

    It compares the place keys of the two; its ``difflib`` ratio is at most 2·min(len)/(sum
    of the lengths), and computing it costs the product of the lengths: a name far longer
    (or shorter) than a municipality's is not compared (a list row with a 1 MB name held
    the page for a minute per row). ``key`` is a place key already, once per row.
    """
    shorter, longer = sorted((len(key), len(place_key(target))))
    return shorter > 0 and 2 * shorter >= FUZZY_MIN_SIMILARITY * (shorter + longer)


def _fuzzy_candidates(
    key_ar: str, key_en: str, t_ar: list[str], t_en: list[str]
) -> list[_Candidate]:
    found: list[_Candidate] = []
    # What name_similarity compares: the place key of each side (once here for the row).
    row_ar, row_en = place_key(key_ar), place_key(key_en)
    for i, (a, e) in enumerate(zip(t_ar, t_en, strict=True)):
        best = max(
            name_similarity(key_ar, a) if a and _may_reach(row_ar, a) else 0.0,
            name_similarity(key_en, e) if e and _may_reach(row_en, e) else 0.0,
        )
        if best >= FUZZY_MIN_SIMILARITY and best < 1.0:
            found.append(_Candidate(i, "fuzzy", round(0.8 * best - 0.04, 3)))
    return found


def _list_points(listing: pd.DataFrame, cols: ListColumns) -> np.ndarray | None:
    if cols.lon is None or cols.lat is None:
        return None
    lon = pd.to_numeric(listing[cols.lon], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(listing[cols.lat], errors="coerce").to_numpy(dtype=float)
    points = np.full(len(listing), None, dtype=object)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    points[ok] = shapely.points(lon[ok], lat[ok])
    return points


def _spatial_candidates(
    points: np.ndarray | None, targets: pd.DataFrame
) -> dict[int, list[_Candidate]]:
    found: dict[int, list[_Candidate]] = {}
    if points is None:
        return found
    located = np.flatnonzero(~shapely.is_missing(points))
    if not len(located):
        return found
    if isinstance(targets, gpd.GeoDataFrame):
        polygons = targets.geometry.to_numpy()
        has = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
        kinds = targets.get("boundary_kind", pd.Series("approximate", index=targets.index))
        for r in located:
            inside = np.flatnonzero(has)[shapely.covers(polygons[has], points[r])]
            for i in inside:
                method = (
                    "spatial_approximate" if kinds.iloc[i] == "approximate" else "spatial_polygon"
                )
                found.setdefault(int(r), []).append(
                    _Candidate(int(i), "spatial", CONFIDENCE[method])
                )
    if {"seat_lon", "seat_lat"} <= set(targets.columns):
        sx, sy = project_lonlat(
            targets["seat_lon"].to_numpy(dtype=float), targets["seat_lat"].to_numpy(dtype=float)
        )
        for r in located:
            if r in found:
                continue
            px, py = project_lonlat([shapely.get_x(points[r])], [shapely.get_y(points[r])])
            distance_km = np.hypot(sx - px[0], sy - py[0]) / 1000
            nearest = int(np.nanargmin(distance_km))
            if distance_km[nearest] <= SEAT_RADIUS_KM:
                found[int(r)] = [_Candidate(nearest, "spatial", CONFIDENCE["spatial_seat"])]
    return found


def _assign(
    candidates: list[list[_Candidate]],
    targets: pd.DataFrame,
    codes: pd.Series,
    names_ar: pd.Series,
    names_en: pd.Series,
    numbers: np.ndarray,
    skipped: np.ndarray,
    min_confidence: float,
) -> pd.DataFrame:
    """Assign rows to municipalities greedily by confidence, one row per municipality."""
    best_by_row: list[dict[int, _Candidate]] = []
    for found in candidates:
        best: dict[int, _Candidate] = {}
        for c in found:
            if c.target not in best or c.confidence > best[c.target].confidence:
                best[c.target] = c
        best_by_row.append(best)
    pairs = sorted(
        ((c.confidence, r, c) for r, best in enumerate(best_by_row) for c in best.values()),
        key=lambda item: (-item[0], item[1], item[2].target),
    )
    assigned: dict[int, _Candidate] = {}
    taken: dict[int, int] = {}
    ambiguous: set[int] = set()
    for confidence, r, c in pairs:
        if r in assigned or r in ambiguous or c.target in taken or confidence < min_confidence:
            continue
        rivals = [
            o
            for o in best_by_row[r].values()
            if o.target != c.target and o.confidence == confidence and o.target not in taken
        ]
        if rivals:
            ambiguous.add(r)
            continue
        assigned[r] = c
        taken[c.target] = r
    records = []
    for r in range(len(candidates)):
        record = {
            "row": int(numbers[r]),
            "source_code": codes.iloc[r],
            "source_name_ar": names_ar.iloc[r],
            "source_name_en": names_en.iloc[r],
            "pcode": "",
            "name_en": "",
            "name_ar": "",
            "method": "none",
            "confidence": 0.0,
            "note": "",
        }
        if skipped[r]:
            record.update(method="skipped", note="not a place (blank, or a code without digits)")
        elif r in assigned:
            c = assigned[r]
            target = targets.iloc[c.target]
            record.update(
                pcode=str(target["pcode"]),
                name_en=str(target["name_en"]),
                name_ar=str(target["name_ar"]),
                method=c.method,
                confidence=c.confidence,
            )
        else:
            record["note"] = _unmatched_note(r, best_by_row[r], targets, taken, ambiguous, numbers)
        records.append(record)
    return pd.DataFrame.from_records(records, columns=list(RESULT_COLUMNS))


def _unmatched_note(
    r: int,
    best: Mapping[int, _Candidate],
    targets: pd.DataFrame,
    taken: Mapping[int, int],
    ambiguous: set[int],
    numbers: np.ndarray,
) -> str:
    if not best:
        return "no municipality of the workspace has this code or a similar name"
    top = max(best.values(), key=lambda c: c.confidence)
    target = targets.iloc[top.target]
    label = f"{target['name_en']} ({target['pcode']}, {top.method} {top.confidence:.2f})"
    if r in ambiguous:
        return f"ambiguous: several municipalities match equally well, e.g. {label}"
    if top.target in taken:
        return f"closest: {label}, already matched to row {int(numbers[taken[top.target]])}"
    return f"closest: {label}, below the confidence threshold"


def crosswalk_table(
    table: RawTable, municipalities: pd.DataFrame, **kwargs: object
) -> CrosswalkResult:
    """Run :func:`crosswalk_municipalities` on a file's table, keeping its row numbers."""
    return crosswalk_municipalities(
        table.frame,
        municipalities,
        rows=table.row_numbers,
        **kwargs,  # type: ignore[arg-type]
    )
