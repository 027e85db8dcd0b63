"""A workspace read from the store: every current layer plus its versions and description."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from geo.errors import LayerMissingError, StoreError
from geo.i18n import N_
from geo.schema import LAYER_NAMES, empty_layer
from geo.store import GeoPackageStore


@dataclass(frozen=True)
class Workspace:
    """The current version of every layer of one workspace (read-only)."""

    path: str
    layers: Mapping[str, pd.DataFrame]
    versions: pd.DataFrame
    info: Mapping[str, str]

    @property
    def stamp(self) -> str:
        """Text that changes whenever any layer changes (see :func:`workspace_stamp`)."""
        return f"{self.path}|" + _stamp_of(self.versions)

    @property
    def is_demo(self) -> bool:
        """True when the workspace holds the synthetic demo data."""
        return self.info.get("is_demo", "false") == "true"

    def layer(self, name: str) -> pd.DataFrame:
        """Return layer ``name`` (an empty frame with the schema's columns if absent)."""
        frame = self.layers.get(name)
        return empty_layer(name) if frame is None else frame

    def roads(self) -> tuple[pd.DataFrame | None, object]:
        """Return the ``roads`` layer (``None`` without one) and the key of its version.

        The key names the workspace, the layer's version and its write time (a workspace
        rebuilt at the same path starts again at version 1), so a road graph built for
        it can be cached (:func:`geo.network.cached_network`).
        """
        if "roads" not in self.layers:
            return None, None
        versions = self.versions
        rows = versions[versions["layer"] == "roads"] if "layer" in versions else versions.iloc[:0]
        if not len(rows) or "version" not in rows:
            return self.layers["roads"], None
        newest = rows.iloc[int(rows["version"].to_numpy().argmax())]
        key = f"{self.path}|roads|{newest['version']}|{newest.get('created_at', '')}"
        return self.layers["roads"], key

    def require(self, name: str) -> pd.DataFrame:
        """Return layer ``name``; raise :class:`LayerMissingError` when absent or empty."""
        frame = self.layers.get(name)
        if frame is None or frame.empty:
            raise LayerMissingError(
                f"the workspace has no '{name}' rows; import them on the Data page "
                "(or build the demo with: python -m geo demo --out PATH)"
            )
        return frame


def workspace_stamp(path: str | Path) -> str:
    """Return a short text that changes whenever any layer of the workspace changes.

    Used as a cache key: cheap to compute (reads only the version table).
    """
    if not Path(path).exists():
        return "missing"
    return _stamp_of(GeoPackageStore(path).summary())


#: How many times :func:`open_workspace` reads again when a write lands while it reads.
_SNAPSHOT_ATTEMPTS = 10


def _stamp_of(summary: pd.DataFrame) -> str:
    return ";".join(f"{r.layer}:{r.version}" for r in summary.itertuples())


def open_workspace(path: str | Path) -> Workspace:
    """Read the current version of every layer stored at ``path``.

    Temporary copies left by a write that was killed are removed first (only when no
    write is in progress; see :meth:`GeoPackageStore.remove_stale_work_files`).

    Raises
    ------
    StoreError
        When there is no workspace file at ``path``, or it cannot be read (a damaged
        file is named as such).
    """
    if not Path(path).exists():
        raise StoreError(
            f"no workspace at {path}; build the demo with "
            f"'python -m geo demo --out {path}' or import data"
        )
    store = GeoPackageStore(path)
    store.remove_stale_work_files()
    # Each read opens the file anew, and a writer publishes by replacing it: a write that
    # lands between two reads would pair one version's rows with the next one's number
    # (and a change prepared on them would silently drop the write in between). Versions
    # only grow, so equal numbers before and after the reads mean one snapshot.
    versions = store.summary()
    for _ in range(_SNAPSHOT_ATTEMPTS):
        layers = {name: store.read_layer(name) for name in LAYER_NAMES if store.has_layer(name)}
        info = store.info()
        after = store.summary()
        if _stamp_of(after) == _stamp_of(versions):
            break
        versions = after
    else:
        raise StoreError(
            f"{path} changed {_SNAPSHOT_ATTEMPTS} times while it was being read; "
            "try again when the other writers have finished"
        )
    return Workspace(
        path=str(path),
        layers=MappingProxyType(layers),
        versions=versions,
        info=MappingProxyType(info),
    )


def describe_layers(workspace: Workspace) -> pd.DataFrame:
    """One row per layer: version, rows, the sources its rows cite, when and by whom written."""
    rows = []
    versions = workspace.versions.set_index("layer") if len(workspace.versions) else None
    for name in LAYER_NAMES:
        frame = workspace.layers.get(name)
        if frame is None:
            continue
        sources = frame["source"].dropna().value_counts() if "source" in frame else pd.Series()
        cited = "; ".join(str(s) for s in sources.index[:3])
        if len(sources) > 3:
            cited += f" (+{len(sources) - 3} more)"
        info = versions.loc[name] if versions is not None and name in versions.index else None
        rows.append(
            {
                N_("layer"): name,
                N_("version"): None if info is None else int(info["version"]),  # type: ignore[arg-type]
                N_("rows"): len(frame),
                N_("source"): cited,
                N_("written at"): None if info is None else info["created_at"],
                N_("author"): None if info is None else info["author"],
            }
        )
    return pd.DataFrame(rows)
