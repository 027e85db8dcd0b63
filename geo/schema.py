"""Layer schemas of the workspace and the one validator that checks a frame against them.

Every layer carries a stable string ID, WGS84 coordinates (EPSG:4326) and a ``source``
column. Column names follow ``DESIGN.md`` exactly, so files written by other tools line up.
:func:`validate_layer` collects every problem in one pass; :func:`coerce_layer` returns a
frame with the canonical dtypes, and :func:`check_layer` does both and raises
:class:`~geo.errors.SchemaError` carrying the whole report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import SchemaError

ColumnKind = Literal["str", "int", "float", "bool", "date"]
GeometryKind = Literal["point", "polygon", "line"]
Severity = Literal["error", "warning"]

CRS = "EPSG:4326"
#: Generous bounding box of Libya (lon_min, lat_min, lon_max, lat_max), degrees.
LIBYA_BOUNDS: tuple[float, float, float, float] = (9.0, 19.4, 25.5, 33.5)
#: A polling station holds at most this many registered voters.
MAX_VOTERS_PER_STATION = 550

BOUNDARY_KINDS = ("official", "imported", "approximate")
CENTRE_STATUSES = ("open", "planned", "closed")
CENTRE_TYPES = ("general", "displaced", "oil_field", "military", "prison", "hospital", "other")
UNIT_TYPES = ("static_guard", "patrol", "rapid_response", "checkpoint")
INCIDENT_CATEGORIES = (
    "attack_on_centre",
    "armed_interference",
    "obstruction_of_voting",
    "intimidation",
    "theft_destruction_of_materials",
    "violent_protest",
    "hate_speech_misinformation",
    "registration_irregularity",
    "monitor_neutrality_complaint",
    "other",
)


@dataclass(frozen=True)
class Column:
    """One column of a layer: its kind and the rules its values follow."""

    name: str
    kind: ColumnKind
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    required: bool | None = None

    @property
    def must_be_present(self) -> bool:
        """True when a file must have this column (by default: when it may not be empty)."""
        return (not self.nullable) if self.required is None else self.required


@dataclass(frozen=True)
class LayerSchema:
    """A workspace layer: its key, columns and geometry (``None`` for a plain table)."""

    name: str
    key: str
    columns: tuple[Column, ...]
    geometry: GeometryKind | None
    geometry_nullable: bool = False
    sensitive: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the attribute columns, in their canonical order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _str(name: str, **kw: object) -> Column:
    return Column(name, "str", **kw)  # type: ignore[arg-type]


def _count(name: str, **kw: object) -> Column:
    return Column(name, "int", min_value=0, **kw)  # type: ignore[arg-type]


_SOURCE = _str("source")

LAYERS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "regions",
            key="pcode",
            columns=(_str("pcode"), _str("name_en"), _str("name_ar"), _SOURCE),
            geometry="polygon",
        ),
        LayerSchema(
            "districts",
            key="pcode",
            columns=(
                _str("pcode"),
                _str("name_en"),
                _str("name_ar"),
                _str("region_pcode"),
                _SOURCE,
            ),
            geometry="polygon",
        ),
        LayerSchema(
            "municipalities",
            key="pcode",
            columns=(
                _str("pcode"),
                _str("name_en"),
                _str("name_ar"),
                _str("district_pcode"),
                _count("population", nullable=True),
                _str("boundary_kind", allowed=BOUNDARY_KINDS),
                Column("seat_lon", "float", min_value=-180, max_value=180),
                Column("seat_lat", "float", min_value=-90, max_value=90),
                _SOURCE,
            ),
            geometry="polygon",
            geometry_nullable=True,
        ),
        LayerSchema(
            "centres",
            key="centre_id",
            columns=(
                _str("centre_id"),
                _str("name_ar"),
                _str("name_en", nullable=True),
                _str("municipality_pcode"),
                _str("centre_type", allowed=CENTRE_TYPES),
                _count("stations_male"),
                _count("stations_female"),
                _count("stations_mixed"),
                _count("registered_voters"),
                _count("voters_male", nullable=True),
                _count("voters_female", nullable=True),
                _str("status", allowed=CENTRE_STATUSES),
                _SOURCE,
            ),
            geometry="point",
        ),
        LayerSchema(
            "access_audits",
            key="audit_id",
            columns=(
                _str("audit_id"),
                _str("centre_id"),
                Column("audit_date", "date"),
                Column("step_free_entrance", "bool", nullable=True),
                Column("ramp", "bool", nullable=True),
                Column("ground_floor_voting", "bool", nullable=True),
                Column("accessible_toilet", "bool", nullable=True),
                Column("parking_near", "bool", nullable=True),
                _str("notes", nullable=True),
                _SOURCE,
            ),
            geometry=None,
        ),
        LayerSchema(
            "units",
            key="unit_id",
            columns=(
                _str("unit_id"),
                _str("agency"),
                _str("unit_type", allowed=UNIT_TYPES),
                _str("assigned_centre_id", nullable=True),
                _str("municipality_pcode", nullable=True),
                _count("officers"),
                _count("female_officers"),
                _count("vehicles"),
                Column("response_radius_km", "float", min_value=0, nullable=True),
                _SOURCE,
            ),
            geometry="point",
            sensitive=True,
        ),
        LayerSchema(
            "incidents",
            key="incident_id",
            columns=(
                _str("incident_id"),
                Column("date", "date"),
                _str("election", nullable=True),
                _str("category", allowed=INCIDENT_CATEGORIES),
                Column("severity", "int", min_value=1, max_value=5),
                _count("fatalities"),
                _count("injuries"),
                _str("centre_id", nullable=True),
                _str("municipality_pcode", nullable=True),
                Column("verified", "bool", nullable=True),
                _str("description", nullable=True),
                _SOURCE,
            ),
            geometry="point",
        ),
        LayerSchema(
            "roads",
            key="road_id",
            columns=(
                _str("road_id"),
                _str("highway"),
                Column("oneway", "bool"),
                Column("bridge", "bool"),
                Column("maxspeed_kmh", "float", min_value=0, nullable=True),
                Column("length_km", "float", min_value=0),
                _SOURCE,
            ),
            geometry="line",
        ),
    )
}

#: Layers in the order they are built, shown and stored.
LAYER_NAMES: tuple[str, ...] = tuple(LAYERS)


@dataclass(frozen=True)
class Problem:
    """One problem found in a layer.

    ``row`` is the 1-based row number as the user sees it (see ``row_base`` in
    :func:`validate_layer`); ``None`` when the problem concerns the whole layer.
    """

    layer: str
    row: int | None
    column: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = [self.layer]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in one pass, errors and warnings together."""

    layer: str
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that stop the rows they name from being stored."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems worth reading that do not stop storing."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Return the problems as a table (layer, row, column, severity, message)."""
        return pd.DataFrame(
            {
                "layer": [p.layer for p in self.problems],
                "row": pd.array([p.row for p in self.problems], dtype="Int64"),
                "column": [p.column for p in self.problems],
                "severity": [p.severity for p in self.problems],
                "message": [p.message for p in self.problems],
            }
        )

    def summary(self, limit: int = 20) -> str:
        """Return a readable multi-line summary, at most ``limit`` problems listed."""
        lines = [f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in '{self.layer}'"]
        lines += [f"- {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"- ... and {len(self.problems) - limit} more")
        return "\n".join(lines)


def _rows(mask: pd.Series | np.ndarray, row_base: int) -> list[int]:
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return [int(i) + row_base for i in positions]


def _row_problems(
    layer: str,
    mask: pd.Series | np.ndarray,
    column: str | None,
    message: str,
    row_base: int,
    severity: Severity = "error",
) -> list[Problem]:
    return [Problem(layer, r, column, message, severity) for r in _rows(mask, row_base)]


_TRUE = {"true", "yes", "y", "1", "t", "نعم"}
_FALSE = {"false", "no", "n", "0", "f", "لا"}


def _parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (parsed nullable booleans, mask of values that could not be read)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), pd.Series(False, index=values.index)
    if pd.api.types.is_numeric_dtype(values):
        # Spreadsheets and some readers give 1.0 / 0.0 / NaN for yes / no / blank.
        numbers = values.astype("float64")
        parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
        parsed[(numbers == 1).to_numpy(dtype=bool)] = True
        parsed[(numbers == 0).to_numpy(dtype=bool)] = False
        return parsed, (numbers.notna() & parsed.isna()).astype(bool)
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
    parsed[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
    parsed[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    bad = text.notna() & (text != "") & parsed.isna()
    return parsed, bad.fillna(False).astype(bool)


def _parse_column(values: pd.Series, kind: ColumnKind) -> tuple[pd.Series, pd.Series]:
    """Parse ``values`` as ``kind``; return (parsed, mask of unreadable non-empty values)."""
    blank = values.isna() | (values.astype("string").str.strip() == "").fillna(True)
    if kind == "str":
        parsed = values.astype("string").str.strip()
        parsed[blank.to_numpy(dtype=bool)] = None  # NA in a "string" column
        return parsed.astype("str").where(~blank, None), pd.Series(False, index=values.index)
    if kind in ("int", "float"):
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & ~blank
        if kind == "int":
            whole = numbers.isna() | (np.floor(numbers) == numbers)
            bad = bad | ~whole
            numbers = numbers.where(whole)
        return numbers, bad.astype(bool)
    if kind == "bool":
        return _parse_bool(values)
    dates = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = dates.isna() & ~blank
    return dates, bad.astype(bool)


def validate_layer(
    layer: str,
    frame: pd.DataFrame,
    *,
    row_base: int = 1,
    today: pd.Timestamp | None = None,
) -> ValidationReport:
    """Check ``frame`` against the schema of ``layer`` and report every problem.

    Parameters
    ----------
    layer
        A name in :data:`LAYERS`.
    frame
        The rows to check; a GeoDataFrame in EPSG:4326 for layers with geometry.
    row_base
        Row number given to the first row (1 for a plain table; 2 for a CSV file whose
        first line is the header).
    today
        Dates after this are flagged as being in the future; ``None`` means now.

    Returns
    -------
    ValidationReport
        Errors (rows that cannot be stored) and warnings.
    """
    schema = LAYERS[layer]
    problems: list[Problem] = []
    missing = [c.name for c in schema.columns if c.must_be_present and c.name not in frame.columns]
    for name in missing:
        problems.append(
            Problem(
                layer,
                None,
                name,
                f"required column '{name}' is missing; add it (see the layer template) "
                "or map one of your columns to it",
            )
        )
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        problems += _check_column(layer, frame[col.name], col, row_base, today)
    if schema.key in frame.columns:
        keys = frame[schema.key].astype("string").str.strip().replace({"": pd.NA})
        dup = keys.duplicated(keep="first") & keys.notna()
        for r in _rows(dup, row_base):
            value = keys.iloc[r - row_base]
            first = int(np.flatnonzero((keys == value).fillna(False).to_numpy())[0]) + row_base
            problems.append(
                Problem(
                    layer,
                    r,
                    schema.key,
                    f"duplicate ID '{value}' (first used on row {first}); give each row its own ID",
                )
            )
    if schema.geometry is not None:
        problems += _check_geometry(layer, frame, schema, row_base)
    problems += _check_layer_rules(layer, frame, row_base)
    return ValidationReport(layer, tuple(problems))


def _check_column(
    layer: str,
    values: pd.Series,
    col: Column,
    row_base: int,
    today: pd.Timestamp | None,
) -> list[Problem]:
    problems: list[Problem] = []
    parsed, bad = _parse_column(values, col.kind)
    what = {
        "str": "text",
        "int": "a whole number",
        "float": "a number",
        "bool": "yes or no",
        "date": "a date (YYYY-MM-DD)",
    }[col.kind]
    for r in _rows(bad, row_base):
        raw = values.iloc[r - row_base]
        problems.append(Problem(layer, r, col.name, f"'{raw}' is not {what}; correct the value"))
    empty = parsed.isna() & ~bad
    if not col.nullable:
        problems += _row_problems(
            layer, empty, col.name, "value is empty; fill it in or remove the row", row_base
        )
    present = parsed.notna().to_numpy(dtype=bool)
    if col.allowed is not None:
        outside = present & ~parsed.isin(col.allowed).fillna(False).to_numpy(dtype=bool)
        for r in _rows(outside, row_base):
            problems.append(
                Problem(
                    layer,
                    r,
                    col.name,
                    f"'{parsed.iloc[r - row_base]}' is not one of {', '.join(col.allowed)}; "
                    "use one of these values",
                )
            )
    if col.kind in ("int", "float"):
        numbers = parsed.astype("float64")
        if col.min_value is not None:
            low = present & (numbers < col.min_value).fillna(False).to_numpy(dtype=bool)
            for r in _rows(low, row_base):
                problems.append(
                    Problem(
                        layer,
                        r,
                        col.name,
                        f"{numbers.iloc[r - row_base]:g} is below the minimum {col.min_value:g}"
                        + ("; counts cannot be negative" if col.min_value == 0 else ""),
                    )
                )
        if col.max_value is not None:
            high = present & (numbers > col.max_value).fillna(False).to_numpy(dtype=bool)
            for r in _rows(high, row_base):
                problems.append(
                    Problem(
                        layer,
                        r,
                        col.name,
                        f"{numbers.iloc[r - row_base]:g} is above the maximum {col.max_value:g}",
                    )
                )
    if col.kind == "date":
        limit = (today or pd.Timestamp.now()).normalize() + pd.Timedelta(days=1)
        future = present & (parsed >= limit).fillna(False).to_numpy(dtype=bool)
        for r in _rows(future, row_base):
            problems.append(
                Problem(
                    layer,
                    r,
                    col.name,
                    f"date {parsed.iloc[r - row_base]:%Y-%m-%d} is in the future; check the "
                    "day/month order or the year",
                )
            )
    return problems


def _check_geometry(
    layer: str, frame: pd.DataFrame, schema: LayerSchema, row_base: int
) -> list[Problem]:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        return [
            Problem(
                layer,
                None,
                "geometry",
                "the layer has no geometry; give coordinates (longitude and latitude) "
                "or a geometry column",
            )
        ]
    problems: list[Problem] = []
    if frame.crs is None or not frame.crs.equals(CRS):
        problems.append(
            Problem(
                layer,
                None,
                "geometry",
                f"coordinates must be WGS84 (EPSG:4326), got {frame.crs}; reproject first",
            )
        )
    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if not schema.geometry_nullable:
        problems += _row_problems(
            layer, missing, "geometry", "no location; give longitude and latitude", row_base
        )
    present = ~missing
    types = shapely.get_type_id(geoms)
    wanted = {"point": (0,), "line": (1, 5), "polygon": (3, 6)}[schema.geometry or "point"]
    wrong = present & ~np.isin(types, wanted)
    problems += _row_problems(
        layer,
        wrong,
        "geometry",
        f"geometry must be a {schema.geometry}; this row holds another kind",
        row_base,
    )
    invalid = present & ~wrong & ~shapely.is_valid(geoms)
    problems += _row_problems(
        layer,
        invalid,
        "geometry",
        "geometry is not valid (e.g. a self-intersecting ring); repair it with make_valid",
        row_base,
    )
    bounds = shapely.bounds(geoms)
    lon_min, lat_min, lon_max, lat_max = LIBYA_BOUNDS
    with np.errstate(invalid="ignore"):
        outside = present & (
            (bounds[:, 0] < lon_min)
            | (bounds[:, 2] > lon_max)
            | (bounds[:, 1] < lat_min)
            | (bounds[:, 3] > lat_max)
        )
    problems += _row_problems(
        layer,
        outside,
        "geometry",
        "location lies outside Libya; check the coordinates (are latitude and longitude swapped?)",
        row_base,
    )
    return problems


def _check_layer_rules(layer: str, frame: pd.DataFrame, row_base: int) -> list[Problem]:
    """Rules that involve several columns of one layer."""
    problems: list[Problem] = []

    def num(name: str) -> pd.Series:
        return pd.to_numeric(frame[name], errors="coerce").astype("float64")

    if layer == "centres" and {
        "stations_male",
        "stations_female",
        "stations_mixed",
        "registered_voters",
    }.issubset(frame.columns):
        stations = num("stations_male") + num("stations_female") + num("stations_mixed")
        voters = num("registered_voters")
        crowded = (voters > stations * MAX_VOTERS_PER_STATION).fillna(False)
        for r in _rows(crowded, row_base):
            i = r - row_base
            problems.append(
                Problem(
                    layer,
                    r,
                    "registered_voters",
                    f"{voters.iloc[i]:.0f} voters in {stations.iloc[i]:.0f} station(s) is more "
                    f"than {MAX_VOTERS_PER_STATION} per station; add stations or correct the count",
                )
            )
        if {"voters_male", "voters_female"}.issubset(frame.columns):
            by_sex = num("voters_male") + num("voters_female")
            mismatch = (by_sex.notna() & (by_sex != voters)).fillna(False)
            problems += _row_problems(
                layer,
                mismatch,
                "registered_voters",
                "voters_male + voters_female differs from registered_voters; correct one of them",
                row_base,
                "warning",
            )
    if layer == "units" and {"officers", "female_officers"}.issubset(frame.columns):
        more = (num("female_officers") > num("officers")).fillna(False)
        problems += _row_problems(
            layer,
            more,
            "female_officers",
            "more female officers than officers; female officers are counted within officers",
            row_base,
        )
    return problems


def coerce_layer(layer: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with the schema's columns, in order, with canonical dtypes.

    Text becomes ``str`` (missing as ``None``), whole numbers nullable ``Int64``, numbers
    ``float64``, yes/no nullable ``boolean``, dates ``datetime64``. Extra columns are kept
    after the schema's columns. Unreadable values become missing: call
    :func:`validate_layer` first to report them.
    """
    schema = LAYERS[layer]
    out = {}
    for col in schema.columns:
        if col.name in frame.columns:
            parsed, _ = _parse_column(frame[col.name], col.kind)
        else:
            parsed = pd.Series(pd.NA, index=frame.index)
            parsed, _ = _parse_column(parsed, col.kind)
        if col.kind == "int":
            parsed = parsed.astype("Int64")
        elif col.kind == "float":
            parsed = parsed.astype("float64")
        elif col.kind == "date":
            parsed = pd.to_datetime(parsed).astype("datetime64[ms]")
        out[col.name] = parsed
    extras = [
        c
        for c in frame.columns
        if c not in out and not (isinstance(frame, gpd.GeoDataFrame) and c == frame.geometry.name)
    ]
    data = pd.DataFrame(out, index=frame.index)
    for name in extras:
        data[name] = frame[name]
    if schema.geometry is None:
        return data.reset_index(drop=True)
    geometry = (
        frame.geometry
        if isinstance(frame, gpd.GeoDataFrame)
        else gpd.GeoSeries([None] * len(frame), index=frame.index, crs=CRS)
    )
    return gpd.GeoDataFrame(data, geometry=geometry.values, crs=geometry.crs or CRS).reset_index(
        drop=True
    )


def check_layer(layer: str, frame: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """Validate ``frame`` and return it coerced; raise :class:`SchemaError` on any error."""
    report = validate_layer(layer, frame, **kwargs)  # type: ignore[arg-type]
    if not report.ok:
        raise SchemaError(report.summary(), report)
    return coerce_layer(layer, frame)


def empty_layer(layer: str) -> pd.DataFrame:
    """Return an empty frame with the layer's columns and dtypes."""
    schema = LAYERS[layer]
    frame: pd.DataFrame = pd.DataFrame({c: [] for c in schema.column_names})
    if schema.geometry is not None:
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    return coerce_layer(layer, frame)
