"""What the map page shows: the filter model, its application to the layers, URL form, search.

A :class:`MapFilters` is a frozen set of choices: areas (regions, districts,
municipalities), elections, incident categories, a date range, unit agencies and types,
centre types and access statuses. An empty choice means "all". :func:`apply_filters`
returns the layers restricted to those choices (:class:`FilteredLayers`), so the map and
the figures above it always agree. :func:`filters_to_query` and :func:`filters_from_query`
turn filters into URL query parameters and back, so that a link reproduces the view.
:func:`search_places` finds centres by ID or by name, and municipalities by name, in
Arabic or English, tolerant of spelling variants (:func:`geo.names.normalise_name`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.access import ACCESS_STATUSES, centre_access
from geo.errors import InputError
from geo.names import name_key, normalise_name, transliteration_key
from geo.schema import CENTRE_TYPES, INCIDENT_CATEGORIES, UNIT_TYPES, empty_layer

#: Label of incidents that name no election.
NO_ELECTION = "(no election)"

#: Field of :class:`MapFilters` -> its URL query parameter.
QUERY_KEYS: Mapping[str, str] = {
    "regions": "region",
    "districts": "district",
    "municipalities": "municipality",
    "elections": "election",
    "incident_categories": "category",
    "date_from": "from",
    "date_to": "to",
    "unit_agencies": "agency",
    "unit_types": "unit_type",
    "centre_types": "centre_type",
    "access_statuses": "access",
}


def _canonical(values: Sequence[str] | str | None) -> tuple[str, ...]:
    """Sorted, de-duplicated text values (so equal choices give equal filters)."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = (values,)
    return tuple(sorted({str(v) for v in values if v is not None and str(v) != ""}))


@dataclass(frozen=True)
class MapFilters:
    """The choices that restrict what the map page shows; an empty choice means "all".

    Attributes
    ----------
    regions, districts, municipalities
        Area P-codes. A municipality is in the area when it satisfies every level given.
    elections
        Incident elections (:data:`NO_ELECTION` for incidents that name none).
    incident_categories
        Incident categories (:data:`geo.schema.INCIDENT_CATEGORIES`).
    date_from, date_to
        Incident dates, both inclusive; ``None`` leaves that end open.
    unit_agencies, unit_types
        Security unit agencies and types.
    centre_types
        Polling centre types.
    access_statuses
        Centre access statuses (:data:`geo.access.ACCESS_STATUSES`).
    """

    regions: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    elections: tuple[str, ...] = ()
    incident_categories: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    unit_agencies: tuple[str, ...] = ()
    unit_types: tuple[str, ...] = ()
    centre_types: tuple[str, ...] = ()
    access_statuses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Make choices canonical (sorted tuples) and check the date range."""
        for f in fields(self):
            if f.name not in ("date_from", "date_to"):
                object.__setattr__(self, f.name, _canonical(getattr(self, f.name)))
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                object.__setattr__(self, name, value.date())
            elif value is not None and not isinstance(value, dt.date):
                raise InputError(f"{name} must be a date or None, got {value!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InputError(
                f"the date range starts on {self.date_from:%Y-%m-%d}, after its end "
                f"{self.date_to:%Y-%m-%d}; swap the two dates"
            )

    @property
    def has_area(self) -> bool:
        """True when the view is restricted to some regions, districts or municipalities."""
        return bool(self.regions or self.districts or self.municipalities)

    @property
    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return self == MapFilters()


@dataclass(frozen=True)
class FilterOptions:
    """The values each filter can take in a workspace, for the sidebar.

    ``regions``, ``districts`` and ``municipalities`` are tables with ``pcode``,
    ``name_en``, ``name_ar`` and the parent code (``region_pcode``, ``district_pcode``);
    the other fields are the distinct values found in the layers (plus the schema's).
    """

    regions: pd.DataFrame
    districts: pd.DataFrame
    municipalities: pd.DataFrame
    elections: tuple[str, ...]
    incident_categories: tuple[str, ...]
    first_date: dt.date | None
    last_date: dt.date | None
    unit_agencies: tuple[str, ...]
    unit_types: tuple[str, ...]
    centre_types: tuple[str, ...]
    access_statuses: tuple[str, ...]


def _names(frame: pd.DataFrame | None, parent: str | None) -> pd.DataFrame:
    columns = ["pcode", "name_en", "name_ar", *([parent] if parent else [])]
    if frame is None or not len(frame):
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    present = [c for c in columns if c in frame.columns]
    table = pd.DataFrame(frame[present]).reindex(columns=columns)
    return table.sort_values(["name_en", "pcode"], na_position="last").reset_index(drop=True)


def _distinct(frame: pd.DataFrame | None, column: str) -> tuple[str, ...]:
    if frame is None or column not in frame.columns:
        return ()
    return tuple(sorted(frame[column].dropna().astype("str").unique()))


def filter_options(layers: Mapping[str, pd.DataFrame]) -> FilterOptions:
    """Return the choices of every filter found in ``layers`` (layer name -> frame).

    Schema values (centre types, unit types, categories, access statuses) are always
    offered, in the schema's order; agencies and elections are those in the data. An
    election choice :data:`NO_ELECTION` is offered when some incident names none.
    """
    incidents = layers.get("incidents")
    elections = _distinct(incidents, "election")
    if incidents is not None and "election" in incidents and incidents["election"].isna().any():
        elections = (*elections, NO_ELECTION)
    first = last = None
    if incidents is not None and len(incidents) and "date" in incidents:
        dates = pd.to_datetime(incidents["date"]).dropna()
        if len(dates):
            first, last = dates.min().date(), dates.max().date()
    return FilterOptions(
        regions=_names(layers.get("regions"), None),
        districts=_names(layers.get("districts"), "region_pcode"),
        municipalities=_names(layers.get("municipalities"), "district_pcode"),
        elections=elections,
        incident_categories=INCIDENT_CATEGORIES,
        first_date=first,
        last_date=last,
        unit_agencies=_distinct(layers.get("units"), "agency"),
        unit_types=UNIT_TYPES,
        centre_types=CENTRE_TYPES,
        access_statuses=ACCESS_STATUSES,
    )


@dataclass(frozen=True)
class FilteredLayers:
    """The layers as the map page shows them, after :func:`apply_filters`.

    Attributes
    ----------
    regions, districts
        Reference polygons (all of them: they give context).
    municipalities
        Municipalities in the chosen area (all of them when no area is chosen).
    centres
        Centres in the area, of the chosen types and access statuses, with an added
        ``access_status`` column.
    units
        Units in the area (by ``municipality_pcode``, else that of their assigned centre),
        of the chosen agencies and types. Sensitive: pass through
        :mod:`geo.redaction` before showing.
    incidents
        Incidents in the area (by ``municipality_pcode``, else that of their centre), of
        the chosen elections and categories, within the date range.
    audits
        Accessibility audits of the kept centres.
    area_pcodes
        Municipality P-codes of the area; ``None`` when no area is chosen.
    """

    regions: pd.DataFrame
    districts: pd.DataFrame
    municipalities: pd.DataFrame
    centres: pd.DataFrame
    units: pd.DataFrame
    incidents: pd.DataFrame
    audits: pd.DataFrame
    area_pcodes: frozenset[str] | None


def area_pcodes(
    filters: MapFilters,
    municipalities: pd.DataFrame,
    districts: pd.DataFrame | None = None,
) -> frozenset[str] | None:
    """Return the P-codes of the municipalities in the chosen area, ``None`` for all.

    Parameters
    ----------
    filters
        The choices; only regions, districts and municipalities matter here.
    municipalities
        ``pcode`` and ``district_pcode``.
    districts
        ``pcode`` and ``region_pcode``; needed when regions are chosen.

    Raises
    ------
    InputError
        Regions are chosen but the districts layer (with ``region_pcode``) is missing.
    """
    if not filters.has_area:
        return None
    pcodes = municipalities["pcode"].astype("str")
    keep = np.ones(len(municipalities), dtype=bool)
    district = municipalities["district_pcode"].astype("str")
    if filters.municipalities:
        keep &= pcodes.isin(filters.municipalities).to_numpy(bool)
    if filters.districts:
        keep &= district.isin(filters.districts).to_numpy(bool)
    if filters.regions:
        if districts is None or "region_pcode" not in districts.columns:
            raise InputError(
                "filtering by region needs the districts layer with region_pcode; import the "
                "districts (or clear the region filter)"
            )
        region_of = districts.drop_duplicates("pcode").set_index(
            districts.drop_duplicates("pcode")["pcode"].astype("str")
        )["region_pcode"]
        keep &= district.map(region_of).isin(filters.regions).to_numpy(bool)
    return frozenset(pcodes[keep])


def _place(frame: pd.DataFrame, centre_municipality: pd.Series, centre_column: str) -> pd.Series:
    """Municipality of each row: its own ``municipality_pcode``, else that of its centre."""
    own = (
        frame["municipality_pcode"].astype("str")
        if "municipality_pcode" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="str")
    )
    if centre_column in frame.columns:
        own = own.fillna(frame[centre_column].astype("str").map(centre_municipality))
    return own


def _mask(frame: pd.DataFrame, column: str, chosen: tuple[str, ...]) -> np.ndarray:
    if not chosen:
        return np.ones(len(frame), dtype=bool)
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.array(frame[column].astype("str").isin(chosen), dtype=bool)


def apply_filters(
    layers: Mapping[str, pd.DataFrame],
    filters: MapFilters,
    *,
    access: pd.DataFrame | None = None,
) -> FilteredLayers:
    """Restrict the workspace layers to ``filters``.

    Parameters
    ----------
    layers
        Layer name -> frame, as in :attr:`geo.workspace.Workspace.layers`; absent layers
        count as empty.
    filters
        The choices.
    access
        ``centre_id`` and ``access_status`` per centre; derived from the
        ``access_audits`` layer (:func:`geo.access.centre_access`) when ``None``.

    Returns
    -------
    FilteredLayers
        Copies of the kept rows, in their original order.
    """

    def layer(name: str) -> pd.DataFrame:
        frame = layers.get(name)
        return empty_layer(name) if frame is None else frame

    centres = layer("centres")
    municipalities = layer("municipalities")
    districts = layer("districts")
    units = layer("units")
    incidents = layer("incidents")
    audits = layer("access_audits")
    area = (
        area_pcodes(filters, municipalities, districts)
        if len(municipalities) or filters.has_area
        else None
    )
    if area is not None and not len(municipalities):
        area = frozenset()

    if len(centres):
        status = (
            access
            if access is not None
            else centre_access(centres, audits if len(audits) else None)
        )
        by_id = status.drop_duplicates("centre_id").set_index("centre_id")["access_status"]
        centres = centres.assign(
            access_status=centres["centre_id"].astype("str").map(by_id).fillna("unknown")
        )
        keep = _mask(centres, "centre_type", filters.centre_types)
        keep &= _mask(centres, "access_status", filters.access_statuses)
        if area is not None:
            keep &= centres["municipality_pcode"].astype("str").isin(area).to_numpy(bool)
        all_centres = centres
        centres = centres[keep]
        centre_municipality = pd.Series(
            all_centres["municipality_pcode"].astype("str").to_numpy(),
            index=all_centres["centre_id"].astype("str").to_numpy(),
        )
        centre_municipality = centre_municipality[~centre_municipality.index.duplicated()]
    else:
        centre_municipality = pd.Series(dtype="str")

    if len(units):
        keep = _mask(units, "agency", filters.unit_agencies)
        keep &= _mask(units, "unit_type", filters.unit_types)
        if area is not None:
            place = _place(units, centre_municipality, "assigned_centre_id")
            keep &= place.isin(area).to_numpy(bool)
        units = units[keep]

    if len(incidents):
        election = incidents["election"].astype("str").fillna(NO_ELECTION)
        keep = np.ones(len(incidents), dtype=bool)
        if filters.elections:
            keep &= election.isin(filters.elections).to_numpy(bool)
        keep &= _mask(incidents, "category", filters.incident_categories)
        dates = pd.to_datetime(incidents["date"])
        if filters.date_from is not None:
            keep &= (dates >= pd.Timestamp(filters.date_from)).to_numpy(bool)
        if filters.date_to is not None:
            keep &= (dates < pd.Timestamp(filters.date_to) + pd.Timedelta(days=1)).to_numpy(bool)
        if area is not None:
            keep &= _place(incidents, centre_municipality, "centre_id").isin(area).to_numpy(bool)
        incidents = incidents[keep]

    if len(audits) and "centre_id" in audits.columns:
        kept_ids = centres["centre_id"].astype("str") if len(centres) else pd.Series(dtype="str")
        audits = audits[audits["centre_id"].astype("str").isin(kept_ids).to_numpy(bool)]

    if area is not None and len(municipalities):
        municipalities = municipalities[
            municipalities["pcode"].astype("str").isin(area).to_numpy(bool)
        ]
    return FilteredLayers(
        regions=layer("regions").copy(),
        districts=districts.copy(),
        municipalities=municipalities.copy(),
        centres=centres.copy(),
        units=units.copy(),
        incidents=incidents.copy(),
        audits=audits.copy(),
        area_pcodes=area,
    )


# --- URL query parameters -----------------------------------------------------------


def filters_to_query(filters: MapFilters) -> dict[str, list[str]]:
    """Return the URL query parameters of ``filters`` (only the filters that are set).

    Every value is a list (a repeated parameter: ``?district=LY-TB&district=LY-JI``), so
    no separator has to be escaped; dates are ``YYYY-MM-DD``.
    """
    query: dict[str, list[str]] = {}
    for f in fields(filters):
        value = getattr(filters, f.name)
        if isinstance(value, dt.date):
            query[QUERY_KEYS[f.name]] = [value.isoformat()]
        elif value:
            query[QUERY_KEYS[f.name]] = list(value)
    return query


def _allowed(options: FilterOptions | None, name: str) -> set[str] | None:
    if options is None:
        return None
    value = getattr(options, name)
    if isinstance(value, pd.DataFrame):
        return set(value["pcode"].astype("str"))
    return {str(v) for v in value}


def filters_from_query(
    query: Mapping[str, Sequence[str] | str],
    *,
    options: FilterOptions | None = None,
) -> tuple[MapFilters, list[str]]:
    """Read filters from URL query parameters (the inverse of :func:`filters_to_query`).

    Parameters
    ----------
    query
        Parameter name -> its values (a list, or one string); other parameters are
        ignored.
    options
        When given, values that the workspace does not hold are left out.

    Returns
    -------
    filters : MapFilters
        The filters the link describes.
    problems : list of str
        One sentence per value left out (an unknown value, an unreadable date, an
        inverted date range), to show to the user.
    """
    values: dict[str, object] = {}
    problems: list[str] = []
    for f in fields(MapFilters):
        raw = query.get(QUERY_KEYS[f.name])
        if raw is None:
            continue
        items = [raw] if isinstance(raw, str) else [str(v) for v in raw]
        if f.name in ("date_from", "date_to"):
            try:
                values[f.name] = dt.date.fromisoformat(items[-1])
            except (ValueError, IndexError):
                problems.append(
                    f"the link's '{QUERY_KEYS[f.name]}' date {items[-1:]!r} is not YYYY-MM-DD;"
                    " it was ignored"
                )
            continue
        allowed = _allowed(options, f.name)
        if allowed is not None:
            unknown = [v for v in items if v not in allowed]
            if unknown:
                problems.append(
                    f"the link's '{QUERY_KEYS[f.name]}' value(s) {', '.join(unknown)} are not in "
                    "this workspace; they were ignored"
                )
            items = [v for v in items if v in allowed]
        values[f.name] = tuple(items)
    try:
        return MapFilters(**values), problems  # type: ignore[arg-type]
    except InputError as exc:
        values.pop("date_from", None)
        values.pop("date_to", None)
        problems.append(f"{exc}; the link's dates were ignored")
        return MapFilters(**values), problems  # type: ignore[arg-type]


# --- search ---------------------------------------------------------------------------

#: Shortest transliteration skeleton used to match part of a name ("trpl" for Tripoli).
_MIN_SKELETON = 4
#: Kinds of search hits.
CENTRE = "centre"
MUNICIPALITY = "municipality"


def _contains(keys: pd.Series, needle: str) -> np.ndarray:
    if not needle:
        return np.zeros(len(keys), dtype=bool)
    return keys.str.contains(needle, regex=False).to_numpy(dtype=bool, na_value=False)


def _normalised(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("").map(normalise_name)


def _keys(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("").map(name_key)


def search_places(
    query: str,
    centres: pd.DataFrame,
    municipalities: pd.DataFrame | None = None,
    *,
    limit: int = 20,
) -> pd.DataFrame:
    """Find centres by ID or name, and municipalities by name, in Arabic or English.

    Names are compared after :func:`geo.names.normalise_name` (alef, hamza, taa marbuta
    and ya variants, diacritics, ``Al-``/``El-`` and ``ال`` articles) and, for Latin
    names, also by :func:`geo.names.transliteration_key` (``Misurata`` finds
    ``Misrata``). Ranking: an exact centre ID, then IDs that start with the query, then
    municipalities whose name matches, then centres whose own name matches (whole name
    before part of a name), then centres of the matching municipalities.

    Parameters
    ----------
    query
        Text typed by the user; blank gives no hits.
    centres
        ``centre_id``, ``name_ar``, ``name_en``, ``municipality_pcode`` and point
        geometry (EPSG:4326).
    municipalities
        ``pcode``, ``name_en``, ``name_ar`` and polygon geometry (optional).
    limit
        Most hits returned.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (:data:`CENTRE` or :data:`MUNICIPALITY`), ``id`` (centre ID or P-code),
        ``name_en``, ``name_ar``, ``municipality_pcode``, ``lat``, ``lon`` (of the
        centre, or the middle of the municipality) and ``bounds`` (``(lon_min, lat_min,
        lon_max, lat_max)`` of a municipality, ``None`` for a centre), best first.
    """
    columns = ["kind", "id", "name_en", "name_ar", "municipality_pcode", "lat", "lon", "bounds"]
    text = (query or "").strip()
    if not text or not len(centres):
        return pd.DataFrame({c: [] for c in columns})
    wanted = normalise_name(text)
    wanted_key = name_key(text)
    wanted_skeleton = transliteration_key(text)
    ids = centres["centre_id"].astype("str")
    score = np.zeros(len(centres))
    score[(ids == text).to_numpy(bool)] = 100
    score[(ids.str.startswith(text) & (ids != text)).to_numpy(bool, na_value=False)] = 90

    hits: list[pd.DataFrame] = []
    muni_match = pd.Series(dtype="float64")
    if municipalities is not None and len(municipalities):
        munis = municipalities.reset_index(drop=True)
        muni_score = np.zeros(len(munis))
        for column in ("name_en", "name_ar"):
            norm = _normalised(munis[column])
            keys = _keys(munis[column])
            muni_score = np.maximum(muni_score, np.where((norm == wanted).to_numpy(bool), 80, 0))
            muni_score = np.maximum(
                muni_score, np.where(_contains(keys, wanted_key), 75, 0).astype(float)
            )
            if len(wanted_skeleton) >= _MIN_SKELETON and column == "name_en":
                # Short skeletons collide (geo.names): only longer ones may match a part.
                skeletons = munis[column].astype("str").fillna("").map(transliteration_key)
                muni_score = np.maximum(
                    muni_score, np.where(_contains(skeletons, wanted_skeleton), 70, 0).astype(float)
                )
        found = muni_score > 0
        if found.any():
            chosen = munis[found]
            muni_match = pd.Series(muni_score[found], index=chosen["pcode"].astype("str"))
            geoms = chosen.geometry.to_numpy() if isinstance(chosen, gpd.GeoDataFrame) else None
            bounds: list[tuple[float, float, float, float] | None] = []
            lat: list[float] = []
            lon: list[float] = []
            for i in range(len(chosen)):
                geom = geoms[i] if geoms is not None else None
                if geom is None or shapely.is_empty(geom):
                    row = chosen.iloc[i]
                    y = float(row.get("seat_lat", np.nan))
                    x = float(row.get("seat_lon", np.nan))
                    bounds.append(None)
                else:
                    b = tuple(float(v) for v in shapely.bounds(geom))
                    bounds.append(b)  # type: ignore[arg-type]
                    x, y = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
                lat.append(y)
                lon.append(x)
            hits.append(
                pd.DataFrame(
                    {
                        "kind": MUNICIPALITY,
                        "id": chosen["pcode"].astype("str").to_numpy(),
                        "name_en": chosen["name_en"].to_numpy(),
                        "name_ar": chosen["name_ar"].to_numpy(),
                        "municipality_pcode": chosen["pcode"].astype("str").to_numpy(),
                        "lat": lat,
                        "lon": lon,
                        "bounds": bounds,
                        "_score": muni_score[found],
                    }
                )
            )

    for column in ("name_en", "name_ar"):
        if column not in centres.columns:
            continue
        norm = _normalised(centres[column])
        keys = _keys(centres[column])
        score = np.maximum(score, np.where((norm == wanted).to_numpy(bool), 60, 0))
        score = np.maximum(score, np.where(_contains(keys, wanted_key), 50, 0).astype(float))
    if len(muni_match):
        in_muni = centres["municipality_pcode"].astype("str").map(muni_match).fillna(0)
        score = np.maximum(score, np.where(in_muni.to_numpy() > 0, 30, 0).astype(float))
    found = score > 0
    if found.any():
        chosen = centres[found]
        geoms = chosen.geometry.to_numpy()
        hits.append(
            pd.DataFrame(
                {
                    "kind": CENTRE,
                    "id": chosen["centre_id"].astype("str").to_numpy(),
                    "name_en": chosen["name_en"].to_numpy(),
                    "name_ar": chosen["name_ar"].to_numpy(),
                    "municipality_pcode": chosen["municipality_pcode"].astype("str").to_numpy(),
                    "lat": shapely.get_y(geoms),
                    "lon": shapely.get_x(geoms),
                    "bounds": [None] * len(chosen),
                    "_score": score[found],
                }
            )
        )
    if not hits:
        return pd.DataFrame({c: [] for c in columns})
    table = pd.concat(hits, ignore_index=True)
    table = table.sort_values(
        ["_score", "kind", "id"], ascending=[False, False, True], kind="stable"
    )
    return table.head(limit)[columns].reset_index(drop=True)
