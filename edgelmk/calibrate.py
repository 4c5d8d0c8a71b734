"""``edgelmk detect calibrate``: run a detector over an annotated dataset and fit its box calibration.

Reads the dataset's records (``edgelmk.data``), loads each photo once (several annotated faces
per photo are matched together), pairs each annotated face's landmark box with the detection
that found it (:func:`edgelmk.runtime.calibration.match`), and fits
:func:`edgelmk.runtime.calibration.fit`.
"""

from __future__ import annotations

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


def detections_per_face(detector: Detector, dataset, progress=None) -> tuple[list[tuple[Detection, np.ndarray]], int]:
    """(detection, landmark box) for each annotated face the detector finds, and the number of faces."""
    by_image = defaultdict(list)
    for record in dataset.records:
        by_image[record["image_path"]].append(bbox_of(record["keypoints"], record["visible"]))
    pairs = []
    for path, targets in by_image.items():
        detections = detector.detect(load_image(path))
        for target, index in zip(targets, calibrations.match(detections, np.stack(targets))):
            if index is not None:
                pairs.append((detections[index], target))
        if progress:
            progress(len(targets))
    return pairs, len(dataset.records)


def calibrate_on(detector: Detector, dataset, about: str = "", progress=None) -> list[CalibrationResult]:
    """Fit ``detector``'s calibration for the dataset's scheme, with its box errors before and after: one per
    source of boxes (the detector, or each part of a combining one such as ``blazeface_both``).

    Raises:
        ValueError: when no source found enough annotated faces to fit on.
    """
    pairs, faces = detections_per_face(detector, dataset, progress)
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
