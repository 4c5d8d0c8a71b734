"""Detector box -> the landmark box a model was trained on, learned per detector and landmark scheme.

Every detector draws its own box (Haar's square around eyes and mouth, BlazeFace's tighter
one, HOG's window with a margin); a landmark model was trained on the tight box of its
scheme's landmarks (plus the recipe's margin, which the model's crop adds itself). A
:class:`BoxCalibration` is a least-squares map, in units of the detector's box:

    (centre shift x / w, centre shift y / h, log(width ratio), log(height ratio))
        = [1, detector keypoints relative to the box centre / (w, h)] @ coefficients

so it is independent of where the face is and how big it is; detectors without keypoints
learn four constants. :func:`fit` learns it from pairs (detection, landmark box) that
``edgelmk detect calibrate`` collects on annotated photos; the calibrations shipped in
``calibrations/<detector>.json`` were made on the real photos in ``../shared/fixtures``
(``benchmarks/detection.py`` reports the box error before and after).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from edgelmk.files import write_atomic
from edgelmk.runtime.detectors import Detection, iou

SHIPPED = Path(__file__).with_name("calibrations")
#: landmark schemes whose boxes are people, not faces (the pipeline's detector kind follows)
PERSON_SCHEMES = ("coco", "mpii")
MIN_FACES = 4  # fewer annotated faces than this give no calibration
RIDGE = 1e-2  # keeps the keypoint coefficients small where few photos were annotated


def kind_of_scheme(scheme: str) -> str:
    """``person`` for body schemes, ``face`` for every other (built-in or declared) scheme."""
    return "person" if scheme in PERSON_SCHEMES else "face"


def _features(detection: Detection, use_keypoints: bool) -> np.ndarray:
    box = detection.box.astype(np.float64)
    if not use_keypoints or detection.keypoints is None:
        return np.ones(1)
    centre, size = (box[:2] + box[2:]) / 2, np.maximum(box[2:] - box[:2], 1e-6)
    return np.concatenate([[1.0], ((detection.keypoints - centre) / size).ravel()])


def _box_targets(detection: Detection, target: np.ndarray) -> np.ndarray:
    box, target = detection.box.astype(np.float64), np.asarray(target, np.float64)
    size, target_size = np.maximum(box[2:] - box[:2], 1e-6), np.maximum(target[2:] - target[:2], 1e-6)
    shift = ((target[:2] + target[2:]) - (box[:2] + box[2:])) / 2 / size
    return np.concatenate([shift, np.log(target_size / size)])


@dataclass
class BoxCalibration:
    """The learned map of one detector's boxes onto one scheme's landmark boxes.

    Attributes:
        detector, scheme: what it maps (a :data:`~edgelmk.runtime.detectors.DETECTORS` name, a skeleton name).
        coefficients: (F, 4) least-squares coefficients; F = 1, or 1 + 2P with the detector's P keypoints.
        samples: how many annotated faces it was fitted on; about: where they came from.
    """

    detector: str
    scheme: str
    coefficients: np.ndarray
    samples: int = 0
    about: str = ""
    error: dict = field(default_factory=dict)

    @property
    def uses_keypoints(self) -> bool:
        return len(self.coefficients) > 1

    def apply(self, detection: Detection) -> np.ndarray:
        """The (4,) float32 landmark-box estimate for one detection."""
        if self.uses_keypoints and detection.keypoints is None:
            raise ValueError(f"the {self.detector} calibration needs the detector's keypoints")
        shift_x, shift_y, log_w, log_h = _features(detection, self.uses_keypoints) @ self.coefficients
        box = detection.box.astype(np.float64)
        size = np.maximum(box[2:] - box[:2], 1e-6)
        centre = (box[:2] + box[2:]) / 2 + np.array([shift_x, shift_y]) * size
        half = size * np.exp([log_w, log_h]) / 2
        return np.concatenate([centre - half, centre + half]).astype(np.float32)

    def to_json(self) -> dict:
        return {"detector": self.detector, "scheme": self.scheme, "coefficients": np.round(self.coefficients, 6).tolist(),
                "samples": self.samples, "about": self.about, "error": self.error}

    @classmethod
    def from_json(cls, content: dict, source: str) -> "BoxCalibration":
        try:
            coefficients = np.asarray(content["coefficients"], np.float64)
            if coefficients.ndim != 2 or coefficients.shape[1] != 4:
                raise ValueError(f"coefficients must be (F, 4), got {coefficients.shape}")
            return cls(str(content["detector"]), str(content["scheme"]), coefficients, int(content.get("samples", 0)),
                       str(content.get("about", "")), dict(content.get("error", {})))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{source}: not a box calibration ({error}); write one with edgelmk detect calibrate"
                             ) from None


def fit(detector: str, scheme: str, pairs: Sequence[tuple[Detection, np.ndarray]], about: str = "",
        use_keypoints: bool = True) -> BoxCalibration:
    """Least squares over (detection, landmark box (4,)) pairs; keypoints are used when every
    detection has them and there are at least three photos per coefficient (else four constants)."""
    if len(pairs) < MIN_FACES:
        raise ValueError(f"{detector} found {len(pairs)} annotated face(s): a calibration needs at least {MIN_FACES}")
    with_points = use_keypoints and all(d.keypoints is not None for d, _ in pairs)
    if with_points and len(pairs) < 3 * len(_features(pairs[0][0], True)):
        with_points = False
    features = np.stack([_features(d, with_points) for d, _ in pairs])
    targets = np.stack([_box_targets(d, t) for d, t in pairs])
    ridge = RIDGE * len(pairs) * np.eye(features.shape[1])
    ridge[0, 0] = 0.0  # the constant term is not shrunk
    coefficients = np.linalg.solve(features.T @ features + ridge, features.T @ targets)
    return BoxCalibration(detector, scheme, coefficients, len(pairs), about)


def box_errors(boxes: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Mean IoU and mean centre / size errors (fractions of the target box side) of (N, 4) boxes."""
    boxes, targets = np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(targets, np.float64).reshape(-1, 4)
    side = np.sqrt(np.prod(np.maximum(targets[:, 2:] - targets[:, :2], 1e-6), axis=1))
    centre = np.linalg.norm((boxes[:, :2] + boxes[:, 2:] - targets[:, :2] - targets[:, 2:]) / 2, axis=1) / side
    sizes = np.sqrt(np.prod(np.maximum(boxes[:, 2:] - boxes[:, :2], 1e-6), axis=1))
    inter = np.prod(np.clip(np.minimum(boxes[:, 2:], targets[:, 2:]) - np.maximum(boxes[:, :2], targets[:, :2]),
                            0, None), axis=1)
    union = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1) + np.prod(targets[:, 2:] - targets[:, :2], axis=1) - inter
    return {"iou": float(np.mean(inter / union)), "centre": float(np.mean(centre)),
            "size": float(np.mean(np.abs(np.log(sizes / side))))}


def read(path: str | Path, detector: str, scheme: str) -> BoxCalibration | None:
    """The calibration of ``detector`` for ``scheme`` in a calibration file, or None when it has none."""
    path = Path(path)
    try:
        content = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read this calibration file ({error})") from None
    entries = content.get("calibrations", []) if isinstance(content, dict) else []
    for entry in entries:
        if entry.get("detector") == detector and entry.get("scheme") == scheme:
            return BoxCalibration.from_json(entry, str(path))
    return None


def write(path: str | Path, calibrations: Sequence[BoxCalibration]) -> Path:
    """Write (atomically) calibrations into ``path``, replacing entries of the same detector and scheme."""
    path = Path(path)
    kept = []
    if path.is_file():
        kept = [entry for entry in json.loads(path.read_text()).get("calibrations", [])
                if (entry.get("detector"), entry.get("scheme")) not in {(c.detector, c.scheme) for c in calibrations}]
    text = json.dumps({"calibrations": kept + [c.to_json() for c in calibrations]}, indent=1) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, lambda handle: handle.write(text.encode()))


def shipped(detector: str, scheme: str) -> BoxCalibration | None:
    """The calibration edgelmk ships for ``detector`` and ``scheme``, if any."""
    path = SHIPPED / f"{detector}.json"
    return read(path, detector, scheme) if path.is_file() else None


def match(detections: Sequence[Detection], targets: np.ndarray) -> list[int | None]:
    """For each (4,) target box, the index of the detection that found it, or None.

    A detection finds a face when its box holds the target box's centre; among several, the
    one overlapping it most; each detection finds at most one face (the best-overlapping first).
    """
    targets = np.asarray(targets, np.float64).reshape(-1, 4)
    if not len(detections):
        return [None] * len(targets)
    boxes = np.stack([d.box for d in detections]).astype(np.float64)
    overlaps = np.stack([iou(t, boxes) for t in targets])
    centres = (targets[:, :2] + targets[:, 2:]) / 2
    holds = ((boxes[None, :, 0] <= centres[:, None, 0]) & (centres[:, None, 0] <= boxes[None, :, 2])
             & (boxes[None, :, 1] <= centres[:, None, 1]) & (centres[:, None, 1] <= boxes[None, :, 3]))
    overlaps = np.where(holds, overlaps, -1.0)
    found: list[int | None] = [None] * len(targets)
    for flat in np.argsort(-overlaps, axis=None):
        face, detection = np.unravel_index(flat, overlaps.shape)
        if overlaps[face, detection] < 0:
            break
        if found[face] is None and detection not in found:
            found[face] = int(detection)
    return found
