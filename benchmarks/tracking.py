"""Jitter, lag, accuracy and per-frame cost on video: detect every frame vs follow the landmarks, One Euro on and off.

Clips with a known ground-truth path: a real photo (helen29/val, 29 COFW points) or a
procedural face, moved, scaled and rotated smoothly with sub-pixel warps (cv2.warpAffine,
bilinear) inside a 480x480 frame at 30 fps, with still spells between the moves (where
jitter shows most). The exported COFW model runs through :class:`edgelmk.runtime.Pipeline` in
four ways: detect every frame or track (the box from the previous landmarks, re-detect every
30 frames or when lost), each without and with the One Euro filter. A fifth, "true box every
frame", predicts in the landmark box of the true points, the box the model was trained on:
the reference for the other ways' NME.

Reported per way (means over clips): NME (inter-pupil) against the true points; jitter = RMS
of the second difference over time of the error (prediction - truth), px: what a viewer sees
shake, with the true motion taken out; lag = the time shift (frames, 0.1 steps) that best
aligns the predicted path with the true one; ms per frame; detector runs per frame; found =
the fraction of frames with a face (the others are left out of the means; a clip where the
detector never finds the face is left out of all but "found"). Where a photo shows other
people too, the face nearest the true points is the one scored.

    python benchmarks/tracking.py MODEL.tflite [--clips 24] [--detector blazeface_full] [--sweep]

MODEL: a COFW-scheme export, e.g. ``edgelmk train recipes/finetune_helen29_fp32.yaml`` then
``edgelmk export ... --target tflite --int8``. ``--sweep`` also prints other One Euro settings (position
``beta``, ``shape_beta``) and tracking without box motion (``box_motion`` 0).
"""

from __future__ import annotations

import argparse
import time
from typing import Iterator

import numpy as np

from synthetic_to_real import FIXTURES
from edgelmk import geometry, optional
from edgelmk.data import DATASETS
from edgelmk.runtime import LandmarkModel, Pipeline
from edgelmk.runtime.smoothing import ONE_EURO_DEFAULTS

FRAME = 480
FPS = 30.0
FRAMES = 120
PUPILS = (16, 17)


def motion(frames: int, seed: int) -> np.ndarray:
    """(frames, 4) centre x, y (px), scale, angle (degrees): smooth moves with still spells between them."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / FPS
    phase = rng.uniform(0, 2 * np.pi, 4)
    # a gate that holds still for ~1/3 of the time: moves start and stop smoothly
    gate = np.clip(np.sin(2 * np.pi * t / 2.0 + phase[0]) * 1.5, -1, 1) * 0.5 + 0.5
    travel = np.cumsum(gate) / FPS
    centre_x = FRAME / 2 + 50 * np.sin(2 * np.pi * 0.35 * travel + phase[1])
    centre_y = FRAME / 2 + 35 * np.sin(2 * np.pi * 0.25 * travel + phase[2])
    scale = 1.0 + 0.15 * np.sin(2 * np.pi * 0.2 * travel + phase[3])
    angle = 8 * np.sin(2 * np.pi * 0.15 * travel)
    return np.stack([centre_x, centre_y, scale, angle], axis=1)


def clip(image: np.ndarray, keypoints: np.ndarray, seed: int, frames: int = FRAMES):
    """(frames of (FRAME, FRAME, 3) uint8, (frames, K, 2) true keypoints) for one face."""
    cv2 = optional.cv2()
    face_centre = (keypoints.min(0) + keypoints.max(0)) / 2
    base = 150 / max(np.ptp(keypoints, axis=0))  # the face's landmark box about 150 px
    images, truth = [], []
    for x, y, scale, angle in motion(frames, seed):
        matrix = geometry.similarity_matrix(face_centre, base * scale, angle, (x, y))
        images.append(cv2.warpAffine(image, matrix, (FRAME, FRAME), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE))
        truth.append(geometry.apply_affine(keypoints, matrix))
    return images, np.stack(truth).astype(np.float64)


def faces(count: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, image, keypoints (29, 2)): helen29/val photos, then procedural faces (generator version 2)."""
    helen = DATASETS.build({"name": "coco_face", "ann_file": str(FIXTURES / "helen29/val/helen29_val.json"),
                            "root": str(FIXTURES / "helen29/val"), "skeleton": "cofw"})
    synthetic = DATASETS.build({"name": "synthetic_faces", "num_samples": count, "image_hw": [256, 256], "seed": 7,
                                "skeleton": "cofw", "version": 2})
    real = [("photo", helen[i]["image"], helen[i]["keypoints"]) for i in range(count)]
    drawn = [("procedural", synthetic[i]["image"], synthetic[i]["keypoints"]) for i in range(count)]
    return real + drawn


def lag_frames(predicted: np.ndarray, truth: np.ndarray, largest: float = 5.0) -> float:
    """The shift s (frames, 0.1 steps) minimising |predicted(t) - truth(t - s)|^2 over the clip."""
    frames = np.arange(len(truth))
    best, best_error = 0.0, np.inf
    for shift in np.arange(-largest, largest + 0.05, 0.1):
        inside = (frames - shift >= 0) & (frames - shift <= len(truth) - 1)
        shifted = np.stack([np.interp(frames[inside] - shift, frames, truth[:, k, d])
                            for k in range(truth.shape[1]) for d in range(2)], axis=1)
        error = np.nanmean((predicted[inside].reshape(inside.sum(), -1) - shifted) ** 2)
        if error < best_error:
            best, best_error = shift, error
    return float(best)


def true_boxes(pipeline: Pipeline, frames, truth) -> Iterator[list]:
    """One face per frame, predicted in the landmark box of the true points (no detector)."""
    for frame, true in zip(frames, truth):
        yield [pipeline.in_box(frame, geometry.bbox_of(true))]


def run(model: LandmarkModel, detector, frames, truth, tracking: bool | None, smoothing: str,
        options: dict | None = None) -> dict:
    """Means over one clip; ``tracking`` None: the true box every frame (see :func:`true_boxes`);
    ``options``: more :class:`Pipeline` keyword arguments."""
    pipeline = Pipeline(model, detector, tracking=bool(tracking), smoothing=smoothing, log=None, **(options or {}))
    predicted, seconds, detections = [], 0.0, 0
    previous = truth[0] * np.nan
    per_frame = true_boxes(pipeline, frames, truth) if tracking is None else pipeline.stream(frames, fps=FPS)
    for faces, true in zip(per_frame, truth):
        seconds += sum(pipeline.timings.values())
        detections += "detect" in pipeline.timings
        if faces:  # the face being followed (a photo may show other people too)
            previous = min(faces, key=lambda f: np.linalg.norm(f.keypoints.mean(0) - true.mean(0))).keypoints
        predicted.append(previous)
    predicted = np.stack(predicted).astype(np.float64)
    error = predicted - truth
    pupils = np.linalg.norm(truth[:, PUPILS[0]] - truth[:, PUPILS[1]], axis=1)
    second = error[2:] - 2 * error[1:-1] + error[:-2]
    found = np.isfinite(predicted[:, 0, 0])
    if not found.any():
        return {"found": 0.0, "nme": np.nan, "jitter": np.nan, "lag": np.nan, "ms": seconds / len(frames) * 1000,
                "detections": detections / len(frames)}
    return {"found": float(found.mean()),
            "nme": float(np.nanmean(np.linalg.norm(error, axis=2).mean(axis=1) / pupils)),
            "jitter": float(np.sqrt(np.nanmean(np.sum(second ** 2, axis=2)))),
            "lag": lag_frames(predicted, truth), "ms": seconds / len(frames) * 1000,
            "detections": detections / len(frames)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an exported COFW model (.tflite / .onnx with model.json)")
    parser.add_argument("--clips", type=int, default=24, help="clips of each kind (real photo, procedural)")
    parser.add_argument("--detector", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sweep", action="store_true",
                        help="also try One Euro settings (beta, shape_beta) and tracking without box motion")
    args = parser.parse_args()
    model = LandmarkModel(args.model, args.threads)
    detector = Pipeline(model, args.detector, log=print).detector  # one detector for every run
    clips = [(label, *clip(image, keypoints, seed)) for seed, (label, image, keypoints) in enumerate(faces(args.clips))]
    ways = [("true box every frame (reference)", None, "off", None), ("detect every frame", False, "off", None),
            ("detect every frame + One Euro", False, "one-euro", None), ("tracking", True, "off", None),
            ("tracking + One Euro", True, "one-euro", None)]
    if args.sweep:
        ways += [("tracking, no box motion", True, "off", {"box_motion": 0}),
                 ("tracking + One Euro, no box motion", True, "one-euro", {"box_motion": 0})]
        ways += [(f"tracking + One Euro beta {b}, shape_beta {shape}", True, "one-euro",
                  {"one_euro": {"beta": b, "shape_beta": shape}}) for b in (8, 12, 16) for shape in (0.5, 1, 2)]
    print(f"{len(clips)} clips of {FRAMES} frames at {FPS:g} fps, {FRAME}x{FRAME}; model {args.model}; detector "
          f"{detector.name}; One Euro defaults {ONE_EURO_DEFAULTS}")
    print(f"{'way':<50}{'clips':<12}{'found':>7}{'NME':>8}{'jitter px':>11}{'lag fr':>8}{'ms/frame':>10}"
          f"{'detect/fr':>11}")
    started = time.perf_counter()
    for label, tracking, smoothing, options in ways:
        rows = {kind: [run(model, detector, frames, truth, tracking, smoothing, options)
                       for clip_kind, frames, truth in clips if clip_kind == kind] for kind in ("photo", "procedural")}
        rows["all"] = rows["photo"] + rows["procedural"]
        for kind, kind_rows in rows.items():
            mean = {key: float(np.nanmean([r[key] for r in kind_rows])) for key in kind_rows[0]}
            print(f"{label:<50}{kind:<12}{mean['found']:>7.2f}{mean['nme']:>8.4f}{mean['jitter']:>11.3f}"
                  f"{mean['lag']:>8.2f}{mean['ms']:>10.2f}{mean['detections']:>11.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
