"""Shared test configuration.

Hypothesis runs derandomized (a fixed example sequence) so that CI results are
reproducible; set HYPOTHESIS_PROFILE=explore locally to search with fresh randomness.
"""

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100, print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    """../shared/fixtures, or a skip when this checkout is used outside its workspace."""
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES} (checkout used outside its workspace)")
    return FIXTURES


def optional_import(module: str):
    """Import an optional dependency: skip locally when absent, but fail under CI (CI=true),
    where the README's install provides every extra and a skip would hide a broken install."""
    if os.environ.get("CI"):
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module)
