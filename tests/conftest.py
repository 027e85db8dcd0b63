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
