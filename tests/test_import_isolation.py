"""The numpy-only parts must import and work where torch and tensorflow cannot be imported."""

import subprocess
import sys
import textwrap

from tests.helpers import REPO_ROOT
from tests.helpers import TINY

BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"torch", "tensorflow", "tf_keras", "larq", "brevitas"}:
                raise ImportError(f"{name} is blocked in this test")

    sys.meta_path.insert(0, Blocker())
    """
)


def run_blocked(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER + textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)


def test_codecs_data_and_cli_work_without_torch_or_tensorflow():
    result = run_blocked(
        """
        import numpy as np
        from edgelmk.codecs import CODECS
        from edgelmk.cli import main
        from edgelmk import metrics, viz
        from edgelmk.data import DATASETS
        from edgelmk.data import transforms
        for name in CODECS.names():
            codec = CODECS.build({"name": name, "input_hw": [64, 64], "heatmap_hw": [16, 16]})
            codec.decode(codec.encode(np.array([[[20.0, 30.0]]]))["heatmaps"])
        assert not any(m.split(".")[0] in {"torch", "tensorflow"} for m in sys.modules)
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_blocker_really_blocks():
    result = run_blocked("import torch")
    assert result.returncode != 0 and "blocked in this test" in result.stderr


def test_runtime_runs_exported_models_without_torch_or_tensorflow(export_factory):
    folders = [str(export_factory("onnx")[1] / "model.onnx"), str(export_factory("tflite", int8=True)[1] / "model.tflite")]
    result = run_blocked(
        f"""
        import numpy as np
        import edgelmk.runtime
        from edgelmk.runtime import LandmarkModel
        from edgelmk.runtime.bench import bench
        for path in {folders!r}:
            model = LandmarkModel(path)
            keypoints, scores = model.predict(np.zeros((60, 50, 3), np.uint8), (5, 5, 40, 50))
            assert keypoints.shape == (68, 2) and np.isfinite(keypoints).all()
            assert bench(path, runs=2, warmup=1)["latency_ms"]["total"]["p50"] > 0
        assert not any(m.split(".")[0] in {{"torch", "tensorflow", "larq", "tf_keras"}} for m in sys.modules)
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_larq_backend_trains_and_exports_without_torch(tmp_path):
    """The Keras + Larq backend needs the tflite extra only: here torch and brevitas are blocked."""
    code = BLOCKER.replace('{"torch", "tensorflow", "tf_keras", "larq", "brevitas"}', '{"torch", "brevitas"}')
    script = code + textwrap.dedent(
        f"""
        from edgelmk import recipe
        from edgelmk.export import export_checkpoint
        from edgelmk.engine import Trainer
        config = recipe.resolve(recipe.apply_overrides({TINY!r}, ["model.backend=larq", "optim.epochs=1"]))
        Trainer(config, r"{tmp_path}", log=lambda *_: None).fit()
        content = export_checkpoint(r"{tmp_path / 'best.larq.npz'}", "lce", r"{tmp_path / 'lce'}", samples=4,
                                    log=lambda *_: None)
        assert "torch" not in sys.modules
        print("ok", content["target"])
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok lce")
