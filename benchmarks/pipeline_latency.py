"""End-to-end latency on one photo with one face, per stage: edgelmk's pipeline next to MediaPipe's models.

Both run the same way in the same process on the same interpreter (LiteRT, one thread by
default): detect the face, crop it, run the landmark network, decode. edgelmk: a detector from
``edgelmk.runtime.detectors`` + calibration + an exported model (:class:`edgelmk.runtime.Pipeline`).
MediaPipe: the same BlazeFace file and decoding, then its face landmark model
(``face_landmark.tflite``, 468 points, 192 x 192 input) on the detector's box widened by 1.5 (as
MediaPipe crops it); its output is 468 x 3 numbers, so its decode is a reshape. Runs alternate
between the two so that machine noise hits both alike; ratios are what to read.

    python benchmarks/pipeline_latency.py MODEL.tflite PHOTO [--detector blazeface] [--runs 200] [--threads 1]

Needs ``edgelmk models get blazeface`` (and ``blazeface_full`` / ``face_landmark``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from edgelmk import optional
from edgelmk.preprocess import crop_matrix, load_image
from edgelmk.runtime import Pipeline, model_files
from edgelmk.runtime.detectors import build_detector
from edgelmk.runtime.interpreters import litert

STAGES = ("detect", "crop", "inference", "decode", "total")


class MediaPipeFaceMesh:
    """BlazeFace + MediaPipe's face landmark model, with per-stage timings (seconds) of the last call."""

    def __init__(self, detector, threads: int):
        self.detector = detector
        self.interpreter, _ = litert(model_files.path_of("face_landmark"), threads)
        (self.input,) = self.interpreter.get_input_details()
        self.output = self.interpreter.get_output_details()[0]
        self.side = int(self.input["shape"][1])
        self.timings: dict[str, float] = {}

    def process(self, image: np.ndarray) -> np.ndarray:
        cv2 = optional.cv2()
        start = time.perf_counter()
        found = self.detector.detect(image)
        detected = time.perf_counter()
        matrix = crop_matrix(found[0].box, (self.side, self.side), 0.5)
        crop = cv2.warpAffine(image, matrix, (self.side, self.side), flags=cv2.INTER_LINEAR)
        inputs = (crop.astype(np.float32) / 255.0)[None]
        cropped = time.perf_counter()
        self.interpreter.set_tensor(self.input["index"], inputs)
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.output["index"])
        inferred = time.perf_counter()
        keypoints = raw.reshape(-1, 3)[:, :2]
        self.timings = {"detect": detected - start, "crop": cropped - detected, "inference": inferred - cropped,
                        "decode": time.perf_counter() - inferred}
        return keypoints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("photo")
    parser.add_argument("--detector", default="blazeface")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    image = load_image(args.photo, exif_orientation=True)
    ours = Pipeline(args.model, build_detector(args.detector, threads=args.threads), tracking=False, smoothing="off",
                    threads=args.threads, log=None)
    theirs = MediaPipeFaceMesh(build_detector("blazeface", threads=args.threads), args.threads)
    if len(ours.process(image)) != 1 or len(theirs.detector.detect(image)) != 1:
        raise SystemExit(f"{args.photo}: both detectors must find exactly one face")
    samples = {name: {stage: [] for stage in STAGES} for name in ("edgelmk", "mediapipe")}
    for run in range(args.runs + 10):
        for name, pipeline in (("edgelmk", ours), ("mediapipe", theirs)):
            start = time.perf_counter()
            pipeline.process(image)
            total = time.perf_counter() - start
            if run >= 10:  # warm-up
                for stage in STAGES[:-1]:
                    samples[name][stage].append(pipeline.timings.get(stage, 0.0) * 1000)
                samples[name]["total"].append(total * 1000)
    height, width = image.shape[:2]
    print(f"{args.photo} ({width}x{height}), {args.runs} runs each, {args.threads} thread(s); edgelmk: "
          f"{args.detector} + {args.model}; MediaPipe: blazeface + face_landmark.tflite")
    print(f"{'stage':<11}{'edgelmk p50':>13}{'p90':>8}{'MediaPipe p50':>15}{'p90':>8}{'ratio p50':>11}")
    for stage in STAGES:
        ours_p50, ours_p90 = np.percentile(samples["edgelmk"][stage], [50, 90])
        theirs_p50, theirs_p90 = np.percentile(samples["mediapipe"][stage], [50, 90])
        print(f"{stage:<11}{ours_p50:>13.3f}{ours_p90:>8.3f}{theirs_p50:>15.3f}{theirs_p90:>8.3f}"
              f"{ours_p50 / max(theirs_p50, 1e-9):>11.2f}")


if __name__ == "__main__":
    main()
