"""Tables as files users open in Excel: UTF-8 with BOM and no cell read as a formula."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
from geopandas.array import GeometryDtype

#: A cell starting with one of these is read by spreadsheets as a formula (or can be).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A ";" that a spreadsheet whose list separator is ";" (many Arabic and European Windows
#: settings) would split a cell at, before a formula: ``a;=HYPERLINK(...)``.
_SEMICOLON_FORMULA = re.compile(r';(?=[\s"]*[=+\-@])')


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy in which every text cell that a spreadsheet would run is made inert.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading single quote, which spreadsheets show as text. So does each part after a ``;``
    that starts one (``a;'=HYPERLINK(…)``): a spreadsheet set to ``;`` as its list
    separator opens the comma-separated file by splitting cells there. Numbers are left
    alone (a negative number is a number, not a formula).
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            continue
        text = column.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
        split = text.str.contains(_SEMICOLON_FORMULA).fillna(False).to_numpy(dtype=bool)
        if risky.any() or split.any():
            values = column.astype(object).copy()
            safe = text.str.replace(_SEMICOLON_FORMULA, ";'", regex=True)
            values[split] = safe[split].astype(str)
            values[risky] = "'" + safe[risky].astype(str)
            out[name] = values
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return ``frame`` as CSV: UTF-8 with BOM (Excel shows Arabic), formula-safe, no index.

    Rows end with CRLF; cells containing a line break are quoted.

    Geometry columns are written as WKT text.
    """
    table = pd.DataFrame(frame).copy()
    for name in table.columns:
        if isinstance(table[name].dtype, GeometryDtype):
            table[name] = gpd.GeoSeries(table[name]).to_wkt()
    # CRLF rows (RFC 4180, as Excel writes): the csv writer then quotes every cell holding
    # a CR or LF, so a lone CR inside a cell cannot start a new row beginning with "=".
    return neutralise_formulas(table).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
