"""benchmarks/synthetic_to_real.py: the 68-point boxes it estimates for helen29's photos, and a smoke run
of the whole script (tiny networks, one epoch) that must print both tables and write results.json."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import REPO_ROOT, optional_import

optional_import("cv2")
optional_import("torch")

SCRIPT = REPO_ROOT / "benchmarks" / "synthetic_to_real.py"


@pytest.fixture
def benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # the script imports its neighbour real_photos.py
    import synthetic_to_real

    return synthetic_to_real


def procedural_faces(benchmark, count: int, seed: int) -> list[dict]:
    return benchmark.read({"name": "synthetic_faces", "num_samples": count, "image_hw": [96, 96], "seed": seed,
                           "version": 4})


def test_boxes_estimated_from_the_shared_points_overlap_the_true_68_point_boxes(benchmark):
    from edgelmk.runtime.detectors import iou

    offsets = benchmark.shared_box_offsets(procedural_faces(benchmark, 40, seed=1))
    assert offsets.shape == (4,) and (offsets[:2] <= 0).all() and (offsets[2:] >= 0).all()  # the 68-point box is larger
    shared = [point for _, point in benchmark.COFW_SHARED_WITH_300W]
    overlaps = []
    for face in procedural_faces(benchmark, 20, seed=2):  # other faces than those the proportions came from
        estimated = benchmark.box_from_shared_points(face["keypoints"][shared], offsets)
        overlaps.append(iou(face["bbox"].astype(np.float64), estimated[None].astype(np.float64))[0])
    assert np.median(overlaps) > 0.8  # the shared points' own box: about 0.6 (yawed faces vary)


def test_helen29_photos_become_68_point_faces_with_the_shared_points_only(benchmark):
    offsets = np.array([-0.1, -0.2, 0.1, 0.3])
    faces = benchmark.helen_faces_68(offsets)
    assert len(faces) == 298 and {face["source"] for face in faces} == {benchmark.HELEN_68}
    cofw_points, w300_points = (list(side) for side in zip(*benchmark.COFW_SHARED_WITH_300W))
    first = benchmark.helen_faces("train")[0]
    face = faces[0]
    assert face["keypoints"].shape == (68, 2) and np.flatnonzero(face["visible"]).tolist() == sorted(
        point for point, visible in zip(w300_points, first["visible"][cofw_points]) if visible)
    np.testing.assert_array_equal(face["keypoints"][w300_points], first["keypoints"][cofw_points])
    x0, y0, x1, y1 = face["bbox"]
    points = first["keypoints"][cofw_points]
    width, height = np.ptp(points[:, 0]), np.ptp(points[:, 1])
    np.testing.assert_allclose([x0, y0, x1, y1], [points[:, 0].min() - 0.1 * width, points[:, 1].min() - 0.2 * height,
                                                  points[:, 0].max() + 0.1 * width, points[:, 1].max() + 0.3 * height],
                               rtol=1e-5)


@pytest.mark.slow
def test_a_quick_run_prints_both_tables_and_writes_every_row(benchmark, tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--label", "smoke", "--out", str(tmp_path)],
                            capture_output=True, text=True, cwd=SCRIPT.parent, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for title in ("helen29/val, 29 points (COFW), by the pupils", "68 points (300W), by the outer eye corners",
                  "helen29 (15 points shared with COFW), by the outer eye corners", "goals (this generator)"):
        assert title in result.stdout, result.stdout
    rows = json.loads((tmp_path / "results.json").read_text())["smoke (quick)"]
    assert rows["cofw"]["groups"]["helen29/val"]["faces"] == 48
    assert rows["300w"]["groups"]["all"]["faces"] == 6  # the mmpose fixtures' 300W and WFLW faces (no --menpo)
    helen = rows["300w"]["helen"]["groups"][benchmark.HELEN_68]
    assert helen["faces"] == 298 and np.isfinite(helen["NME"]) and np.isfinite(helen["flip-test NME"])
    assert helen["mean shape NME"] < 0.2  # COFW points at their 300W places: a wrong pairing costs far more
    assert (tmp_path / "versions.png").is_file()
