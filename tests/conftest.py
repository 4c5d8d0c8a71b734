"""Shared test configuration.

Hypothesis runs derandomized (a fixed example sequence) so that CI results are
reproducible; set HYPOTHESIS_PROFILE=explore locally to search with fresh randomness.
"""

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.helpers import FIXTURES, tiny

# Larq needs the legacy tf-keras; set before any test imports TensorFlow (edgelmk.keras does the same)
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100, print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def fixtures_dir() -> Path:
    """../shared/fixtures, or a skip when this checkout is used outside its workspace."""
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES} (checkout used outside its workspace)")
    return FIXTURES


# --- small trained checkpoints and their exports, shared by export / runtime / CLI tests (once per session)


def _train(folder, **changes):
    from edgelmk import engine

    engine.Trainer(tiny(**changes), folder, log=lambda *_: None).fit()
    return folder / "best.pt"


#: the networks of the tiny checkpoints, by name -> their recipe changes
MODELS = {"hourglass": {}, "mobile": {"model": '{"name": "mobile", "width": 16}'},
          "bireal": {"model.binary_activation": "rprelu", "model.binary_shortcut": True},
          "step-one": {"model.binary_weights": False}}


@pytest.fixture(scope="session")
def checkpoint_factory(tmp_path_factory):
    """checkpoint_factory(precision="w1a1", codec="h3r", model="hourglass") -> path of a tiny trained checkpoint
    (cached); ``model="mobile"`` trains the mobile network (fp32) instead of the hourglass, ``"bireal"`` the
    hourglass with RPReLU and a real-valued shortcut around each binary convolution, ``"step-one"`` the hourglass
with binary activations and real weights."""
    cache = {}

    def make(precision: str = "w1a1", codec: str = "h3r", model: str = "hourglass"):
        key = (precision, codec, model)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"ckpt_{model}_{precision}_{codec}")
            cache[key] = _train(folder, **MODELS[model], **{"model.precision": precision, "codec.name": codec})
        return cache[key]

    return make


@pytest.fixture(scope="session")
def export_factory(checkpoint_factory, tmp_path_factory):
    """export_factory(target, int8=False, precision="w1a1", codec="h3r", model="hourglass")
    -> (sidecar content, folder, checkpoint)."""
    from edgelmk.export import export_checkpoint

    cache = {}

    def make(target: str, int8: bool = False, precision: str = "w1a1", codec: str = "h3r", model: str = "hourglass"):
        key = (target, int8, precision, codec, model)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"export_{target}_{int8}_{model}_{precision}_{codec}")
            checkpoint = checkpoint_factory(precision, codec, model)
            content = export_checkpoint(checkpoint, target, folder, int8=int8, samples=8, log=lambda *_: None)
            cache[key] = content, folder, checkpoint
        return cache[key]

    return make
