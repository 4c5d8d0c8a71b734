"""Evaluation metrics: NME with failure rate, AUC and CED (faces); PCKh (MPII); COCO OKS AP.

Shapes: pred, gt (N, K, 2) in image pixels; visible (N, K) in {0, 1}; per-sample results (N,).
"""

from __future__ import annotations

import contextlib
import copy
import io
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from edgelmk import optional
from edgelmk.data.skeletons import MPII, skeleton_for

FACE_THRESHOLDS = (0.08, 0.10)
PCKH_HEAD_FACTOR = 0.6  # MPII: head size = 0.6 x head-box diagonal (Andriluka et al. 2014's evaluation code)
PCKH_EXCLUDED = (6, 7)  # pelvis and thorax are left out of the mean, as in the MPII benchmark


def _points(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 3 or array.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (N, K, 2), got {array.shape}")
    return array


def _pair(pred: Any, gt: Any, visible: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pred, gt = _points("pred", pred), _points("gt", gt)
    if pred.shape != gt.shape:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} must have the same shape")
    visible = np.ones(gt.shape[:2]) if visible is None else np.asarray(visible, dtype=np.float64)
    if visible.shape != gt.shape[:2]:
        raise ValueError(f"visible must have shape (N, K) = {gt.shape[:2]}, got {visible.shape}")
    return pred, gt, visible > 0


def normalizing_distances(gt: np.ndarray, normalizer: str | Sequence[float] | np.ndarray) -> np.ndarray:
    """(N,) NME denominators from a dataset name or given per-sample distances.

    Names: 300w (outer eye corners 36/45), wflw (60/72), cofw (pupils 16/17). AFLW normalises
    by the face box size, which the keypoints do not give: pass the samples' ``box_size``.
    """
    gt = _points("gt", gt)
    if isinstance(normalizer, str):
        rule = skeleton_for(normalizer).normalizer
        if not (isinstance(rule, tuple) and rule[0] == "keypoints"):
            raise ValueError(f"NME for {normalizer!r} is normalised by {rule}, not by keypoints: pass the (N,) "
                             "distances as normalizer (for AFLW, the samples' box_size)")
        first, second = rule[1]
        if gt.shape[1] <= max(first, second):
            raise ValueError(f"{normalizer!r} normalises by keypoints {first} and {second}, but gt has {gt.shape[1]}")
        distances = np.linalg.norm(gt[:, first] - gt[:, second], axis=-1)
    else:
        distances = np.asarray(normalizer, dtype=np.float64).reshape(-1)
        if distances.shape != (gt.shape[0],):
            raise ValueError(f"normalizer distances must have shape (N,) = ({gt.shape[0]},), got {distances.shape}")
    if not (np.isfinite(distances) & (distances > 0)).all():
        raise ValueError("every normalising distance must be positive and finite (coincident eye corners?)")
    return distances


def nme(pred: Any, gt: Any, normalizer: str | Sequence[float] | np.ndarray, visible: Any = None) -> np.ndarray:
    """Normalised mean error per sample.

    Args:
        pred, gt: (N, K, 2) pixels.
        normalizer: a dataset name ("300w", "wflw", "cofw") or (N,) distances in pixels.
        visible: (N, K) keypoints to count (default all).

    Returns:
        (N,) mean over the counted keypoints of ``|pred - gt| / distance``.
    """
    pred, gt, visible = _pair(pred, gt, visible)
    if not visible.any(axis=1).all():
        raise ValueError("every sample needs at least one visible keypoint for NME")
    errors = np.linalg.norm(pred - gt, axis=-1) * visible
    return errors.sum(axis=1) / visible.sum(axis=1) / normalizing_distances(gt, normalizer)


def failure_rate(nmes: Any, threshold: float = 0.10) -> float:
    """Fraction of samples whose NME exceeds ``threshold``."""
    return float(np.mean(np.asarray(nmes) > threshold))


def auc(nmes: Any, threshold: float = 0.10) -> float:
    """Area under the CED curve from 0 to ``threshold``, divided by ``threshold`` (1 is perfect).

    Computed exactly: the CED is a step function, so the area is ``mean(max(0, 1 - e / threshold))``.
    """
    return float(np.mean(np.clip(1.0 - np.asarray(nmes, dtype=np.float64) / threshold, 0.0, 1.0)))


def ced(nmes: Any, threshold: float = 0.10, steps: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative error distribution: (errors from 0 to threshold, fraction of samples at or below each)."""
    errors = np.linspace(0.0, threshold, steps)
    nmes = np.sort(np.asarray(nmes, dtype=np.float64))
    return errors, np.searchsorted(nmes, errors, side="right") / len(nmes)


def face_report(nmes: Any) -> dict[str, float]:
    """NME, failure rate and AUC at 0.08 and 0.10 (as fractions, not percent)."""
    report = {"NME": float(np.mean(nmes))}
    for threshold in FACE_THRESHOLDS:
        report[f"FR@{threshold:.2f}"] = failure_rate(nmes, threshold)
        report[f"AUC@{threshold:.2f}"] = auc(nmes, threshold)
    return report


def plot_ced(curves: Mapping[str, Any], path: str | Path, threshold: float = 0.10) -> Path:
    """Write a PNG of CED curves, one per label (NMEs in; matplotlib's Agg backend)."""
    optional.require("matplotlib", "data", "plotting CED curves").use("Agg")
    plt = optional.require("matplotlib.pyplot", "data", "plotting CED curves")
    figure, axes = plt.subplots(figsize=(5, 4), dpi=120)
    for label, nmes in curves.items():
        errors, fractions = ced(nmes, threshold)
        axes.plot(errors, fractions, label=f"{label} (AUC {auc(nmes, threshold):.3f})")
    axes.set(xlabel="NME", ylabel="fraction of images", xlim=(0, threshold), ylim=(0, 1),
             title=f"Cumulative error distribution (up to {threshold})")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return Path(path)


def pckh(pred: Any, gt: Any, visible: Any, head_boxes: Any, threshold: float = 0.5) -> dict[str, Any]:
    """PCKh with the MPII conventions.

    Args:
        pred, gt: (N, 16, 2) pixels, MPII joint order.
        visible: (N, 16) joints that count.
        head_boxes: (N, 4) head boxes [x1, y1, x2, y2]; head size = 0.6 x diagonal.
        threshold: fraction of the head size (0.5 for PCKh@0.5).

    Returns:
        ``{"per_joint": {name: percent}, "table": {Head, Shoulder, ..., Ankle, Mean}}``: the
        percentage of visible joints within ``threshold`` head sizes. Head is the head top; the
        other rows average the left and right joints; Mean pools every joint except pelvis and
        thorax.
    """
    pred, gt, visible = _pair(pred, gt, visible)
    if gt.shape[1] != MPII.num_keypoints:
        raise ValueError(f"PCKh needs the 16 MPII joints, got {gt.shape[1]}")
    boxes = np.asarray(head_boxes, dtype=np.float64)
    if boxes.shape != (gt.shape[0], 4):
        raise ValueError(f"head_boxes must have shape (N, 4) = ({gt.shape[0]}, 4), got {boxes.shape}")
    head_sizes = PCKH_HEAD_FACTOR * np.linalg.norm(boxes[:, 2:] - boxes[:, :2], axis=-1)
    if not (head_sizes > 0).all():
        raise ValueError("every head box needs a positive size")
    within = (np.linalg.norm(pred - gt, axis=-1) / head_sizes[:, None] <= threshold) & visible
    counts = visible.sum(axis=0)
    per_joint = 100.0 * within.sum(axis=0) / np.maximum(counts, 1)
    names = MPII.keypoint_names
    joint = dict(zip(names, per_joint.tolist()))

    def pair(left: str, right: str) -> float:
        return 0.5 * (joint[f"left_{left}"] + joint[f"right_{right}"])

    included = np.ones(len(names), dtype=bool)
    included[list(PCKH_EXCLUDED)] = False
    mean = 100.0 * within[:, included].sum() / max(visible[:, included].sum(), 1)
    table = {"Head": joint["head_top"], "Shoulder": pair("shoulder", "shoulder"), "Elbow": pair("elbow", "elbow"),
             "Wrist": pair("wrist", "wrist"), "Hip": pair("hip", "hip"), "Knee": pair("knee", "knee"),
             "Ankle": pair("ankle", "ankle"), "Mean": mean}
    return {"per_joint": joint, "table": table}


def coco_ap(ann_file: str | Path, detections: str | Path | list[dict]) -> dict[str, float]:
    """COCO keypoint AP, AP50, AP75 and AR from pycocotools' COCOeval (OKS-based).

    Args:
        ann_file: ground-truth keypoints JSON.
        detections: COCO results (a list of ``{"image_id", "category_id", "keypoints":
            [x, y, score] * K, "score"}``) or the path of a JSON file holding it.
    """
    from edgelmk.data.formats.coco import coco_index, load_json

    ground_truth, problems = coco_index(Path(ann_file))
    if problems:
        raise ValueError(f"ground truth {ann_file} has unusable annotations: {problems[0]}")
    results = load_json(Path(detections)) if isinstance(detections, (str, Path)) else detections
    required = {"image_id", "category_id", "keypoints", "score"}
    if not isinstance(results, list) or not results or not all(isinstance(r, dict) and required <= r.keys()
                                                               for r in results):
        raise ValueError(f"detections must be a non-empty list of objects with keys {sorted(required)}")
    COCOeval = optional.require("pycocotools.cocoeval", "data", "COCO AP").COCOeval
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress and table
        predicted = ground_truth.loadRes(copy.deepcopy(results))  # loadRes adds keys to its input
        evaluator = COCOeval(ground_truth, predicted, "keypoints")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = evaluator.stats
    return {"AP": float(stats[0]), "AP50": float(stats[1]), "AP75": float(stats[2]), "AR": float(stats[5])}
