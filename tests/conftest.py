"""Fixtures shared by every test layer: a demo workspace built once per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.demo import build_demo, write_demo

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "real"


@pytest.fixture(scope="session")
def demo_layers() -> dict:
    """The national demo (seed 7) as frames; read-only, shared by the tests."""
    return build_demo(seed=7)


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage workspace holding the national demo (seed 7); read-only."""
    path = tmp_path_factory.mktemp("workspace") / "demo.gpkg"
    write_demo(path, seed=7)
    return path


@pytest.fixture(scope="session")
def small_demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo workspace (seed 3, 5 % of the national one); copy it before writing."""
    path = tmp_path_factory.mktemp("small") / "small.gpkg"
    write_demo(path, seed=3, scale=0.05)
    return path


@pytest.fixture
def real_fixtures() -> Path:
    """The folder of real files in their native formats (``../shared/fixtures/real``).

    Skips when absent on a developer's machine; in CI (CI=true) a missing folder fails.
    """
    if not SHARED_FIXTURES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real fixtures missing at {SHARED_FIXTURES}")
        pytest.skip(f"real fixtures not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES


SHARED_WORKSPACES = ("demo_workspace", "small_demo_workspace")


def _folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture(autouse=True)
def _shared_workspaces_stay_unchanged(request: pytest.FixtureRequest):
    """Fail the test that writes to a shared, read-only workspace (its folder, audit included).

    A write there changes what every later test reads, so a test's result would depend on the
    order the suite runs in; such a test must copy the workspace first.
    """
    folders = [
        request.getfixturevalue(name).parent
        for name in SHARED_WORKSPACES
        if name in request.fixturenames
    ]
    before = [_folder_state(folder) for folder in folders]
    yield
    for folder, state in zip(folders, before, strict=True):
        assert _folder_state(folder) == state, (
            f"{request.node.nodeid} changed the shared workspace in {folder}; copy it first"
        )
