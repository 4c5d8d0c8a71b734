"""``edgelmk export``: checkpoint -> model file + ``model.json`` sidecar + parity report.

Targets (one row each in :data:`edgelmk.targets.TARGETS`): ``onnx`` (float, or int8 with
``int8=True``), ``tflite`` (float or full-integer int8) and ``lce`` (binarized models with Larq
Compute Engine's binary ops). Every export is checked against the trained model on crops of the
recipe's validation data, through the same runtime users deploy with
(:class:`edgelmk.runtime.LandmarkModel`).

Checkpoints of both training backends export, to the targets whose row names the backend:
PyTorch ``.pt`` files to every target, the Keras + Larq backend's ``.larq.npz`` files to
``tflite`` and ``lce``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgelmk import __version__
from edgelmk.architecture import binary_options
from edgelmk.data.dataset import build_dataset, crop_all, eval_transform, recipe_skeleton
from edgelmk.engine import TrainedModel, load_checkpoint
from edgelmk.errors import EdgelmkError
from edgelmk.progress import progress_bar
from edgelmk.runtime import LandmarkModel
from edgelmk.runtime import sidecar as sidecars
from edgelmk.targets import ExportTarget, check_target


def _exporter(target: ExportTarget) -> Callable:
    """The function of a target's ``exporter`` column, imported now."""
    module, function = target.exporter.split(":")
    return getattr(importlib.import_module(module), function)


def calibration_crops(config: dict, count: int) -> np.ndarray:
    """(N, H, W, 3) uint8 evaluation crops of the first ``count`` samples of the recipe's validation data."""
    dataset = build_dataset(config, "val")
    with progress_bar(min(count, len(dataset)), "calibration crops") as bar:
        crops = crop_all(dataset, eval_transform(config), bar.update, limit=count)
    if not crops:
        raise ValueError("the recipe's validation data (data.val) is empty: export needs its images for calibration "
                         "and the parity check")
    return np.stack([crop["image"] for crop in crops])


def sidecar_content(trained: TrainedModel, target: str, int8: bool, tensors: dict, file_name: str) -> dict:
    """Everything the runtime needs besides the network (:mod:`edgelmk.runtime.sidecar`)."""
    config, codec = trained.config, trained.codec
    skeleton = recipe_skeleton(config)
    model_config = trained.model.config
    return {
        "format": sidecars.FORMAT, "edgelmk_version": __version__, "model_file": file_name, "target": target,
        "int8": int8, "precision": model_config["precision"], "architecture": model_config,
        "input": {**tensors["input"], "hw": list(model_config["input_hw"]), "colour": "RGB", "range": [0, 255],
                  "mean": list(model_config["mean"]), "std": list(model_config["std"]),
                  "normalized_by": "model"},
        "output": {**tensors["output"], "activation": codec.output_activation},
        "codec": codec.to_config(),
        "keypoints": {"skeleton": skeleton.name, "names": list(skeleton.keypoint_names),
                      "flip_pairs": [list(pair) for pair in skeleton.flip_pairs],
                      "flip_declared": skeleton.flip_declared,
                      "lines": [list(line) for line in skeleton.lines]},
        "crop": {"margin": float(config["data"]["margin"])},
    }


def parity(trained: TrainedModel, exported: LandmarkModel, crops: np.ndarray) -> dict[str, Any]:
    """Keypoint differences (pixels of the network input) between the trained and the exported model (one
    pass each: an exported model has no flip test)."""
    expected, _ = trained.predict_crops(crops, flip_test=False)
    predicted, _ = exported.predict_crops(crops)
    distance = np.linalg.norm(predicted - expected, axis=-1)
    return {"samples": int(len(crops)), "max_px": float(distance.max()), "mean_px": float(distance.mean()),
            "p99_px": float(np.percentile(distance, 99))}


def export_checkpoint(checkpoint_path: str | Path, target: str, out_dir: str | Path, int8: bool = False,
                      samples: int = 64, log: Callable[[str], Any] = print, overrides=()) -> dict[str, Any]:
    """Export a checkpoint; returns the sidecar content including its ``parity`` report.

    Args:
        checkpoint_path: a ``.pt`` or ``.larq.npz`` written by ``edgelmk train``.
        target: onnx, tflite or lce.
        out_dir: folder for ``model.onnx`` / ``model.tflite`` and ``model.json`` (created if needed).
        int8: full-integer (tflite) or QDQ (onnx) quantization, calibrated on ``samples`` crops.
        samples: crops of the recipe's validation data used for calibration and the parity check.
        overrides: ``key=value`` recipe overrides (data paths on another machine).
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    trained = load_checkpoint(checkpoint_path, "cpu", overrides)
    precision = trained.model.config["precision"]
    row = check_target(precision, target, int8, trained.backend.name, trained.backend.label)
    if precision == "w1a1" and not binary_options(trained.model.config)["binary_weights"]:
        raise EdgelmkError(f"{checkpoint_path} has real weights behind its binary activations "
                           "(model.binary_weights: false, step one of the two-step schedule): it is not a binary "
                           "network to deploy. Train step two from it (--init CHECKPOINT --set "
                           "model.binary_weights=true) and export that")
    crops = calibration_crops(trained.config, samples)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / f"model{row.suffix}"
    partial = out_dir / f".partial{row.suffix}"
    calibration = f" int8, calibrated on {len(crops)} validation crops" if int8 else ""
    log(f"exporting {checkpoint_path} ({precision}) to {target}{calibration}")
    try:
        tensors = _exporter(row)(trained, partial, int8, crops)
        os.replace(partial, model_path)
    finally:
        partial.unlink(missing_ok=True)
    content = sidecar_content(trained, target, int8, tensors, model_path.name)
    sidecars.write(sidecars.sidecar_path(model_path), content)
    log(f"checking {model_path} against the {trained.backend.label} model on {len(crops)} validation crops")
    content["parity"] = parity(trained, LandmarkModel(model_path), crops)
    sidecars.write(sidecars.sidecar_path(model_path), content)
    return content
