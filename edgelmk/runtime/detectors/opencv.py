"""OpenCV's detectors: Haar cascades and HOG people (bundled with OpenCV), YuNet (the user's ONNX file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgelmk import optional
from edgelmk.runtime import model_files
from edgelmk.runtime.detectors import DETECTORS, Detection, Detector, rect_to_box


def _grey(image: np.ndarray) -> np.ndarray:
    cv2 = optional.cv2()
    return cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


@DETECTORS.register("haar")
class HaarFaces(Detector):
    """OpenCV's frontal-face Haar cascade (Viola-Jones): ships with OpenCV, so it always works.

    Scores are the cascade's last-stage weights (larger is surer; about 0 to 10). Faces under
    :attr:`min_size` pixels and faces turned more than about 30 degrees are missed.
    """

    summary = "OpenCV's bundled frontal-face Haar cascade (no download; upright, roughly frontal faces)"
    min_size = 24

    def __init__(self, scale_step: float = 1.1, min_neighbours: int = 5):
        cv2 = optional.cv2()
        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
        self.cascade = cv2.CascadeClassifier(str(path))
        if self.cascade.empty():
            raise ValueError(f"{path}: OpenCV could not load its own Haar cascade; reinstall opencv-python-headless")
        self.scale_step, self.min_neighbours = scale_step, min_neighbours

    @classmethod
    def open(cls, threads: int = 1, model_file: str | None = None) -> "HaarFaces":
        return cls()

    def detect(self, image: np.ndarray) -> list[Detection]:
        rects, _, weights = self.cascade.detectMultiScale3(
            _grey(image), scaleFactor=self.scale_step, minNeighbors=self.min_neighbours,
            minSize=(self.min_size, self.min_size), outputRejectLevels=True)
        found = [Detection(rect_to_box(*rect), float(weight)) for rect, weight in zip(rects, np.ravel(weights))]
        return sorted(found, key=lambda d: -d.score)


@DETECTORS.register("hog")
class HogPeople(Detector):
    """OpenCV's HOG + linear SVM people detector (Dalal & Triggs): upright people at least 128 px tall.

    Overlapping windows are merged by non-maximum suppression (IoU 0.5); scores are SVM margins.
    """

    kind = "person"
    summary = "OpenCV's bundled HOG people detector (no download; upright people >= 128 px tall)"
    min_size = 128

    def __init__(self):
        cv2 = optional.cv2()
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    @classmethod
    def open(cls, threads: int = 1, model_file: str | None = None) -> "HogPeople":
        return cls()

    def detect(self, image: np.ndarray) -> list[Detection]:
        cv2 = optional.cv2()
        rects, weights = self.hog.detectMultiScale(image, winStride=(8, 8), padding=(8, 8), scale=1.05)
        if len(rects) == 0:
            return []
        weights = np.ravel(weights)
        keep = cv2.dnn.NMSBoxes([list(map(int, r)) for r in rects], weights.astype(float).tolist(), 0.0, 0.5)
        return sorted((Detection(rect_to_box(*rects[i]), float(weights[i])) for i in np.ravel(keep)),
                      key=lambda d: -d.score)


@DETECTORS.register("yunet")
class YuNetFaces(Detector):
    """OpenCV's YuNet face detector (``cv2.FaceDetectorYN``) from the user's ONNX file.

    The file (``face_detection_yunet_2023mar.onnx``, MIT licence) is in OpenCV's model zoo
    (github.com/opencv/opencv_zoo, models/face_detection_yunet); it is not on PyPI. Give it with
    ``model_file`` (``--detector-file``) or put it in the model cache as ``yunet.onnx``
    (``edgelmk models get yunet --file PATH``). Keypoints: right eye, left eye, nose tip, right
    and left mouth corners; scores are probabilities.
    """

    summary = "OpenCV's YuNet CNN (cv2.FaceDetectorYN; needs its ONNX file: edgelmk models get yunet --file PATH)"
    keypoint_names = ("right_eye", "left_eye", "nose_tip", "mouth_right", "mouth_left")
    min_size = 10

    def __init__(self, model_file: str | Path, score_threshold: float = 0.6, nms_threshold: float = 0.3):
        cv2 = optional.cv2()
        try:
            self.net = cv2.FaceDetectorYN.create(str(model_file), "", (320, 320), score_threshold, nms_threshold, 5000)
        except cv2.error as error:
            raise ValueError(f"{model_file}: OpenCV cannot load it as YuNet ({str(error).strip().splitlines()[-1]})"
                             ) from None

    @classmethod
    def open(cls, threads: int = 1, model_file: str | None = None) -> "YuNetFaces":
        return cls(model_file or model_files.path_of("yunet"))

    def detect(self, image: np.ndarray) -> list[Detection]:
        cv2 = optional.cv2()
        height, width = image.shape[:2]
        self.net.setInputSize((width, height))
        _, faces = self.net.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if faces is None:
            return []
        return sorted((Detection(rect_to_box(*face[:4]), float(face[14]),
                                 face[4:14].reshape(5, 2).astype(np.float32)) for face in faces),
                      key=lambda d: -d.score)
