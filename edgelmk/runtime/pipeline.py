"""Images and videos in, every face's (or person's) keypoints out: detect, calibrate, crop, landmarks, track, smooth.

Typical use::

    from edgelmk.runtime import Pipeline
    pipeline = Pipeline("export/model.tflite")          # detector "auto", tracking, One Euro smoothing
    for face in pipeline.process(photo_rgb):            # one image: every face the detector finds
        face.box, face.keypoints, face.scores           # (4,), (K, 2) image pixels, (K,)
    for faces in pipeline.stream(video_frames, fps=30): # a video: tracked faces with stable ids
        ...

On video the detector runs only when needed: each tracked face's next box is the box of its
current landmarks (the landmark box the model was trained on) moved ahead by the face's
velocity (an exponential average of the steps of its keypoints' mean, the newest weighted
``box_motion``), and the detector runs again every ``redetect_every`` frames (to find new
faces), when a face's mean landmark score falls below ``lost_ratio`` times its score when it was
found, when its landmark box's width or height moves more than ``max_resize`` away from the
detector box it last matched (landmarks that spread onto the background widen the next box,
which spreads them further), or when its box leaves the frame.
Keypoints are smoothed with :class:`edgelmk.runtime.smoothing.FaceSmoother` per face.
:attr:`Pipeline.timings` holds the last frame's seconds per stage.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from edgelmk.geometry import bbox_of
from edgelmk.preprocess import to_rgb_uint8
from edgelmk.runtime import calibration as calibrations
from edgelmk.runtime.detectors import Detection, Detector, build_detector, iou
from edgelmk.runtime.smoothing import ONE_EURO_DEFAULTS, FaceSmoother

SMOOTHING = ("one-euro", "off")
MATCH_IOU = 0.3  # a detection continues a tracked face when their boxes overlap this much
DUPLICATE_IOU = 0.5  # two tracked faces this close are one face: the lower-scored is dropped
MAX_MISSES = 2  # a followed face the detector misses this many times in a row ends
MAX_RESIZE = 0.25  # default max_resize: chosen on benchmarks/tracking.py's photo clips (0.2-0.4 tried)
BOX_MOTION = 0.5  # default box_motion: chosen on benchmarks/tracking.py's photo clips (0.2-1 tried)


@dataclass
class Face:
    """One face (or person) in one image or frame.

    Attributes:
        box: (4,) x0, y0, x1, y1 image pixels: the box the landmarks were predicted in.
        keypoints: (K, 2) float32 image pixels (filtered on video when smoothing is on).
        scores: (K,) the codec's per-keypoint scores.
        id: the track id on video (stable while the face is followed), None for single images.
        detection: what the detector returned where this frame ran it for this face, else None
            (the box came from the previous frame's landmarks).
    """

    box: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray
    id: int | None = None
    detection: Detection | None = None

    def to_json(self) -> dict[str, Any]:
        """``id``, ``box``, ``keypoints``, ``scores`` and ``detector`` (its box, score, keypoints or null)."""
        found = self.detection
        detector = None if found is None else {
            "box": np.round(found.box, 2).tolist(), "score": round(float(found.score), 4),
            "keypoints": None if found.keypoints is None else np.round(found.keypoints, 2).tolist()}
        return {"id": self.id, "box": np.round(self.box, 2).tolist(), "keypoints": np.round(self.keypoints, 3).tolist(),
                "scores": np.round(self.scores, 4).tolist(), "detector": detector}


def _box_side(box: np.ndarray) -> float:
    return float(np.sqrt(max(box[2] - box[0], 1e-6) * max(box[3] - box[1], 1e-6)))


def _box_size(box: np.ndarray) -> np.ndarray:
    """(2,) width and height, px (at least 1e-6)."""
    return np.maximum(np.asarray(box[2:], np.float64) - box[:2], 1e-6)


@dataclass
class _Track:
    id: int
    box: np.ndarray  # where the next frame's landmarks are predicted
    reference_score: float = 0.0  # mean landmark score on the frame it was found
    found_size: np.ndarray | None = None  # (2,) width, height px of the detector box it last matched
    centre: np.ndarray | None = None  # (2,) x, y px: mean of its last keypoints, since its box came from a detector
    velocity: np.ndarray | None = None  # (2,) px / s of that mean, exponentially averaged
    smoother: FaceSmoother | None = None
    lost: bool = False
    misses: int = 0  # detections in a row that did not find it
    detection: Detection | None = field(default=None, repr=False)


class Pipeline:
    """Detector + box calibration + landmark model + tracker + One Euro filter.

    Args:
        model: a :class:`edgelmk.runtime.LandmarkModel`, the path of an exported model (with its
            ``model.json``), or any object with ``predict(image, box) -> (keypoints, scores)``
            and ``scheme`` (a trained checkpoint's ``TrainedModel``).
        detector: a :data:`edgelmk.runtime.detectors.DETECTORS` name, ``auto`` (the best one
            installed for the model's kind: faces, or people for body schemes), or a built
            :class:`Detector`. Built on first use.
        tracking: on video, follow each face with its landmarks instead of detecting every frame.
        smoothing: ``one-euro`` or ``off`` (video only).
        max_faces: keep at most this many detections per image, best score first (None: all).
        redetect_every: run the detector at least every this many frames while tracking.
        lost_ratio: a tracked face is lost when its mean landmark score falls below this
            fraction of its score on the frame it was found.
        max_resize: a tracked face is detected again on the next frame (and still shown on this
            one) when its landmark box's width or height is more than ``1 + max_resize`` times (or
            less than ``1 / (1 + max_resize)`` times) that of the detector box it last matched.
        box_motion: while tracking, the next frame's box is the landmark box moved by the face's
            velocity times this frame's interval; the velocity is an exponential average of the steps
            of the mean of its keypoints, the newest step weighted ``box_motion`` (0 <= box_motion <= 1;
            0: no motion, the next box is the landmark box itself).
        one_euro: One Euro parameters (``min_cutoff``, ``beta``, ``d_cutoff``, ``shape_beta``; defaults in
            :data:`edgelmk.runtime.smoothing.ONE_EURO_DEFAULTS`).
        calibration: a calibration file (``edgelmk detect calibrate``) or a
            :class:`~edgelmk.runtime.calibration.BoxCalibration`; None: the one edgelmk ships for
            the detector and the model's scheme, if any (else the detector's box as it is). A
            combining detector (``blazeface_both``) takes each part's calibration for its boxes.
        threads: interpreter threads for an exported model and for LiteRT detectors.
        detector_file: the detector's model file where the cache does not hold it (YuNet).
        log: called with one-line notes (which detector ``auto`` chose, missing calibrations).
    """

    def __init__(self, model, detector: str | Detector = "auto", tracking: bool = True, smoothing: str = "one-euro",
                 *, max_faces: int | None = None, redetect_every: int = 30, lost_ratio: float = 0.5,
                 max_resize: float = MAX_RESIZE, box_motion: float = BOX_MOTION, one_euro: dict | None = None,
                 calibration=None, threads: int = 1, detector_file: str | None = None, log=print):
        if isinstance(model, (str, Path)):
            from edgelmk.runtime.model import LandmarkModel
            model = LandmarkModel(model, threads)
        if smoothing not in SMOOTHING:
            raise ValueError(f"smoothing must be one of {', '.join(SMOOTHING)}, got {smoothing!r}")
        if (redetect_every < 1 or not 0 <= lost_ratio < 1 or not max_resize > 0
                or (max_faces is not None and max_faces < 1) or not 0 <= box_motion <= 1):
            raise ValueError(f"need redetect_every >= 1, 0 <= lost_ratio < 1, max_resize > 0, max_faces >= 1 and "
                             f"0 <= box_motion <= 1 (got {redetect_every}, {lost_ratio}, {max_resize}, {max_faces}, "
                             f"{box_motion})")
        self.model, self.scheme = model, model.scheme
        self.kind = calibrations.kind_of_scheme(self.scheme)
        self.tracking, self.smoothing, self.max_faces = tracking, smoothing, max_faces
        self.redetect_every, self.lost_ratio, self.max_resize = redetect_every, lost_ratio, max_resize
        self.box_motion = box_motion
        self.one_euro = {**ONE_EURO_DEFAULTS, **(one_euro or {})}
        FaceSmoother(**self.one_euro)  # checks the parameters now
        self._detector_choice, self._calibration_choice = detector, calibration
        self._detector: Detector | None = detector if isinstance(detector, Detector) else None
        self.calibrations: dict[str, calibrations.BoxCalibration | None] = {}
        self.threads, self.detector_file, self.log = threads, detector_file, log
        self.timings: dict[str, float] = {}
        if self._detector is not None:
            self._choose_calibration()

    # --- detection ---------------------------------------------------------------------------

    @property
    def detector(self) -> Detector:
        """The detector (built, and its calibration chosen, on first use)."""
        if self._detector is None:
            self._detector = build_detector(self._detector_choice, self.kind, self.threads, self.detector_file,
                                            log=self.log)
            self._choose_calibration()
        return self._detector

    def _choose_calibration(self) -> None:
        """One calibration per source of boxes: the detector, or each part of a combining one."""
        choice = self._calibration_choice
        self.calibrations = {}
        for name in self._detector.parts or (self._detector.name,):
            if isinstance(choice, calibrations.BoxCalibration):
                found = choice
            elif choice is not None:
                found = calibrations.read(choice, name, self.scheme)
                if found is None:
                    raise ValueError(f"{choice}: no calibration of detector {name!r} for scheme {self.scheme!r}; "
                                     f"make one with: edgelmk detect calibrate {name} DATASET --ann ... --root ... "
                                     f"--out {choice}")
            else:
                found = calibrations.shipped(name, self.scheme)
                if found is None and self.log:
                    self.log(f"no box calibration of detector {name!r} for scheme {self.scheme!r}: its boxes are used "
                             f"as they are (make one with: edgelmk detect calibrate {name} DATASET --ann ... --root ...)")
            self.calibrations[name] = found

    def detect(self, image: np.ndarray) -> list[tuple[Detection, np.ndarray]]:
        """(detection, calibrated landmark box) for each face the detector finds, best first, at most ``max_faces``."""
        start = time.perf_counter()
        found = self.detector.detect(image)[:self.max_faces]
        self.timings["detect"] = self.timings.get("detect", 0.0) + time.perf_counter() - start
        boxes = []
        for detection in found:
            calibration = self.calibrations[detection.source or self.detector.name]
            boxes.append((detection, detection.box if calibration is None else calibration.apply(detection)))
        return boxes

    # --- landmarks ---------------------------------------------------------------------------

    def landmarks(self, image: np.ndarray, box: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (K, 2) and scores (K,) in one box, with the model's stage times added to :attr:`timings`."""
        start = time.perf_counter()
        keypoints, scores = self.model.predict(image, box)
        stages = getattr(self.model, "timings", None)
        if stages:
            for ours, theirs in (("crop", "preprocess"), ("inference", "inference"), ("decode", "decode")):
                self.timings[ours] = self.timings.get(ours, 0.0) + stages[theirs]
        else:
            self.timings["landmarks"] = self.timings.get("landmarks", 0.0) + time.perf_counter() - start
        return np.asarray(keypoints, np.float32), np.asarray(scores, np.float32)

    def in_box(self, image: np.ndarray, box: Sequence[float]) -> Face:
        """The face in a given box (no detector): what ``edgelmk predict --box`` uses."""
        self.timings = {}
        image = to_rgb_uint8(np.asarray(image), "image")
        keypoints, scores = self.landmarks(image, box)
        return Face(np.asarray(box, np.float32), keypoints, scores)

    def process(self, image: np.ndarray) -> list[Face]:
        """Every face the detector finds in one image (no tracking, no smoothing); [] when there is none.

        Args:
            image: (H, W, 3) RGB uint8; grey, RGBA, 16-bit and float images are converted.
        """
        self.timings = {}
        image = to_rgb_uint8(np.asarray(image), "image")
        faces = []
        for found, box in self.detect(image):
            keypoints, scores = self.landmarks(image, box)
            faces.append(Face(box, keypoints, scores, detection=found))
        return faces

    # --- video -------------------------------------------------------------------------------

    def stream(self, frames: Iterable[np.ndarray | None], fps: float = 30.0) -> Iterator[list[Face]]:
        """Tracked faces per frame of a video, ids stable while a face is followed.

        Args:
            frames: RGB images in time order; None for a frame that could not be read (it yields
                [] and the tracks carry on over the gap).
            fps: the video's frame rate (the One Euro filter's time step is 1 / fps).
        """
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        tracks: list[_Track] = []
        ids = itertools.count()
        since_detection, gap = self.redetect_every, 1
        for frame in frames:
            self.timings = {}
            if frame is None:
                gap += 1
                yield []
                continue
            image = to_rgb_uint8(np.asarray(frame), "frame")
            detect_now = (not self.tracking or not tracks or since_detection >= self.redetect_every
                          or any(t.lost for t in tracks))
            if detect_now:
                tracks = self._match(tracks, self.detect(image), ids)
                since_detection = 0
            faces = self._follow(image, tracks, gap / fps)
            since_detection += 1
            gap = 1
            yield faces

    def _match(self, tracks: list[_Track], detections, ids) -> list[_Track]:
        """Tracks after a detection: found faces continue the track they overlap (keeping its
        box while it is not lost), a second box on a face already matched is ignored, new faces
        start tracks, and tracks not found again end unless their landmarks still hold them (not
        lost, missed by fewer than ``MAX_MISSES`` detections in a row)."""
        continued, free = [], list(tracks)
        for found, box in detections:
            overlaps = [float(iou(box, t.box[None])[0]) for t in free]
            best = int(np.argmax(overlaps)) if overlaps else -1
            if best >= 0 and overlaps[best] >= MATCH_IOU:
                track = free.pop(best)
                if track.lost or not self.tracking:
                    track.box, track.lost, track.reference_score = box, False, 0.0
                    track.centre = track.velocity = None
            elif any(float(iou(box, t.box[None])[0]) >= MATCH_IOU for t in continued):
                continue
            else:
                track = _Track(next(ids), box)
            track.detection, track.misses, track.found_size = found, 0, _box_size(box)
            continued.append(track)
        for track in free:  # a face the landmarks still hold survives a detector that missed it, a while
            if self.tracking and not track.lost and track.misses < MAX_MISSES:
                track.misses += 1
                continued.append(track)
        return continued

    def _follow(self, image: np.ndarray, tracks: list[_Track], dt: float) -> list[Face]:
        """Landmarks of every track in this frame; sets each track's next box and whether it is lost."""
        height, width = image.shape[:2]
        faces = []
        for track in tracks:
            keypoints, scores = self.landmarks(image, track.box)
            mean_score = float(np.mean(scores)) if len(scores) else 0.0
            track.reference_score = track.reference_score or mean_score
            next_box = bbox_of(keypoints)
            centre = (next_box[:2] + next_box[2:]) / 2
            shift = self._motion(track, keypoints.mean(axis=0, dtype=np.float64), dt)
            inside = 0 <= centre[0] <= width - 1 and 0 <= centre[1] <= height - 1
            resized = self.tracking and bool(np.any(np.abs(np.log(_box_size(next_box) / track.found_size))
                                                    > np.log1p(self.max_resize)))
            unreliable = mean_score < self.lost_ratio * track.reference_score or not inside
            track.lost = unreliable or resized  # a resized face is shown, and found again on the next frame
            face = Face(track.box.copy(), keypoints, scores, track.id, track.detection)
            track.box, track.detection = next_box + np.tile(shift, 2).astype(np.float32), None
            if unreliable:
                continue
            if self.smoothing == "one-euro":
                start = time.perf_counter()
                track.smoother = track.smoother or FaceSmoother(**self.one_euro)
                face.keypoints = track.smoother(keypoints, dt, _box_side(next_box))
                self.timings["filter"] = self.timings.get("filter", 0.0) + time.perf_counter() - start
            faces.append(face)
        self._drop_duplicates(tracks, faces)
        return faces

    def _motion(self, track: _Track, centre: np.ndarray, dt: float) -> np.ndarray:
        """(2,) px the next box moves by: the track's velocity (updated with ``centre``, the mean of
        this frame's keypoints) times this frame's interval ``dt`` s; zero without tracking or
        ``box_motion``, and on the first frame after the box came from the detector."""
        if not self.tracking or not self.box_motion:
            return np.zeros(2)
        if track.centre is not None:
            step = (centre - track.centre) / dt
            previous = step if track.velocity is None else track.velocity
            track.velocity = previous + self.box_motion * (step - previous)
        track.centre = centre
        return np.zeros(2) if track.velocity is None else track.velocity * dt

    @staticmethod
    def _drop_duplicates(tracks: list[_Track], faces: list[Face]) -> None:
        """Two tracks that converged on one face: the one with the lower mean score ends (on a tie, the newer)."""
        dropped = set()
        for first, second in itertools.combinations(faces, 2):
            if float(iou(bbox_of(first.keypoints), bbox_of(second.keypoints)[None])[0]) > DUPLICATE_IOU:
                dropped.add(min((first, second), key=lambda f: (float(np.mean(f.scores)), -f.id)).id)
        tracks[:] = [t for t in tracks if t.id not in dropped]
        faces[:] = [f for f in faces if f.id not in dropped]
