"""The Keras + Larq training backend beyond the trainer contract (tests/test_engine.py): losses
equal the PyTorch ones, corrupt checkpoints, what it cannot train, export of its checkpoints,
and the command line."""

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from tests.helpers import REPO_ROOT, optional_import
from tests.helpers import TINY, quiet, tiny

optional_import("larq")
torch = optional_import("torch")

from edgelmk import engine, recipe, validate  # noqa: E402
from edgelmk.checkpoint import CheckpointError  # noqa: E402
from edgelmk.cli import main  # noqa: E402
from edgelmk.codecs import CODECS  # noqa: E402
from edgelmk.keras.layers import tf  # noqa: E402
from edgelmk.keras.losses import build_loss  # noqa: E402
from edgelmk.losses import LOSSES  # noqa: E402
from edgelmk.nn.losses import build_loss as build_torch_loss  # noqa: E402


def larq(**changes):
    return tiny(**{"model.backend": "larq", **changes})


@pytest.mark.parametrize("codec_name,options", [("gaussian", {}), ("h3r", {}), ("dsnt", {"regularization": 0.5})])
def test_losses_equal_the_pytorch_ones(codec_name, options):
    rng = np.random.default_rng(0)
    codec = CODECS.build({"name": codec_name, "input_hw": [32, 32], "heatmap_hw": [8, 8]})
    keypoints = rng.uniform(0, 31, (4, 5, 2))
    visible = rng.random((4, 5)) > 0.2
    target = codec.encode(keypoints, visible, rng=rng)
    outputs = [rng.normal(0, 2, (4, 5, 8, 8)).astype(np.float32) for _ in range(2)]  # two stacks, NCHW
    spec = LOSSES.build({"name": CODECS.get(codec_name).default_loss, **options})
    torch_loss = build_torch_loss(spec)(
        [torch.from_numpy(o) for o in outputs], {key: torch.from_numpy(value) for key, value in target.items()})
    nhwc = {key: value.transpose(0, 2, 3, 1) if key == "heatmaps" else value for key, value in target.items()}
    keras_loss = build_loss(spec)([tf.constant(o.transpose(0, 2, 3, 1)) for o in outputs],
                                                 {key: tf.constant(value) for key, value in nhwc.items()})
    assert float(keras_loss) == pytest.approx(float(torch_loss), rel=1e-5)


def test_a_corrupt_checkpoint_is_refused(larq_checkpoint, tmp_path):
    (tmp_path / "broken.larq.npz").write_bytes(larq_checkpoint.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="broken.larq.npz is not a readable Larq checkpoint"):
        engine.load_checkpoint(tmp_path / "broken.larq.npz")
    (tmp_path / "last.larq.npz").write_bytes(larq_checkpoint.read_bytes()[:100])
    with pytest.raises(engine.TrainingError, match="last.larq.npz is not a readable Larq checkpoint"):
        engine.Trainer(larq(), tmp_path, resume=True, log=quiet)


def test_recipes_the_backend_cannot_train_fail_clearly(tmp_path):
    with pytest.raises(recipe.RecipeError, match="needs model.backend=torch"):
        validate.check(larq(**{"model.precision": "w8a8"}))
    with pytest.raises(recipe.RecipeError, match="heatmap_hw"):
        validate.check(larq(**{"codec.heatmap_hw": "[7, 7]"}))
    with pytest.raises(recipe.RecipeError, match="leave --device out"):
        engine.Trainer(larq(), tmp_path, device="cpu", log=quiet)


def test_several_processes_are_refused_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(engine.TrainingError, match="trains in one process, and this run has 2: TensorFlow's "
                                                   "MirroredStrategy"):
        engine.Trainer(larq(), tmp_path, log=quiet)
    monkeypatch.delenv("WORLD_SIZE")
    recipe.dump(larq(), tmp_path / "larq.yaml")
    result = CliRunner().invoke(main, ["train", str(tmp_path / "larq.yaml"), "--out", str(tmp_path / "run"),
                                       "--devices", "2"])
    assert result.exit_code == 1 and "--set model.backend=torch" in result.output


@pytest.fixture(scope="module")
def larq_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("larq_run")
    engine.Trainer(larq(), folder, log=quiet).fit()
    return folder / "best.larq.npz"


def test_export_to_lce_has_binary_ops_and_matches_keras(larq_checkpoint, tmp_path):
    from edgelmk.export import export_checkpoint
    from edgelmk.export.to_tflite import operator_counts

    content = export_checkpoint(larq_checkpoint, "lce", tmp_path, samples=8, log=quiet)
    assert operator_counts((tmp_path / "model.tflite").read_bytes())["LceBconv2d"] > 10
    assert content["parity"]["max_px"] < 0.05


def test_export_to_int8_tflite_and_the_onnx_refusal(larq_checkpoint, tmp_path):
    from edgelmk.export import export_checkpoint

    content = export_checkpoint(larq_checkpoint, "tflite", tmp_path, int8=True, samples=8, log=quiet)
    assert content["input"]["dtype"] == content["output"]["dtype"] == "int8"
    with pytest.raises(ValueError, match="exports to --target tflite or lce"):
        export_checkpoint(larq_checkpoint, "onnx", tmp_path / "onnx", samples=8, log=quiet)


def test_cli_trains_with_the_larq_backend_and_summarizes_it(tmp_path):
    recipe_path = tmp_path / "tiny.yaml"
    recipe.dump(tiny(**{"optim.epochs": 1}), recipe_path)
    runner = CliRunner()
    result = runner.invoke(main, ["train", str(recipe_path), "--set", "model.backend=larq", "--out",
                                  str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "best.larq.npz" in result.output and (tmp_path / "run" / "best.larq.npz").is_file()
    result = runner.invoke(main, ["train", str(recipe_path), "--set", "model.backend=larq", "--out",
                                  str(tmp_path / "run")])
    assert result.exit_code == 1 and "already holds a run" in result.output
    result = runner.invoke(main, ["info", str(recipe_path), "--set", "model.backend=larq"])
    assert result.exit_code == 0, result.output
    assert "Ratio of MACs that are binarized" in result.output and "Model size" in result.output


def test_eval_and_predict_refuse_a_larq_checkpoint_with_advice(larq_checkpoint):
    result = CliRunner().invoke(main, ["eval", str(larq_checkpoint)])
    assert result.exit_code == 1
    assert "Keras + Larq checkpoint" in result.output and "edgelmk export" in result.output


def test_larq_trains_after_a_pytorch_run_in_the_same_process(tmp_path):
    """Both backends in one process (TensorFlow loaded after torch): each trains and logs to TensorBoard."""
    script = f"""
from edgelmk import engine, recipe
config = recipe.resolve(recipe.apply_overrides({TINY!r}, ["optim.epochs=1"]))
engine.Trainer(config, r"{tmp_path / 'torch'}", log=lambda *_: None).fit()
engine.Trainer(recipe.resolve(recipe.apply_overrides(config, ["model.backend=larq"])), r"{tmp_path / 'larq'}",
            log=lambda *_: None).fit()
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "larq" / "tensorboard").iterdir())
