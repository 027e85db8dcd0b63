"""Helper processes for the tests of concurrent and interrupted writes (run as scripts).

``python tests/geo/workers.py import WORKSPACE NAME ROUNDS FOLDER``
    For each round r: wait until ``FOLDER/go_<r>`` exists, run the command line
    ``import --workspace WORKSPACE --layer centres FOLDER/<NAME>_<r>.csv --mode upsert``
    in this process, and write its exit code and output to ``FOLDER/<NAME>_<r>.json``.
    Two of these started together upsert into one layer at the same moment, round after
    round, without paying Python's start-up time per round.

``python tests/geo/workers.py pause WHERE WORKSPACE FILE FOLDER``
    Import FILE into the centres layer through a store that stops at ``WHERE``
    (``before_publish`` or ``after_publish``): it writes ``FOLDER/paused`` and waits
    until ``FOLDER/resume`` exists (or until it is killed). SIGTERM is handled as the
    command line handles it (:func:`geo.cli.stopping_cleanly`).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geo.cli import main, stopping_cleanly  # noqa: E402
from geo.imports import commit_import, prepare_import  # noqa: E402
from geo.io import read_path  # noqa: E402
from geo.permissions import Viewer  # noqa: E402
from geo.store import GeoPackageStore  # noqa: E402
from geo.workspace import open_workspace  # noqa: E402

POLL_S = 0.005


def wait_for(path: Path) -> None:
    """Return once ``path`` exists."""
    while not path.exists():
        time.sleep(POLL_S)


def run_imports(workspace: str, name: str, rounds: int, folder: Path) -> None:
    """Run one import per round, each as soon as the round's start file appears."""
    for r in range(rounds):
        wait_for(folder / f"go_{r}")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(
                ["import", "--workspace", workspace, "--layer", "centres",
                 str(folder / f"{name}_{r}.csv"), "--mode", "upsert"]
            )  # fmt: skip
        result = {"code": code, "out": out.getvalue(), "err": err.getvalue()}
        partial = folder / f"{name}_{r}.json.part"
        partial.write_text(json.dumps(result))
        partial.rename(folder / f"{name}_{r}.json")


class PausingStore(GeoPackageStore):
    """A store that stops just before or just after it publishes a write."""

    def __init__(self, path: str, where: str, folder: Path) -> None:
        super().__init__(path)
        self.where = where
        self.folder = folder

    def _publish(self, work: Path) -> None:
        if self.where == "before_publish":
            self._pause()
        super()._publish(work)
        if self.where == "after_publish":
            self._pause()

    def _pause(self) -> None:
        (self.folder / "paused").write_text("")
        wait_for(self.folder / "resume")


def run_paused(where: str, workspace: str, file: str, folder: Path) -> None:
    """Commit one import through a :class:`PausingStore`."""
    viewer = Viewer("paused writer", "admin")
    preview = prepare_import(read_path(file), "centres", open_workspace(workspace), viewer)
    with stopping_cleanly():
        commit_import(PausingStore(workspace, where, folder), preview, viewer)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "import":
        run_imports(args[0], args[1], int(args[2]), Path(args[3]))
    elif mode == "pause":
        run_paused(args[0], args[1], args[2], Path(args[3]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
