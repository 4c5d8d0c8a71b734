"""Deployment table for one checkpoint: file size, latency by stage and parity of every export target,
next to MediaPipe's face landmark model on the same interpreter (a table, not a test).

Exports CHECKPOINT to ONNX float/int8, TFLite float/int8 and (w1a1 models) LCE, then times each
with ``edgelmk.runtime.bench`` in this one process, same threads, same machine, and runs
MediaPipe's ``face_landmark.tflite`` (468 points, 192x192 float input) through LiteRT the same
way. Reported against the goals: int8 TFLite <= 1/3.5 of the float file; LCE <= 1/10 of float;
decoding < 5% of inference; our int8 TFLite no slower than MediaPipe's model.

MediaPipe's model ships inside the mediapipe wheel; take it out of the wheel (do not install
mediapipe into this environment):

    pip download mediapipe==0.10.21 --no-deps --only-binary=:all: -d /tmp/mediapipe
    unzip -j /tmp/mediapipe/mediapipe-0.10.21-*.whl mediapipe/modules/face_landmark/face_landmark.tflite -d /tmp

Usage: python benchmarks/deploy.py runs/quickstart/best.pt --mediapipe /tmp/face_landmark.tflite
       [--threads 1] [--runs 200] [--out runs/deploy]
LCE on x86_64 runs LCE's reference kernels (LCE's optimized kernels are ARM-only): its latency
here is not what a Raspberry Pi or phone sees (deploy/raspberry-pi/README.md quotes LCE's figures).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from edgelmk import engine
from edgelmk.data.dataset import build_dataset, crop_all, eval_transform
from edgelmk.evaluation import headline as headline_of, metric_for, score
from edgelmk.export import export_checkpoint
from edgelmk.runtime import LandmarkModel
from edgelmk.runtime.bench import bench

TARGETS = [("onnx", False), ("onnx", True), ("tflite", False), ("tflite", True), ("lce", False)]


def validation_scores(checkpoint: str, exported: dict[str, Path]) -> tuple[str, dict[str, float]]:
    """The recipe's headline metric (NME for faces) on its whole validation set: PyTorch and each export."""
    trained = engine.load_checkpoint(checkpoint, "cpu")
    dataset = build_dataset(trained.config, "val")
    crops = crop_all(dataset, eval_transform(trained.config))
    images = np.stack([crop["image"] for crop in crops])
    metric = metric_for(trained.config, dataset.skeleton)

    def headline(predicted, scores):
        return headline_of(metric, score(metric, dataset.skeleton, crops, predicted, scores, dataset))

    results = {"pytorch": headline(*trained.predict_crops(images))}
    for label, path in exported.items():
        results[label] = headline(*LandmarkModel(path).predict_crops(images))
    return f"{metric.upper()} on {len(crops)} validation crops", results


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--mediapipe", type=Path, help="face_landmark.tflite taken from the mediapipe wheel")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--samples", type=int, default=64, help="calibration / parity crops")
    parser.add_argument("--out", type=Path, default=Path("runs/deploy"))
    args = parser.parse_args()

    rows = []
    for target, int8 in TARGETS:
        label = f"{target} {'int8' if int8 else 'float'}"
        folder = args.out / label.replace(" ", "_")
        try:
            content = export_checkpoint(args.checkpoint, target, folder, int8=int8, samples=args.samples,
                                        log=lambda *_: None)
        except ValueError as error:  # e.g. lce for a model that is not binarized
            print(f"{label}: skipped ({error})")
            continue
        report = bench(folder / content["model_file"], args.threads, args.runs, args.warmup)
        rows.append((label, content, report))

    metric, scores = validation_scores(args.checkpoint, {label: Path(report["model"]) for label, _, report in rows})
    print(f"\n{args.checkpoint}: {args.threads} thread(s), {args.runs} runs, parity on {args.samples} validation "
          f"crops, {metric}")
    print(f"{'model':<16}{'file KiB':>10}{'infer p50 ms':>14}{'decode p50 ms':>15}{'decode/infer':>14}"
          f"{'pre p50 ms':>12}{'parity mean px':>16}{'max px':>9}{'metric':>9}")
    print(f"{'pytorch':<16}{'':>10}{'':>14}{'':>15}{'':>14}{'':>12}{'':>16}{'':>9}{scores['pytorch']:>9.4f}")
    sizes, latency = {}, {}
    for label, content, report in rows:
        stages = report["latency_ms"]
        sizes[label], latency[label] = report["file_bytes"], stages["inference"]["p50"]
        print(f"{label:<16}{report['file_bytes'] / 1024:>10,.0f}{stages['inference']['p50']:>14.3f}"
              f"{stages['decode']['p50']:>15.3f}{stages['decode']['p50'] / stages['inference']['p50']:>14.1%}"
              f"{stages['preprocess']['p50']:>12.3f}{content['parity']['mean_px']:>16.4f}"
              f"{content['parity']['max_px']:>9.3f}{scores[label]:>9.4f}")
    if args.mediapipe:
        mediapipe = mediapipe_latency(args.mediapipe, args.threads, args.runs, args.warmup)
        latency["mediapipe"] = mediapipe["p50"]
        print(f"{'MediaPipe 468':<16}{mediapipe['file_bytes'] / 1024:>10,.0f}{mediapipe['p50']:>14.3f}"
              f"{'':>15}{'':>14}{'':>12}{'(' + mediapipe['input'] + ' input)':>25}")

    print("\ngoals")
    if "tflite int8" in sizes:
        ratio = sizes["tflite float"] / sizes["tflite int8"]
        print(f"  int8 TFLite file 1/{ratio:.2f} of float (goal <= 1/3.5): {'met' if ratio >= 3.5 else 'NOT met'}")
    if "lce float" in sizes:
        ratio = sizes["tflite float"] / sizes["lce float"]
        print(f"  LCE file 1/{ratio:.1f} of float (goal <= 1/10): {'met' if ratio >= 10 else 'NOT met'}")
    worst = max(rows, key=lambda row: row[2]["latency_ms"]["decode"]["p50"] / row[2]["latency_ms"]["inference"]["p50"])
    share = worst[2]["latency_ms"]["decode"]["p50"] / worst[2]["latency_ms"]["inference"]["p50"]
    print(f"  decoding at most {share:.1%} of inference ({worst[0]}) (goal < 5%): {'met' if share < 0.05 else 'NOT met'}")
    if "mediapipe" in latency and "tflite int8" in latency:
        ratio = latency["tflite int8"] / latency["mediapipe"]
        print(f"  int8 TFLite latency {ratio:.2f}x MediaPipe's (goal <= 1): {'met' if ratio <= 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
