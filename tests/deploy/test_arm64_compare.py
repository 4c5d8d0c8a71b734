"""deploy/arm64-check/compare.py: its three steps, run on this machine for both sides (no qemu here).

The real aarch64 run needs root, debootstrap and qemu (deploy/arm64-check/README.md); this test
keeps the comparison logic honest: identical runs pass, a perturbed one fails.
"""

import subprocess
import sys

import numpy as np

from tests.helpers import REPO_ROOT, optional_import

optional_import("onnxruntime")

SCRIPT = REPO_ROOT / "deploy" / "arm64-check" / "compare.py"


def step(name, export_dir, work):
    return subprocess.run([sys.executable, str(SCRIPT), name, str(export_dir), str(work)], capture_output=True,
                          text=True, cwd=REPO_ROOT, env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
                          timeout=300)


def test_compare_steps_pass_on_identical_runs_and_fail_on_different_ones(export_factory, tmp_path):
    _, folder, _ = export_factory("onnx")
    for name in ("reference", "run"):
        result = step(name, folder, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "compiled decode equals the numpy decode bit for bit" in result.stdout  # float maps too
    result = step("check", folder, tmp_path)
    assert result.returncode == 0 and "keypoints max 0.0000 px" in result.stdout and " 0 of " in result.stdout, result.stdout + result.stderr
    keypoints = np.load(tmp_path / "arm64_keypoints.npy")
    np.save(tmp_path / "arm64_keypoints.npy", keypoints + 0.5)
    assert step("check", folder, tmp_path).returncode == 1


def test_an_int8_export_checks_the_compiled_decode_against_numpy_on_each_side(export_factory, tmp_path):
    _, folder, _ = export_factory("tflite", int8=True)
    result = step("reference", folder, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "compiled decode equals the numpy decode bit for bit" in result.stdout
