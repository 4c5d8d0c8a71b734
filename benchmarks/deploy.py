"""Deployment table for one or more checkpoints: file size, latency by stage and parity of every export
target, next to MediaPipe's face landmark model on the same interpreter (a table, not a test).

Exports each CHECKPOINT to ONNX float/int8, TFLite float/int8 and (w1a1 models) LCE, then times
every export with ``edgelmk.runtime.bench`` in this one process, on the same machine, at each
``--threads`` count, and runs MediaPipe's ``face_landmark.tflite`` (468 points, 192x192 float
input) through LiteRT the same way. Reported against the goals: int8 TFLite <= 1/3.5 of the float
file; LCE <= 1/10 of float; decoding < 5% of inference; the mobile network's int8 TFLite at most
0.7x MediaPipe's latency (the hourglass's ratio is printed too).

MediaPipe's model ships inside the mediapipe wheel; take it out of the wheel (do not install
mediapipe into this environment):

    pip download mediapipe==0.10.21 --no-deps --only-binary=:all: -d /tmp/mediapipe
    unzip -j /tmp/mediapipe/mediapipe-0.10.21-*.whl mediapipe/modules/face_landmark/face_landmark.tflite -d /tmp

Usage: python benchmarks/deploy.py runs/mobile_quickstart/best.pt runs/quickstart/best.pt
       --mediapipe /tmp/face_landmark.tflite [--threads 1 4] [--runs 200] [--out runs/deploy]
LCE on x86_64 runs LCE's reference kernels (LCE's optimized kernels are ARM-only): its latency
here is not what a Raspberry Pi or phone sees (deploy/raspberry-pi/README.md quotes LCE's figures).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgelmk import engine
from edgelmk.codecs.peaks import using_decode_backend
from edgelmk.data.dataset import build_dataset, crop_all, eval_transform
from edgelmk.evaluation import headline as headline_of, metric_for, score
from edgelmk.export import export_checkpoint
from edgelmk.runtime import LandmarkModel
from edgelmk.runtime.bench import bench

TARGETS = [("onnx", False), ("onnx", True), ("tflite", False), ("tflite", True), ("lce", False)]
#: latency goal of the mobile network's int8 TFLite file, as a share of MediaPipe face_landmark's
MOBILE_LATENCY_GOAL = 0.7


@dataclass
class Export:
    """One exported file of one checkpoint."""

    model: str  # e.g. "mobile fp32"
    target: str  # e.g. "tflite int8"
    path: Path
    content: dict  # the sidecar written by the export (parity included)
    metric: float = float("nan")  # the recipe's headline metric on the validation set
    decode_shares: dict[int, float] = field(default_factory=dict)  # decode / inference p50, by thread count

    @property
    def label(self) -> str:
        return f"{self.model} {self.target}"


def validation_scores(checkpoint: str, exports: list[Export]) -> tuple[str, float]:
    """The recipe's headline metric (NME for faces) on its whole validation set: PyTorch's, and each export's
    (stored in ``Export.metric``). Returns (what was measured, PyTorch's value)."""
    trained = engine.load_checkpoint(checkpoint, "cpu")
    dataset = build_dataset(trained.config, "val")
    crops = crop_all(dataset, eval_transform(trained.config))
    images = np.stack([crop["image"] for crop in crops])
    metric = metric_for(trained.config, dataset.skeleton)

    def headline(predicted, scores):
        return headline_of(metric, score(metric, dataset.skeleton, crops, predicted, scores, dataset))

    for export in exports:
        export.metric = headline(*LandmarkModel(export.path).predict_crops(images))
    trained_metric = headline(*trained.predict_crops(images, flip_test=False))  # one pass, as the exports
    return f"{metric.upper()} on {len(crops)} validation crops", trained_metric


def export_all(checkpoint: str, out: Path, samples: int) -> tuple[str, list[Export]]:
    """Every target the checkpoint's precision allows, written under ``out``; (model name, exports)."""
    config = engine.load_checkpoint(checkpoint, "cpu").config
    model = f"{config['model']['name']} {config['model']['precision']}"
    exports = []
    for target, int8 in TARGETS:
        label = f"{target} {'int8' if int8 else 'float'}"
        folder = out / model.replace(" ", "_") / label.replace(" ", "_")
        try:
            content = export_checkpoint(checkpoint, target, folder, int8=int8, samples=samples, log=lambda *_: None)
        except ValueError as error:  # e.g. lce for a model that is not binarized
            print(f"{model} {label}: skipped ({error})")
            continue
        exports.append(Export(model, label, folder / content["model_file"], content))
    return model, exports


def mediapipe_latency(path: Path, threads: int, runs: int, warmup: int) -> dict:
    """p50 latency (ms) of MediaPipe's face landmark model in LiteRT on a random 192x192 image."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    image = np.random.default_rng(0).uniform(0, 1, detail["shape"]).astype(detail["dtype"])
    times = []
    for index in range(warmup + runs):
        start = time.perf_counter()
        interpreter.set_tensor(detail["index"], image)
        interpreter.invoke()
        if index >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return {"p50": float(np.percentile(times, 50)), "file_bytes": path.stat().st_size,
            "input": f"{'x'.join(str(d) for d in detail['shape'][1:])} {np.dtype(detail['dtype']).name}"}


def numpy_decode_p50(export: Export, threads: int, args) -> str:
    """The decode p50 (ms, formatted) of the export with the numpy decode forced, for exports that decode
    compiled by default; "" for the others (whose decode is numpy's already)."""
    with using_decode_backend("numpy"):
        return f"{bench(export.path, threads, args.runs, args.warmup)['latency_ms']['decode']['p50']:.3f}"


def print_table(exports: list[Export], threads: int, args) -> dict[str, float]:
    """Bench every export at ``threads``; print one row each (and MediaPipe's); returns inference p50 by label.

    Exports whose decode runs compiled are benched a second time with numpy's decode (column "numpy
    decode"), so that both stand side by side in one run."""
    reports = [bench(export.path, threads, args.runs, args.warmup) for export in exports]
    numpy_decodes = [numpy_decode_p50(export, threads, args) if report["decode_backend"] == "compiled" else ""
                     for export, report in zip(exports, reports)]
    print(f"\n{threads} thread(s), {args.runs} runs each, parity on {args.samples} validation crops")
    print(f"{'model':<26}{'file KiB':>10}{'infer p50 ms':>14}{'decode p50 ms':>15}{'decode/infer':>14}"
          f"{'numpy decode':>14}{'pre p50 ms':>12}{'parity mean px':>16}{'max px':>9}{'metric':>9}")
    latency = {}
    for export, report, numpy_decode in zip(exports, reports, numpy_decodes):
        stages, parity = report["latency_ms"], export.content["parity"]
        latency[export.label] = stages["inference"]["p50"]
        share = stages["decode"]["p50"] / stages["inference"]["p50"]
        print(f"{export.label:<26}{report['file_bytes'] / 1024:>10,.0f}{stages['inference']['p50']:>14.3f}"
              f"{stages['decode']['p50']:>15.3f}{share:>14.1%}{numpy_decode:>14}{stages['preprocess']['p50']:>12.3f}"
              f"{parity['mean_px']:>16.4f}{parity['max_px']:>9.3f}{export.metric:>9.4f}")
        export.decode_shares[threads] = share
    if args.mediapipe:
        mediapipe = mediapipe_latency(args.mediapipe, threads, args.runs, args.warmup)
        latency["mediapipe"] = mediapipe["p50"]
        print(f"{'MediaPipe face_landmark':<26}{mediapipe['file_bytes'] / 1024:>10,.0f}{mediapipe['p50']:>14.3f}"
              f"{'':>15}{'':>14}{'':>14}{'':>12}{'(' + mediapipe['input'] + ' input, 468 points)':>34}")
    return latency


def print_goals(models: list[tuple[str, list[Export]]], latencies: dict[int, dict[str, float]]) -> None:
    print("\ngoals")
    for model, exports in models:
        sizes = {export.target: export.path.stat().st_size for export in exports}
        if "tflite int8" in sizes:
            ratio = sizes["tflite float"] / sizes["tflite int8"]
            print(f"  {model}: int8 TFLite file 1/{ratio:.2f} of float (goal <= 1/3.5): "
                  f"{'met' if ratio >= 3.5 else 'NOT met'}")
        if "lce float" in sizes:
            ratio = sizes["tflite float"] / sizes["lce float"]
            print(f"  {model}: LCE file 1/{ratio:.1f} of float (goal <= 1/10): {'met' if ratio >= 10 else 'NOT met'}")
        for threads, latency in latencies.items():
            worst = max(exports, key=lambda export: export.decode_shares[threads])
            share = worst.decode_shares[threads]
            print(f"  {model}, {threads} thread(s): decoding at most {share:.1%} of inference ({worst.target}) "
                  f"(goal < 5%): {'met' if share < 0.05 else 'NOT met'}")
            if "mediapipe" in latency and f"{model} tflite int8" in latency:
                ratio = latency[f"{model} tflite int8"] / latency["mediapipe"]
                verdict = f"(goal <= {MOBILE_LATENCY_GOAL}): {'met' if ratio <= MOBILE_LATENCY_GOAL else 'NOT met'}"
                print(f"  {model}, {threads} thread(s): int8 TFLite latency {ratio:.2f}x MediaPipe's "
                      + (verdict if model.startswith("mobile") else "(the goal is the mobile network's)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT")
    parser.add_argument("--mediapipe", type=Path, help="face_landmark.tflite taken from the mediapipe wheel")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--samples", type=int, default=64, help="calibration / parity crops")
    parser.add_argument("--out", type=Path, default=Path("runs/deploy"))
    args = parser.parse_args()

    models = [export_all(checkpoint, args.out, args.samples) for checkpoint in args.checkpoints]
    for checkpoint, (model, exports) in zip(args.checkpoints, models):
        metric, pytorch = validation_scores(checkpoint, exports)
        print(f"{model} ({checkpoint}): PyTorch {metric} {pytorch:.4f}")
    exports = [export for _, model_exports in models for export in model_exports]
    latencies = {threads: print_table(exports, threads, args) for threads in args.threads}
    print_goals(models, latencies)


if __name__ == "__main__":
    main()
