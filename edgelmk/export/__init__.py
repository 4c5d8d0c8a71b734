"""``edgelmk export``: checkpoint -> model file + ``model.json`` sidecar + parity report.

Targets (see :data:`TARGETS`): ``onnx`` (float, or int8 with ``int8=True``), ``tflite`` (float or
full-integer int8) and ``lce`` (binarized models with Larq Compute Engine's binary ops). Every
export is checked against the PyTorch model on crops of the recipe's validation data, through
the same runtime users deploy with (:class:`edgelmk.runtime.LandmarkModel`).

Checkpoints of both training backends export: PyTorch ``.pt`` files to every target, and the
Keras + Larq backend's ``.larq.npz`` files to ``tflite`` and ``lce`` (their parity reference is
the Keras model).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgelmk import __version__, training
from edgelmk.codecs import OUTPUT_ACTIVATIONS
from edgelmk.progress import progress_bar
from edgelmk.runtime import LandmarkModel
from edgelmk.runtime import sidecar as sidecars
from edgelmk.runtime.model import SUFFIXES as TARGETS


def _exporter(target: str) -> Callable:
    if target == "onnx":
        from edgelmk.export.to_onnx import export_onnx

        return export_onnx
    from edgelmk.export import to_tflite

    return to_tflite.export_lce if target == "lce" else to_tflite.export_tflite


def check_target(precision: str, target: str, int8: bool, backend: str = "torch") -> None:
    """Refuse early (before loading data) what a target cannot express, naming what would work."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if backend == "larq" and target == "onnx":
        raise ValueError("a Larq checkpoint exports to --target tflite or lce; for ONNX train with model.backend=torch")
    if target in ("tflite", "lce") and precision == "w8a8":
        raise ValueError("w8a8 layers (Brevitas QuantConv2d / QuantReLU) have no Keras mirror for target "
                         f"{target}; export this checkpoint with --target onnx --int8")
    if target == "lce" and precision != "w1a1":
        raise ValueError(f"target lce runs binarized (w1a1) models; this checkpoint is {precision}: use --target "
                         "tflite or onnx")
    if target == "lce" and int8:
        raise ValueError("target lce keeps float input and output around its 1-bit layers: drop --int8, or use "
                         "--target tflite --int8 for a full-integer model")
    if target == "onnx" and precision == "w8a8" and not int8:
        raise ValueError("a w8a8 checkpoint exports as int8 (Brevitas QCDQ): add --int8")


def calibration_crops(config: dict, count: int) -> np.ndarray:
    """(N, H, W, 3) uint8 evaluation crops of the first ``count`` samples of the recipe's validation data."""
    dataset = training.build_dataset(config, "val")
    with progress_bar(min(count, len(dataset)), "calibration crops") as bar:
        crops = training.crop_all(dataset, training.eval_transform(config), bar.update, limit=count)
    if not crops:
        raise ValueError("the recipe's validation data (data.val) is empty: export needs its images for calibration "
                         "and the parity check")
    return np.stack([crop["image"] for crop in crops])


def sidecar_content(model, config: dict, codec, target: str, int8: bool, tensors: dict, file_name: str) -> dict:
    """Everything the runtime needs besides the network (:mod:`edgelmk.runtime.sidecar`)."""
    skeleton = training.recipe_skeleton(config)
    model_config = model.config
    return {
        "format": sidecars.FORMAT, "edgelmk_version": __version__, "model_file": file_name, "target": target,
        "int8": int8, "precision": model_config["precision"], "architecture": model_config,
        "input": {**tensors["input"], "hw": list(model_config["input_hw"]), "colour": "RGB", "range": [0, 255],
                  "mean": list(model_config["mean"]), "std": list(model_config["std"]),
                  "normalized_by": "model"},
        "output": {**tensors["output"], "activation": OUTPUT_ACTIVATIONS.get(codec.name, "none")},
        "codec": codec.to_config(),
        "keypoints": {"skeleton": skeleton.name, "names": list(skeleton.keypoint_names),
                      "flip_pairs": [list(pair) for pair in skeleton.flip_pairs]},
        "crop": {"margin": float(config["data"]["margin"])},
    }


Predictor = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_for_export(checkpoint_path: str | Path, overrides=()) -> tuple[Any, dict, Any, str, Predictor]:
    """(model, recipe, codec, backend, reference) of a checkpoint of either backend.

    ``reference(crops)`` runs the trained model itself ((N, H, W, 3) uint8 -> keypoints, scores).
    """
    from edgelmk.keras.checkpoint import is_larq_checkpoint

    if is_larq_checkpoint(checkpoint_path):
        from edgelmk.keras import engine as larq_engine

        model, config, codec = larq_engine.load_checkpoint(checkpoint_path, overrides)
        return model, config, codec, "larq", lambda crops: larq_engine.predict_crops(model, codec, crops)
    import torch

    from edgelmk import engine

    model, config, codec = engine.load_model(checkpoint_path, "cpu", overrides)
    return model, config, codec, "torch", lambda crops: engine.predict_crops(model, codec, crops, torch.device("cpu"))


def parity(reference: Predictor, exported: LandmarkModel, crops: np.ndarray) -> dict[str, Any]:
    """Keypoint differences (pixels of the network input) between the trained and the exported model."""
    expected, _ = reference(crops)
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
    model, config, codec, backend, reference = load_for_export(checkpoint_path, overrides)
    check_target(model.config["precision"], target, int8, backend)
    crops = calibration_crops(config, samples)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / f"model{TARGETS[target]}"
    partial = out_dir / f".partial{TARGETS[target]}"
    calibration = f" int8, calibrated on {len(crops)} validation crops" if int8 else ""
    log(f"exporting {checkpoint_path} ({model.config['precision']}) to {target}{calibration}")
    try:
        tensors = _exporter(target)(model, codec.name, partial, int8, crops)
        os.replace(partial, model_path)
    finally:
        partial.unlink(missing_ok=True)
    content = sidecar_content(model, config, codec, target, int8, tensors, model_path.name)
    sidecars.write(sidecars.sidecar_path(model_path), content)
    log(f"checking {model_path} against the {'Keras' if backend == 'larq' else 'PyTorch'} model on {len(crops)} "
        "validation crops")
    content["parity"] = parity(reference, LandmarkModel(model_path), crops)
    sidecars.write(sidecars.sidecar_path(model_path), content)
    return content
