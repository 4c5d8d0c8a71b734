"""Judging predictions: the validation metric of a recipe, its report, and the mean-shape baseline.

Predictions and crops are in crop pixels (:func:`edgelmk.data.dataset.crop_all`); the report is
a dict of metric name -> value (:mod:`edgelmk.metrics`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgelmk import geometry, metrics
from edgelmk.errors import TrainingError
from edgelmk.preprocess import to_original

HIGHER_IS_BETTER = {"nme": False, "pckh": True, "coco_ap": True}


def metric_for(config: dict, skeleton) -> str:
    """The validation metric: the recipe's choice, or the dataset's usual one."""
    chosen = config["eval"]["metric"]
    if chosen != "auto":
        return chosen
    return {"head": "pckh", None: "coco_ap"}.get(skeleton.normalizer, "nme")


def _crop_scale(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def score(metric: str, skeleton, crops: list[dict], predicted: np.ndarray, scores: np.ndarray,
          dataset=None) -> dict[str, float]:
    """The metric report for predictions (N, K, 2) in crop pixels."""
    gt = np.stack([c["keypoints"] for c in crops])
    visible = np.stack([c["visible"] for c in crops])
    if metric == "nme":
        rule = skeleton.normalizer
        if isinstance(rule, tuple):  # the distance of two keypoints (built-in or declared scheme)
            first, second = rule[1]
            normalizer: Any = np.linalg.norm(gt[:, first] - gt[:, second], axis=-1)
        elif rule == "box_size" and all("box_size" in c for c in crops):
            normalizer = np.array([c["box_size"] * _crop_scale(c["matrix"]) for c in crops])
        else:  # no standard normaliser: the diagonal of the keypoints' box
            normalizer = np.array([np.linalg.norm(np.ptp(c["keypoints"][c["visible"] > 0], axis=0)) for c in crops])
        return metrics.face_report(metrics.nme(predicted, gt, normalizer, visible))
    if metric == "pckh":
        if any(c.get("head_box") is None for c in crops):
            raise TrainingError("PCKh needs head boxes: use the official MPII .mat (mpii_human_pose_v1_u12_1.mat) "
                                "for validation, or --set eval.metric=nme")
        boxes = np.stack([geometry.apply_affine(np.asarray(c["head_box"], np.float64).reshape(2, 2),
                                                c["matrix"]).reshape(4) for c in crops])
        return metrics.pckh(predicted, gt, visible, boxes)["table"]
    if metric == "coco_ap":
        if dataset is None or not hasattr(dataset, "ann_file"):
            raise TrainingError("COCO AP needs a COCO-style validation dataset with its ann_file")
        results = []
        for crop, points, point_scores in zip(crops, predicted, scores):
            original = to_original(points, crop["matrix"])
            flat = np.concatenate([original, point_scores[:, None]], axis=1).reshape(-1)
            results.append({"image_id": crop["image_id"], "category_id": 1, "keypoints": flat.tolist(),
                            "score": float(np.mean(point_scores))})
        return metrics.coco_ap(dataset.ann_file, results)
    raise TrainingError(f"unknown metric {metric!r}")


def headline(metric: str, report: dict[str, float]) -> float:
    """The one number a run is judged by."""
    return {"nme": report.get("NME"), "pckh": report.get("Mean"), "coco_ap": report.get("AP")}[metric]


def mean_shape_baseline(train_crops: list[dict], val_crops: list[dict], metric: str, skeleton) -> dict[str, float]:
    """The metric of predicting the mean training shape (in crop pixels) for every validation sample."""
    shapes = np.stack([c["keypoints"] for c in train_crops])
    weights = np.stack([c["visible"] for c in train_crops])[..., None]
    mean = (shapes * weights).sum(axis=0) / np.maximum(weights.sum(axis=0), 1)
    predicted = np.repeat(mean[None], len(val_crops), axis=0)
    return score(metric, skeleton, val_crops, predicted, np.ones(predicted.shape[:2]))


def improves(metric: str, value: float, best: float | None) -> bool:
    """Whether a validation value beats the best so far (None: nothing yet)."""
    return best is None or (value > best if HIGHER_IS_BETTER[metric] else value < best)
