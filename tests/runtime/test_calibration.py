"""Box calibration: the fit recovers a known map, files round-trip, matching, the shipped calibrations."""

import numpy as np
import pytest

from edgelmk.runtime import calibration as calibrations
from edgelmk.runtime.detectors import Detection


def pairs_of_a_known_map(count=40, keypoints=False, seed=0):
    """Detector boxes and the landmark boxes they should map to: centre + (0.1 w, -0.2 h), size x (0.8, 1.25)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(count):
        x0, y0 = rng.uniform(0, 300, 2)
        w, h = rng.uniform(40, 120, 2)
        box = np.array([x0, y0, x0 + w, y0 + h], np.float32)
        centre = np.array([x0 + w / 2 + 0.1 * w, y0 + h / 2 - 0.2 * h])
        half = np.array([0.8 * w, 1.25 * h]) / 2
        points = np.array([[x0 + 0.3 * w, y0 + 0.4 * h], [x0 + 0.7 * w, y0 + 0.4 * h]], np.float32) if keypoints \
            else None
        pairs.append((Detection(box, 0.9, points), np.concatenate([centre - half, centre + half])))
    return pairs


@pytest.mark.parametrize("keypoints", [False, True])
def test_the_fit_recovers_a_known_map(keypoints):
    pairs = pairs_of_a_known_map(keypoints=keypoints)
    fitted = calibrations.fit("haar", "cofw", pairs)
    assert fitted.uses_keypoints == keypoints
    for detection, target in pairs:
        np.testing.assert_allclose(fitted.apply(detection), target, atol=0.05)
    errors = calibrations.box_errors(np.stack([fitted.apply(d) for d, _ in pairs]), np.stack([t for _, t in pairs]))
    assert errors["iou"] > 0.999 and errors["centre"] < 1e-3


def test_keypoints_are_used_only_with_enough_photos():
    assert not calibrations.fit("blazeface", "cofw", pairs_of_a_known_map(count=10, keypoints=True)).uses_keypoints
    with pytest.raises(ValueError, match="found 3 annotated face\\(s\\): a calibration needs at least 4"):
        calibrations.fit("haar", "cofw", pairs_of_a_known_map(count=3))


def test_box_errors_by_hand():
    errors = calibrations.box_errors(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]]))
    assert errors["iou"] == pytest.approx(50 / 150) and errors["centre"] == pytest.approx(0.5)
    assert errors["size"] == pytest.approx(0.0)


def test_files_keep_other_entries_and_refuse_garbage(tmp_path):
    path = tmp_path / "calibration.json"
    first = calibrations.fit("haar", "cofw", pairs_of_a_known_map())
    second = calibrations.fit("haar", "300w", pairs_of_a_known_map(seed=1))
    calibrations.write(path, [first])
    calibrations.write(path, [second])
    np.testing.assert_allclose(calibrations.read(path, "haar", "cofw").coefficients, first.coefficients, atol=1e-6)
    assert calibrations.read(path, "haar", "300w") is not None and calibrations.read(path, "haar", "wflw") is None
    path.write_text('{"calibrations": [{"detector": "haar", "scheme": "cofw", "coefficients": [1, 2]}]}')
    with pytest.raises(ValueError, match="not a box calibration \\(coefficients must be \\(F, 4\\)"):
        calibrations.read(path, "haar", "cofw")
    path.write_text("{")
    with pytest.raises(ValueError, match="cannot read this calibration file"):
        calibrations.read(path, "haar", "cofw")


def test_match_pairs_each_face_with_the_detection_holding_its_centre():
    detections = [Detection(np.array([0, 0, 50, 50], np.float32), 0.9),
                  Detection(np.array([100, 100, 160, 160], np.float32), 0.8),
                  Detection(np.array([90, 90, 170, 170], np.float32), 0.7)]
    targets = np.array([[110, 110, 150, 150], [5, 5, 45, 45], [300, 300, 320, 320]], np.float32)
    assert calibrations.match(detections, targets) == [1, 0, None]
    assert calibrations.match([], targets) == [None, None, None]


def test_shipped_calibrations_improve_the_box_where_they_were_fitted():
    for detector in ("haar", "blazeface", "blazeface_full"):
        shipped = calibrations.shipped(detector, "cofw")
        assert shipped is not None and shipped.samples >= 200, detector
        assert shipped.error["after"]["iou"] > shipped.error["before"]["iou"] + 0.2
    assert calibrations.shipped("yunet", "cofw") is None
    assert calibrations.kind_of_scheme("coco") == "person" and calibrations.kind_of_scheme("my_face") == "face"
