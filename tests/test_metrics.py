import json

import numpy as np
import pytest

from edgelmk import metrics
from tests.helpers import optional_import


def faces(n=3, k=68, seed=0):
    return np.random.default_rng(seed).uniform(0, 100, (n, k, 2))


def test_nme_by_hand():
    gt = np.zeros((1, 68, 2))
    gt[0, 36], gt[0, 45] = [0, 0], [50, 0]  # inter-ocular distance 50
    pred = gt.copy()
    pred[0, 10] += [3, 4]  # one keypoint 5 px off
    assert metrics.nme(pred, gt, "300w")[0] == pytest.approx(5 / 68 / 50)
    visible = np.zeros((1, 68))
    visible[0, 10] = visible[0, 11] = 1
    assert metrics.nme(pred, gt, "300w", visible)[0] == pytest.approx(5 / 2 / 50)
    assert metrics.nme(pred, gt, np.array([10.0]))[0] == pytest.approx(5 / 68 / 10)


@pytest.mark.parametrize("name, pair, k", [("wflw", (60, 72), 98), ("cofw", (16, 17), 29)])
def test_nme_normalizer_indices(name, pair, k):
    gt = faces(2, k)
    pred = gt + 1.0
    distance = np.linalg.norm(gt[:, pair[0]] - gt[:, pair[1]], axis=-1)
    np.testing.assert_allclose(metrics.nme(pred, gt, name), np.sqrt(2) / distance)


def test_nme_errors():
    with pytest.raises(ValueError, match="box_size"):
        metrics.nme(faces(k=19), faces(k=19), "aflw")
    with pytest.raises(ValueError, match="pred .* and gt .* must have the same shape"):
        metrics.nme(faces(k=68), faces(k=98), "300w")
    with pytest.raises(ValueError, match=r"shape \(N,\) = \(3,\)"):
        metrics.nme(faces(), faces(), [1.0, 2.0])
    with pytest.raises(ValueError, match="positive and finite"):
        metrics.nme(faces(), faces(), [1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="at least one visible keypoint"):
        metrics.nme(faces(), faces(), "300w", np.zeros((3, 68)))


def test_failure_rate_auc_and_ced_by_hand():
    nmes = [0.02, 0.04, 0.2]
    assert metrics.failure_rate(nmes, 0.1) == pytest.approx(1 / 3)
    # area under the step CED from 0 to 0.1: (0.08 + 0.06) / 3, over 0.1
    assert metrics.auc(nmes, 0.1) == pytest.approx(0.14 / 3 / 0.1)
    errors, fractions = metrics.ced(nmes, 0.1, steps=11)
    np.testing.assert_allclose(fractions, [0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3])
    report = metrics.face_report(nmes)
    assert report["NME"] == pytest.approx(0.26 / 3) and report["FR@0.08"] == pytest.approx(1 / 3)


def test_auc_matches_a_fine_numerical_integral():
    nmes = np.random.default_rng(0).gamma(2.0, 0.03, 500)
    errors, fractions = metrics.ced(nmes, 0.08, steps=200_001)
    trapezoids = (fractions[1:] + fractions[:-1]) / 2 * np.diff(errors)
    assert metrics.auc(nmes, 0.08) == pytest.approx(trapezoids.sum() / 0.08, abs=1e-4)


def test_plot_ced_writes_a_png(tmp_path):
    optional_import("matplotlib")
    path = metrics.plot_ced({"a": [0.01, 0.05], "b": [0.03, 0.2]}, tmp_path / "ced.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pckh_by_hand():
    gt = np.zeros((2, 16, 2))
    pred = gt.copy()
    head_boxes = np.array([[0, 0, 30, 40], [0, 0, 30, 40]], dtype=np.float64)  # diagonal 50 -> head size 30
    pred[0, 9] += [15.0, 0]  # exactly 0.5 head sizes: counts as correct
    pred[1, 9] += [15.1, 0]  # just beyond
    pred[:, 6] += 100  # pelvis is wrong, but not part of the mean
    visible = np.ones((2, 16))
    visible[1, 0] = 0  # an invisible right ankle does not count
    result = metrics.pckh(pred, gt, visible, head_boxes)
    assert result["per_joint"]["head_top"] == 50.0 and result["per_joint"]["pelvis"] == 0.0
    assert result["table"]["Head"] == 50.0 and result["table"]["Ankle"] == 100.0
    # 14 included joints x 2 samples - 1 invisible = 27 counted, 1 wrong
    assert result["table"]["Mean"] == pytest.approx(100 * 26 / 27)


def test_pckh_errors():
    with pytest.raises(ValueError, match="16 MPII joints"):
        metrics.pckh(faces(k=17), faces(k=17), None, np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"head_boxes must have shape \(N, 4\)"):
        metrics.pckh(faces(k=16), faces(k=16), None, np.ones((3, 2)))


@pytest.fixture
def coco_files(fixtures_dir):
    optional_import("pycocotools")
    path = fixtures_dir / "mmpose" / "coco" / "test_coco.json"
    content = json.loads(path.read_text())
    return path, [a for a in content["annotations"] if any(a["keypoints"][2::3])]


def detections_from(annotations, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    results = []
    for annotation in annotations:
        values = np.asarray(annotation["keypoints"], dtype=np.float64).reshape(-1, 3)
        values[:, :2] += rng.normal(0, noise, (len(values), 2))
        values[:, 2] = 1.0
        results.append({"image_id": annotation["image_id"], "category_id": 1, "keypoints": values.ravel().tolist(),
                        "score": 1.0})
    return results


def test_coco_ap_perfect_predictions(coco_files):
    path, annotations = coco_files
    result = metrics.coco_ap(path, detections_from(annotations))
    assert result == pytest.approx({"AP": 1.0, "AP50": 1.0, "AP75": 1.0, "AR": 1.0})


def test_coco_ap_equals_pycocotools_on_noisy_predictions(coco_files, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    path, annotations = coco_files
    detections = detections_from(annotations, noise=6.0)
    (tmp_path / "results.json").write_text(json.dumps(detections))
    ours = metrics.coco_ap(path, tmp_path / "results.json")
    ground_truth = COCO(str(path))
    evaluator = COCOeval(ground_truth, ground_truth.loadRes(str(tmp_path / "results.json")), "keypoints")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    assert ours == {"AP": evaluator.stats[0], "AP50": evaluator.stats[1], "AP75": evaluator.stats[2],
                    "AR": evaluator.stats[5]}
    assert 0 < ours["AP"] < 1


def test_coco_ap_rejects_malformed_detections(coco_files):
    path, _ = coco_files
    with pytest.raises(ValueError, match="non-empty list of objects with keys"):
        metrics.coco_ap(path, [{"image_id": 785}])
