"""MediaPipe's single-shot detectors (BlazeFace, BlazePose's person detector) run through LiteRT.

The anchor layout and box decoding are ours, written from MediaPipe's published graph options
(``SsdAnchorsCalculator`` and ``TensorsToDetectionsCalculator`` in the
``face_detection_*_range`` and ``pose_detection`` graphs of mediapipe 0.10.21): the image is
letterboxed into the square input, each anchor regresses a box and keypoints as offsets in
input pixels, scores are sigmoids, and overlapping boxes are merged by weighted NMS (the
score-weighted mean of every box a kept box suppresses).

The model files come from the ``mediapipe`` wheel: ``edgelmk models get blazeface``
(see :mod:`edgelmk.runtime.model_files`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgelmk import geometry, optional
from edgelmk.runtime import model_files
from edgelmk.runtime.detectors import DETECTORS, Detection, Detector, iou
from edgelmk.runtime.interpreters import litert


@dataclass(frozen=True)
class SsdLayout:
    """One model's anchors and decoding constants.

    Attributes:
        input_size: side of the square input, pixels.
        strides: one per anchor layer; layers of equal stride share a grid (their anchors
            alternate per cell, two per layer: MediaPipe's aspect ratio 1 plus its interpolated scale).
        anchors_per_layer: anchors a layer adds to each cell of its grid.
        min_score: detections below this sigmoid score are dropped.
        nms_iou: boxes overlapping a better one by more than this are merged into it.
    """

    input_size: int
    strides: tuple[int, ...]
    anchors_per_layer: int
    min_score: float
    nms_iou: float = 0.3

    def anchors(self) -> np.ndarray:
        """(A, 2) anchor centres, in units of the input side (0..1), in the models' output order."""
        centres = []
        for stride in dict.fromkeys(self.strides):  # equal strides form one grid, in order
            per_cell = self.anchors_per_layer * self.strides.count(stride)
            cells = -(-self.input_size // stride)
            y, x = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
            grid = np.stack([x.ravel(), y.ravel()], axis=1)
            centres.append(np.repeat(grid, per_cell, axis=0))
        return np.concatenate(centres).astype(np.float32)


def letterbox_matrix(image_hw, size: int) -> np.ndarray:
    """(2, 3) image -> square input matrix: the whole image scaled to fit, centred, black bars around."""
    height, width = image_hw
    scale = size / max(height, width)
    offset = (np.array([size - width * scale, size - height * scale]) + scale - 1) / 2
    return np.array([[scale, 0, offset[0]], [0, scale, offset[1]]], np.float64)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, points: np.ndarray, threshold: float
                 ) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """MediaPipe's weighted non-maximum suppression.

    Args:
        boxes: (N, 4) x0, y0, x1, y1; scores: (N,); points: (N, P, 2); threshold: IoU above
            which a box joins the best remaining one.

    Returns:
        (box, score, points) per kept detection, best first: the box and points are the
        score-weighted means over the boxes it absorbed, the score is the best one's.
    """
    order = np.argsort(-scores, kind="stable")
    kept = []
    while len(order):
        overlaps = iou(boxes[order[0]], boxes[order])
        members = order[overlaps > threshold]
        members = members if len(members) else order[:1]
        weights = scores[members] / scores[members].sum()
        kept.append((weights @ boxes[members], float(scores[order[0]]),
                     np.tensordot(weights, points[members], axes=1)))
        order = order[overlaps <= threshold]
    return kept


class SsdDecoder:
    """One layout's anchors and the decoding of its raw outputs into boxes and keypoints in image pixels.

    The Android core's ``SsdDecoder.java`` does the same and is tested against :meth:`decode`.
    """

    def __init__(self, layout: SsdLayout, min_score: float | None = None):
        self.layout = layout
        self.anchors = layout.anchors()
        self.min_score = layout.min_score if min_score is None else min_score

    def decode(self, regressions: np.ndarray, logits: np.ndarray, matrix: np.ndarray
               ) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """(box (4,) float32, score, keypoints (P, 2) float32) in image pixels, best first.

        Args:
            regressions: (A, 4 + 2P) the model's box and keypoint offsets, input pixels.
            logits: (A,) scores before the sigmoid.
            matrix: the (2, 3) image -> input matrix the input was made with (:func:`letterbox_matrix`).
        """
        scores = 1 / (1 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
        keep = scores >= self.min_score
        if not keep.any():
            return []
        size = self.layout.input_size
        anchors = self.anchors[keep] * size  # input pixel edges (0..size)
        values = regressions[keep]
        centres = anchors + values[:, :2]
        half = values[:, 2:4] / 2
        boxes = np.concatenate([centres - half, centres + half], axis=1)
        points = anchors[:, None, :] + values[:, 4:].reshape(len(values), -1, 2)
        to_image = geometry.invert_affine(matrix)
        found = []
        for box, score, keypoints in weighted_nms(boxes, scores[keep], points, self.layout.nms_iou):
            corners = geometry.apply_affine(box.reshape(2, 2) - 0.5, to_image)  # edges -> pixel-centre convention
            found.append((corners.ravel().astype(np.float32), score,
                          geometry.apply_affine(keypoints - 0.5, to_image).astype(np.float32)))
        return found


class SsdDetector(Detector):
    """A MediaPipe SSD detector: letterbox, LiteRT, :class:`SsdDecoder`.

    Subclasses set ``layout``, ``file`` (a :data:`edgelmk.runtime.model_files.MODEL_FILES` key)
    and ``keypoint_names``; :meth:`to_detection` may turn the decoded box and keypoints into
    another box (the person detector does).
    """

    layout: SsdLayout
    file = ""

    def __init__(self, model_path, threads: int = 1, min_score: float | None = None):
        self.interpreter, self.interpreter_name = litert(model_path, threads)
        (self.input_detail,) = self.interpreter.get_input_details()
        outputs = self.interpreter.get_output_details()
        self.decoder = SsdDecoder(self.layout, min_score)
        anchors = len(self.decoder.anchors)
        by_width = {int(detail["shape"][-1]): detail["index"] for detail in outputs}
        coordinates = 4 + 2 * len(self.keypoint_names)
        if set(by_width) != {coordinates, 1} or any(int(d["shape"][1]) != anchors for d in outputs):
            raise ValueError(f"{model_path}: expected outputs (1, {anchors}, {coordinates}) and (1, {anchors}, 1), "
                             f"got {[tuple(d['shape']) for d in outputs]}; is it MediaPipe's {self.file} model?")
        self.box_output, self.score_output = by_width[coordinates], by_width[1]

    @classmethod
    def open(cls, threads: int = 1, model_file: str | None = None) -> "SsdDetector":
        return cls(model_file or model_files.path_of(cls.file), threads)

    def raw_outputs(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(A, 4 + 2P) regressions, (A,) logits and the (2, 3) image -> input matrix for an RGB image."""
        cv2 = optional.cv2()
        size = self.layout.input_size
        matrix = letterbox_matrix(image.shape[:2], size)
        square = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        inputs = (square.astype(np.float32) / 127.5 - 1.0)[None]
        self.interpreter.set_tensor(self.input_detail["index"], inputs)
        self.interpreter.invoke()
        return (self.interpreter.get_tensor(self.box_output)[0], self.interpreter.get_tensor(self.score_output)[0, :, 0],
                matrix)

    def detect(self, image: np.ndarray) -> list[Detection]:
        return [self.to_detection(*found) for found in self.decoder.decode(*self.raw_outputs(image))]

    def to_detection(self, box: np.ndarray, score: float, keypoints: np.ndarray) -> Detection:
        return Detection(box, score, keypoints)


FACE_KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")


@DETECTORS.register("blazeface")
class BlazeFace(SsdDetector):
    """BlazeFace short range (128 x 128 input; faces within about 2 m of the camera, >= ~1/8 of the image)."""

    summary = "MediaPipe BlazeFace short range via LiteRT (edgelmk models get blazeface); faces near the camera"
    layout = SsdLayout(128, (8, 16, 16, 16), 2, min_score=0.5)
    file = "blazeface"
    keypoint_names = FACE_KEYPOINTS
    min_size = 16


@DETECTORS.register("blazeface_full")
class BlazeFaceFullRange(SsdDetector):
    """BlazeFace full range (192 x 192 input, one anchor per 4-pixel cell; small faces up to about 5 m)."""

    summary = "MediaPipe BlazeFace full range via LiteRT (edgelmk models get blazeface_full); small faces too"
    layout = SsdLayout(192, (4,), 1, min_score=0.5)
    file = "blazeface_full"
    keypoint_names = FACE_KEYPOINTS
    min_size = 8


@DETECTORS.register("pose_detection")
class PoseDetection(SsdDetector):
    """BlazePose's person detector (224 x 224). It finds the face and two body keypoints.

    The person box is the square MediaPipe crops the body from: centred on the mid-hip point,
    its half side the distance to the full-body size point. Keypoints: mid-hip, full-body size
    point, mid-shoulder, upper-body size point.
    """

    kind = "person"
    summary = "MediaPipe BlazePose person detector via LiteRT (edgelmk models get pose_detection)"
    layout = SsdLayout(224, (8, 16, 32, 32, 32), 2, min_score=0.5)
    file = "pose_detection"
    keypoint_names = ("mid_hip", "body_size", "mid_shoulder", "upper_body_size")
    min_size = 32

    def to_detection(self, box: np.ndarray, score: float, keypoints: np.ndarray) -> Detection:
        radius = float(np.linalg.norm(keypoints[1] - keypoints[0]))
        centre = keypoints[0]
        return Detection(np.concatenate([centre - radius, centre + radius]).astype(np.float32), score, keypoints)


@DETECTORS.register("blazeface_both")
class BlazeFaceBoth(Detector):
    """Both BlazeFace models on each image: the short range's faces (better on close ones), then the full
    range's faces that no short-range box overlaps (IoU > 0.3: small and distant ones). Each box keeps its
    model's name as ``source``, so each gets that model's calibration."""

    summary = ("BlazeFace short + full range together (edgelmk models get blazeface, blazeface_full); "
               "close and small faces")
    keypoint_names = FACE_KEYPOINTS
    min_size = BlazeFaceFullRange.min_size
    parts = ("blazeface", "blazeface_full")
    same_face_iou = 0.3

    def __init__(self, short: BlazeFace, full: BlazeFaceFullRange):
        self.short, self.full = short, full

    @classmethod
    def open(cls, threads: int = 1, model_file: str | None = None) -> "BlazeFaceBoth":
        if model_file is not None:
            raise ValueError("blazeface_both reads its two files from the model cache (edgelmk models get blazeface, "
                             "edgelmk models get blazeface_full); --detector-file is for one-file detectors")
        return cls(BlazeFace.open(threads), BlazeFaceFullRange.open(threads))

    def detect(self, image: np.ndarray) -> list[Detection]:
        close = [Detection(d.box, d.score, d.keypoints, "blazeface") for d in self.short.detect(image)]
        boxes = np.stack([d.box for d in close]) if close else np.zeros((0, 4), np.float32)
        far = [Detection(d.box, d.score, d.keypoints, "blazeface_full") for d in self.full.detect(image)
               if not (iou(d.box, boxes) > self.same_face_iou).any()]
        return close + far
