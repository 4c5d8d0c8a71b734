"""What many test modules share: paths, optional imports, and the tiny recipe every training test uses."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"

TINY = {
    "seed": 3,
    "data": {"train": {"name": "synthetic_faces", "num_samples": 24, "image_hw": [48, 48], "seed": 1},
             "val": {"name": "synthetic_faces", "num_samples": 8, "image_hw": [48, 48], "seed": 2},
             "input_hw": [32, 32], "batch_size": 8, "workers": 0, "cache": True},
    "codec": {"name": "h3r", "heatmap_hw": [8, 8]},
    "model": {"name": "hourglass", "precision": "w1a1", "width": 32, "depth": 2},
    "optim": {"epochs": 2, "lr": 0.001},
}


def optional_import(module: str):
    """Import an optional dependency: skip locally when absent, but fail under CI (CI=true),
    where the README's install provides every extra and a skip would hide a broken install."""
    if os.environ.get("CI"):
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module)


def tiny(**changes) -> dict:
    """The resolved tiny recipe (3 batches of 8 an epoch, 2 epochs) with ``key=value`` changes."""
    from edgelmk import recipe

    return recipe.resolve(recipe.apply_overrides(TINY, [f"{k}={v}" for k, v in changes.items()]))


def quiet(*_):
    """A log function that prints nothing."""
