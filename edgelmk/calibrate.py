"""``edgelmk detect calibrate``: run a detector over an annotated dataset and fit its box calibration.

Reads the dataset's records (``edgelmk.data``), loads each photo once (several annotated faces
per photo are matched together), pairs each annotated face's landmark box with the detection
that found it (:func:`edgelmk.runtime.calibration.match`), and fits
:func:`edgelmk.runtime.calibration.fit`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from edgelmk.geometry import bbox_of
from edgelmk.preprocess import load_image
from edgelmk.runtime import calibration as calibrations
from edgelmk.runtime.detectors import Detection, Detector


@dataclass
class CalibrationResult:
    """The fitted calibration and what it was fitted on.

    Attributes:
        pairs: (detection, landmark box) for every annotated face this source of boxes found.
        faces: annotated faces in the dataset.
        before, after: :func:`edgelmk.runtime.calibration.box_errors` of the raw and calibrated boxes.
    """

    calibration: calibrations.BoxCalibration
    pairs: list[tuple[Detection, np.ndarray]]
    faces: int
    before: dict[str, float]
    after: dict[str, float]

    def report(self) -> str:
        c = self.calibration
        lines = [f"{c.detector} on {c.scheme}: found {len(self.pairs)} of {self.faces} annotated faces "
                 f"(recall {len(self.pairs) / max(self.faces, 1):.3f}); calibration "
                 f"{'with the detector keypoints' if c.uses_keypoints else 'of four constants'}",
                 f"{'box':<12}{'IoU':>8}{'centre':>9}{'size':>8}   (centre, |log size|: fractions of the landmark box)"]
        for label, errors in (("detector", self.before), ("calibrated", self.after)):
            lines.append(f"{label:<12}{errors['iou']:>8.3f}{errors['centre']:>9.3f}{errors['size']:>8.3f}")
        return "\n".join(lines)


def boxes_by_image(dataset) -> dict[str, list[np.ndarray]]:
    """Each image path of a dataset with the landmark boxes of its annotated faces."""
    boxes = defaultdict(list)
    for record in dataset.records:
        boxes[record["image_path"]].append(bbox_of(record["keypoints"], record["visible"]))
    return dict(boxes)


def found_faces(detector: Detector, boxes: dict[str, list[np.ndarray]], progress=None
                ) -> tuple[list[tuple[Detection, np.ndarray]], float]:
    """(detection, landmark box) for each annotated face the detector finds (each photo read once), and the
    seconds spent detecting."""
    pairs, seconds = [], 0.0
    for path, targets in boxes.items():
        image = load_image(path)
        start = time.perf_counter()
        detections = detector.detect(image)
        seconds += time.perf_counter() - start
        for target, index in zip(targets, calibrations.match(detections, np.stack(targets))):
            if index is not None:
                pairs.append((detections[index], target))
        if progress:
            progress(len(targets))
    return pairs, seconds


def calibrate_on(detector: Detector, dataset, about: str = "", progress=None) -> list[CalibrationResult]:
    """Fit ``detector``'s calibration for the dataset's scheme, with its box errors before and after: one per
    source of boxes (the detector, or each part of a combining one such as ``blazeface_both``).

    Raises:
        ValueError: when no source found enough annotated faces to fit on.
    """
    pairs, _ = found_faces(detector, boxes_by_image(dataset), progress)
    faces = len(dataset.records)
    results, too_few = [], []
    for source in detector.parts or (detector.name,):
        mine = [(d, t) for d, t in pairs if (d.source or detector.name) == source]
        if len(mine) < calibrations.MIN_FACES:
            too_few.append(f"{source} found {len(mine)}")
            continue
        calibration = calibrations.fit(source, dataset.skeleton.name, mine, about)
        targets = np.stack([t for _, t in mine])
        before = calibrations.box_errors(np.stack([d.box for d, _ in mine]), targets)
        after = calibrations.box_errors(np.stack([calibration.apply(d) for d, _ in mine]), targets)
        calibration.error = {"recall": round(len(mine) / faces, 4), "before": before, "after": after}
        results.append(CalibrationResult(calibration, mine, faces, before, after))
    if not results:
        raise ValueError(f"too few annotated faces to calibrate on ({'; '.join(too_few)}; at least "
                         f"{calibrations.MIN_FACES} needed)")
    return results
