"""Face and person detectors behind one interface (numpy, OpenCV, LiteRT: no torch, no TensorFlow).

``DETECTORS`` holds one class per detector; each finds boxes in an RGB image::

    from edgelmk.runtime.detectors import build_detector
    detector = build_detector("auto", kind="face")   # the best one installed; detector.name says which
    for found in detector.detect(image_rgb_uint8):
        found.box, found.score, found.keypoints       # (4,) x0, y0, x1, y1 image pixels; float; (P, 2) or None

Boxes follow the project's convention (:mod:`edgelmk.geometry`: pixel centres at integers),
but each detector draws its own kind of box; :mod:`edgelmk.runtime.calibration` maps them
onto the landmark box a model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgelmk.registry import Registry


@dataclass
class Detection:
    """One face or person found in an image.

    Attributes:
        box: (4,) float32 x0, y0, x1, y1 in image pixels.
        score: the detector's confidence (its own scale: a probability for BlazeFace / YuNet /
            pose_detection, a cascade or SVM margin for Haar / HOG).
        keypoints: (P, 2) float32 image pixels of the detector's own keypoints, or None
            (:attr:`Detector.keypoint_names` names them).
        source: which detector drew the box, where a detector combines several (its
            calibration is that one's); "" for the detector itself.
    """

    box: np.ndarray
    score: float
    keypoints: np.ndarray | None = None
    source: str = ""


class Detector:
    """Finds faces or people in (H, W, 3) uint8 RGB images.

    Class attributes:
        kind: ``face`` or ``person``.
        summary: one line for ``edgelmk ls detectors``.
        keypoint_names: names of the detector's own keypoints (empty when it has none).
        min_size: the smallest object it finds, pixels (its window; smaller ones are missed).
        parts: the detectors whose boxes a combining detector returns (their names are the
            detections' ``source``, and their calibrations apply); empty for a plain detector.
    """

    kind = "face"
    summary = ""
    keypoint_names: tuple[str, ...] = ()
    min_size = 0
    name = ""
    parts: tuple[str, ...] = ()

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Every object found in ``image``, best score first."""
        raise NotImplementedError


DETECTORS: Registry[Detector] = Registry("detector")

#: ``auto``'s order of preference per kind: the first that can be built is used.
PREFERENCE = {"face": ("blazeface_both", "blazeface_full", "blazeface", "yunet", "haar"),
              "person": ("pose_detection", "hog")}


def rect_to_box(x: float, y: float, width: float, height: float) -> np.ndarray:
    """OpenCV's pixel rectangle (x, y, w, h covering pixels x .. x + w - 1) -> box edges, (4,) float32."""
    return np.array([x - 0.5, y - 0.5, x + width - 0.5, y + height - 0.5], np.float32)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (4,) box with (N, 4) boxes -> (N,)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    width = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = width * height
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def build_detector(name: str = "auto", kind: str = "face", threads: int = 1, model_file: str | None = None,
                   log=None) -> Detector:
    """A detector by registry name, or ``auto``: the first of :data:`PREFERENCE` [kind] that can be built.

    Args:
        name: a :data:`DETECTORS` name or ``auto``.
        kind: ``face`` or ``person`` (what ``auto`` looks for; a named detector must find that kind).
        threads: interpreter threads (LiteRT detectors).
        model_file: the detector's model file where it needs one the cache does not hold (YuNet's ONNX).
        log: called with one line saying which detector ``auto`` picked and why the better ones were skipped.

    Raises:
        ValueError: unknown name, wrong kind, or a detector that cannot be built (its file missing:
            the message says the command that gets it).
    """
    if kind not in PREFERENCE:
        raise ValueError(f"kind must be 'face' or 'person', got {kind!r}")
    if name != "auto":
        try:
            cls = DETECTORS.get(name)
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        if cls.kind != kind:
            raise ValueError(f"detector {name!r} finds {cls.kind}s, but this model needs {kind} boxes; use one of: "
                             f"{', '.join(n for n in DETECTORS.names() if DETECTORS.get(n).kind == kind)}")
        return cls.open(threads=threads, model_file=model_file)
    skipped = []
    for candidate in PREFERENCE[kind]:
        try:
            detector = DETECTORS.get(candidate).open(threads=threads, model_file=model_file)
        except (ValueError, ImportError) as error:
            skipped.append(f"{candidate}: {error}")
            continue
        if log:
            log(f"detector auto -> {candidate}" + (f" (skipped {'; '.join(skipped)})" if skipped else ""))
        return detector
    raise ValueError(f"no {kind} detector can be built: " + "; ".join(skipped))


from edgelmk.runtime.detectors import mediapipe, opencv  # noqa: E402,F401  (registers the detectors)
