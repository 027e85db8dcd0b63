"""The machine names behind what a page shows: tables go through ``ui.table`` (labelled).

Tests that look for a column by its machine name (``centre_id``, a distance to units)
read the headings back with :func:`machine_names` / :func:`machine`, so that a check such
as "no distance column is shown" cannot pass just because the heading is translated.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from geo.redaction import UNIT_DISTANCE_COLUMNS
from geo.reports import _LABELS, column_label, labelled


def _back() -> dict[str, str]:
    known = set(_LABELS) | set(UNIT_DISTANCE_COLUMNS)
    return {column_label(c, lang): c for c in known for lang in ("en", "ar")}


def machine_names(columns: Iterable[object]) -> set[str]:
    """Return the machine names of headings (a heading the reports do not know as is)."""
    back = _back()
    return {back.get(str(c), str(c)) for c in columns}


def machine(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a shown table with its machine column names (values stay as shown)."""
    back = _back()
    return frame.rename(columns={c: back.get(str(c), str(c)) for c in frame.columns})


def shown_as(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return ``frame`` as a page shows it, with machine column names (for comparisons)."""
    return machine(labelled(frame, lang))  # type: ignore[arg-type]
