"""The README's main job: the quickstart recipe trains end to end, beats the mean shape, and its
exports keep its keypoints (minutes)."""

import pytest

from edgelmk import engine, recipe
from tests.helpers import REPO_ROOT, optional_import

optional_import("cv2")

# keypoint distance to PyTorch (pixels of the 64x64 input) on 64 validation crops; measured here:
# float targets mean < 0.001 px (99% of keypoints exact to 1e-5 px, a rare binarization tie moves one
# keypoint ~1 px); int8 TFLite mean 1.34 px (post-training int8 rounding flips some binary activations)
FLOAT_P99_PX = 0.05
INT8_MEAN_PX = 2.0


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quickstart")
    config = recipe.load(REPO_ROOT / "recipes" / "quickstart.yaml")
    assert config["model"]["precision"] == "w1a1" and config["codec"]["name"] == "h3r"
    trainer = engine.Trainer(config, folder, log=lambda *_: None)
    return folder, trainer, trainer.fit()


@pytest.mark.slow
def test_quickstart_binarized_network_beats_the_mean_shape(quickstart):
    folder, trainer, report = quickstart
    baseline = trainer.mean_shape_baseline()
    # measured here: NME 0.069 against 0.273 for the mean shape (0.083 before shortcuts and Bop)
    assert report["NME"] < 0.12 and report["NME"] < baseline["NME"] / 2
    assert (folder / "best.pt").exists() and (folder / "last.pt").exists()


@pytest.mark.slow
@pytest.mark.parametrize("target,int8", [("onnx", False), ("tflite", False), ("tflite", True), ("lce", False)])
def test_quickstart_exports_keep_the_keypoints(quickstart, target, int8):
    optional_import("larq_compute_engine")
    from edgelmk.export import export_checkpoint

    folder, _, _ = quickstart
    content = export_checkpoint(folder / "best.pt", target, folder / f"{target}_{int8}", int8=int8,
                                log=lambda *_: None)
    parity = content["parity"]
    if int8:
        assert parity["mean_px"] <= INT8_MEAN_PX, parity
    else:
        assert parity["p99_px"] <= FLOAT_P99_PX and parity["mean_px"] <= 0.01, parity


@pytest.mark.slow
def test_mobile_quickstart_trains_exports_int8_tflite_and_benches_through_the_cli(tmp_path):
    """The interface of recipes/mobile_quickstart.yaml on a tenth of its budget (the full run's numbers are
    in the README: benchmarks/deploy.py)."""
    optional_import("tensorflow")
    import json

    from click.testing import CliRunner

    from edgelmk.cli import main

    def run(*args):
        result = CliRunner().invoke(main, [str(arg) for arg in args])
        assert result.exit_code == 0, result.output
        return result.output

    recipe_path = REPO_ROOT / "recipes" / "mobile_quickstart.yaml"
    assert recipe.load(recipe_path)["model"]["name"] == "mobile"
    run("train", recipe_path, "--out", tmp_path / "run", "--set", "data.train.num_samples=256",
        "--set", "data.val.num_samples=32", "--set", "optim.epochs=1")
    run("export", tmp_path / "run" / "best.pt", "--target", "tflite", "--int8", "--out", tmp_path / "int8")
    sidecar = json.loads((tmp_path / "int8" / "model.json").read_text())
    assert sidecar["input"]["dtype"] == sidecar["output"]["dtype"] == "int8" and sidecar["output"]["layout"] == "NCHW"
    report = json.loads(run("bench", tmp_path / "int8" / "model.tflite", "--runs", "5", "--warmup", "1", "--json"))
    assert all(report["latency_ms"][stage]["p50"] > 0 for stage in ("preprocess", "inference", "decode"))
