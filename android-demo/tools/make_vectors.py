"""Test vectors for the Android demo's pure-Java core, made by edgelmk's own Python code.

The JUnit tests (android-demo/core/src/test) read these files and must reproduce every
expected value: the codecs' decoders (``Codec.decode`` / ``decode_int8`` through
``runtime.model.decode_output``), the crop (``preprocess.crop_matrix`` + ``warp`` via ``runtime.model.crop_box``, i.e.
OpenCV's warpAffine), the input quantization (``runtime.model.encode_input``), the mapping back
to frame pixels (``to_original``), and which sidecars ``runtime.sidecar.check`` accepts.

Usage: python android-demo/tools/make_vectors.py [--export DIR] OUT_DIR
writes decoders.json, crops.json, sidecars.json, pipeline.json (recorded model output made from
a codec's targets), detector.json (BlazeFace outputs -> detections -> calibrated boxes, with the
calibration file edgelmk ships) and tracker.json (a scripted two-face video through ``runtime.Pipeline.stream``:
what the detector found, every box the tracker asked landmarks for, the filtered faces); with ``--export`` (the folder of ``edgelmk export --target tflite --int8``) also
pipeline_export.json: that real model run by the Python runtime on a test image, and its sidecar.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import cv2
import numpy as np

from edgelmk.codecs import CODECS
from edgelmk.codecs.integer import quantize_per_tensor
from edgelmk.data.skeletons import skeleton_for
from edgelmk.preprocess import to_original
from edgelmk.runtime import Pipeline, calibration as calibrations, sidecar as sidecars
from edgelmk.runtime.detectors import Detection, Detector
from edgelmk.runtime.detectors.mediapipe import BlazeFace, SsdDecoder, letterbox_matrix
from edgelmk.runtime.model import LandmarkModel, crop_box, decode_output, encode_input
from edgelmk.runtime.smoothing import ONE_EURO_DEFAULTS

KEYPOINTS = 5

CODEC_CONFIGS = [
    {"name": "gaussian", "input_hw": [64, 64], "heatmap_hw": [16, 16], "sigma": 1.0, "quarter_shift": True},
    {"name": "gaussian", "input_hw": [48, 32], "heatmap_hw": [12, 8], "sigma": 1.5, "quarter_shift": False},
    {"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16], "target": "expected", "decode": "window", "window": 3},
    {"name": "h3r", "input_hw": [128, 96], "heatmap_hw": [32, 24], "target": "expected", "kernel": "gaussian",
     "decode": "window", "window": 5},
    {"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16], "target": "expected", "decode": "topk", "topk": 4},
    {"name": "h3r", "input_hw": [32, 32], "heatmap_hw": [8, 8], "target": "expected", "decode": "topk", "topk": 9},
    {"name": "dsnt", "input_hw": [64, 64], "heatmap_hw": [16, 16], "sigma": 1.0},
    {"name": "dsnt", "input_hw": [48, 64], "heatmap_hw": [12, 16], "sigma": 2.0},
]


def as_list(array: np.ndarray) -> list:
    """Flat Python numbers; float32 values stay exact (a float64 holds every float32)."""
    return np.asarray(array).ravel().tolist()


def network_like_maps(codec, rng: np.random.Generator) -> np.ndarray:
    """(1, K, H, W) float32 maps resembling a trained network's output for random keypoints."""
    height, width = codec.input_hw
    keypoints = rng.uniform([-2, -2], [width + 1, height + 1], size=(1, KEYPOINTS, 2))
    keypoints[0, 0] = [0.2, height - 1.3]  # near a corner
    target = codec.encode(keypoints)["heatmaps"]
    if codec.name == "dsnt":  # logits: log-probabilities plus noise
        maps = np.log(target + 1e-3) + rng.normal(0, 0.3, target.shape)
    else:
        maps = target / max(target.max(), 1e-6) + rng.normal(0, 0.05, target.shape)
    maps[0, 1] = 0.0  # an all-zero map: argmax ties go to pixel 0, h3r falls back to the argmax
    maps[0, 2, 3:5, 3:5] = maps[0, 2].max() + 0.5  # a plateau: ties on the maximum
    return maps.astype(np.float32)


def decoder_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for config in CODEC_CONFIGS:
        codec = CODECS.build(config)
        for repeat in range(3):
            maps = network_like_maps(codec, rng)
            layout = "NCHW" if repeat == 2 else "NHWC"
            for dtype in ("float32", "int8", "uint8"):
                if dtype == "float32":
                    values, scale, zero_point = maps, 1.0, 0
                else:
                    values, scale, zero_point = quantize_per_tensor(maps, np.dtype(dtype).type)
                stored = values if layout == "NCHW" else values.transpose(0, 2, 3, 1)
                spec = {"layout": layout, "dtype": dtype, "scale": scale, "zero_point": zero_point}
                keypoints, scores = decode_output(stored, spec, codec)
                cases.append({"codec": codec.to_config(), "keypoints": KEYPOINTS, **spec,
                              "maps": as_list(stored), "x": as_list(keypoints[0, :, 0]),
                              "y": as_list(keypoints[0, :, 1]), "scores": as_list(scores[0])})
    return cases


def test_image(rng: np.random.Generator, height: int = 60, width: int = 80) -> np.ndarray:
    """(H, W, 3) uint8: smooth gradients plus noise, so interpolation errors would show."""
    rows, columns = np.mgrid[0:height, 0:width]
    base = np.stack([columns * 3, rows * 4, (columns + rows) * 2], axis=-1)
    return np.clip(base + rng.integers(0, 40, (height, width, 3)), 0, 255).astype(np.uint8)


INPUT_SPECS = [
    {"layout": "NHWC", "dtype": "int8", "scale": 1.0, "zero_point": -128},
    {"layout": "NHWC", "dtype": "uint8", "scale": 1.0, "zero_point": 0},
    {"layout": "NHWC", "dtype": "int8", "scale": 0.75, "zero_point": -10},
    {"layout": "NHWC", "dtype": "float32", "scale": 1.0, "zero_point": 0},
]

BOXES = [None, (20, 10, 60, 50), (-15.5, 30.25, 40.75, 90.5), (33.3, 12.7, 77.1, 60.2), (40, 30, 40.4, 30.2),
         (70, -20, 120, 10)]


def crop_cases(rng: np.random.Generator) -> dict:
    image = test_image(rng)
    cases = []
    for index, box in enumerate(BOXES):
        input_hw = (64, 64) if index % 2 == 0 else (48, 32)
        margin = 0.25 if index % 3 else 0.1
        crop, matrix = crop_box(image, input_hw, margin, box)
        spec = INPUT_SPECS[index % len(INPUT_SPECS)]
        encoded = encode_input(crop[None], spec)
        crop_points = rng.uniform(-5, 70, (KEYPOINTS, 2)).astype(np.float32)
        height, width = image.shape[:2]
        cases.append({"box": list(box) if box else [0.0, 0.0, width - 1.0, height - 1.0], "margin": margin,
                      "input_hw": list(input_hw), "input": spec, "matrix": as_list(matrix),
                      "crop": as_list(crop), "encoded": as_list(encoded),
                      "crop_points": as_list(crop_points),
                      "frame_points": as_list(to_original(crop_points, matrix))})
    return {"opencv": cv2.__version__, "height": int(image.shape[0]), "width": int(image.shape[1]),
            "image": as_list(image), "cases": cases}


def good_sidecar(codec_config: dict, output_dtype: str = "int8") -> dict:
    """A sidecar as `edgelmk export --target tflite --int8` writes it (minus the parity report)."""
    skeleton = skeleton_for("300w")
    codec = CODECS.build(codec_config)
    (height, width), (map_height, map_width) = codec.input_hw, codec.heatmap_hw
    keypoints = len(skeleton.keypoint_names)
    out_scale, out_zero = (1.0, 0) if output_dtype == "float32" else (1 / 256, -128)
    return {
        "format": sidecars.FORMAT, "edgelmk_version": "0.1.0", "model_file": "model.tflite", "target": "tflite",
        "int8": output_dtype != "float32", "precision": "w1a1",
        "input": {"name": "image", "layout": "NHWC", "shape": [1, height, width, 3], "dtype": "int8", "scale": 1.0,
                  "zero_point": -128, "hw": [height, width], "colour": "RGB", "range": [0, 255]},
        "output": {"name": "heatmaps", "layout": "NHWC", "shape": [1, map_height, map_width, keypoints],
                   "dtype": output_dtype, "scale": out_scale, "zero_point": out_zero,
                   "activation": "spatial_softmax" if codec.name == "h3r" else "none"},
        "codec": codec.to_config(),
        "keypoints": {"skeleton": skeleton.name, "names": list(skeleton.keypoint_names),
                      "flip_pairs": [list(pair) for pair in skeleton.flip_pairs]},
        "crop": {"margin": 0.25},
    }


def broken(content: dict, dotted: str, value=None, delete: bool = False) -> dict:
    changed = copy.deepcopy(content)
    *parents, key = dotted.split(".")
    node = changed
    for parent in parents:
        node = node[parent]
    if delete:
        del node[key]
    else:
        node[key] = value
    return changed


def sidecar_cases() -> list[dict]:
    good = [good_sidecar(config) for config in CODEC_CONFIGS[::2]] + [good_sidecar(CODEC_CONFIGS[0], "float32")]
    base = good[0]
    bad = {
        "wrong format": broken(base, "format", "something-else"),
        "missing codec": broken(base, "codec", delete=True),
        "missing crop margin": broken(base, "crop.margin", delete=True),
        "unknown dtype": broken(base, "output.dtype", "int16"),
        "unknown layout": broken(base, "input.layout", "CHW"),
        "string scale": broken(base, "input.scale", "1.0"),
        "float zero point": broken(base, "output.zero_point", 0.5),
        "3-D output": broken(base, "output.shape", [16, 16, 68]),
        "map count differs from names": broken(base, "output.shape", [1, 16, 16, 67]),
        "unknown target": broken(base, "target", "coreml"),
    }
    cases = []
    for content in good:
        sidecars.check(content, Path("model.json"))
        cases.append({"name": f"good {content['codec']['name']} {content['output']['dtype']}", "valid": True,
                      "json": json.dumps(content), "keypoints": len(content["keypoints"]["names"]),
                      "input_hw": content["input"]["hw"], "codec": content["codec"]["name"]})
    for name, content in bad.items():
        try:
            sidecars.check(content, Path("model.json"))
        except sidecars.SidecarError as error:
            cases.append({"name": name, "valid": False, "json": json.dumps(content), "python_error": str(error)})
        else:
            raise AssertionError(f"the Python sidecar check accepts the broken case {name!r}; fix the vectors")
    return cases


def pipeline_case(rng: np.random.Generator) -> dict:
    """Frame + box -> model input bytes, and model output bytes -> keypoints in frame pixels."""
    content = good_sidecar(CODEC_CONFIGS[2])
    codec = CODECS.build(content["codec"])
    image = test_image(rng, 90, 120)
    box = (30.5, 12.0, 95.0, 70.25)
    crop, matrix = crop_box(image, codec.input_hw, content["crop"]["margin"], box)
    model_input = encode_input(crop[None], content["input"])
    keypoints = len(content["keypoints"]["names"])
    truth = rng.uniform(4, 60, (1, keypoints, 2))
    maps = codec.encode(truth)["heatmaps"] + rng.normal(0, 0.02, (1, keypoints, *codec.heatmap_hw))
    output = content["output"]
    quantized = np.clip(np.round(maps / output["scale"]) + output["zero_point"], -128, 127).astype(np.int8)
    model_output = quantized.transpose(0, 2, 3, 1)
    in_crop, scores = decode_output(model_output, output, codec)
    in_frame = to_original(in_crop[0], matrix)
    return {"sidecar": json.dumps(content), "height": int(image.shape[0]), "width": int(image.shape[1]),
            "image": as_list(image), "box": list(box), "input": as_list(model_input), "output": as_list(model_output),
            "x": as_list(in_frame[:, 0]), "y": as_list(in_frame[:, 1]), "scores": as_list(scores[0])}


def export_pipeline_case(export_dir: Path, rng: np.random.Generator) -> dict:
    """The pipeline case of a real exported model: its input and output bytes on a test image."""
    model = LandmarkModel(export_dir / "model.tflite")
    image = test_image(rng, 90, 120)
    box = (30.5, 12.0, 95.0, 70.25)
    crop, matrix = model.crop_image(image, box)
    model_input = model.preprocess(crop[None])
    model_output = model.interpreter.run(model_input)
    in_crop, scores = model.decode(model_output)
    in_frame = to_original(in_crop[0], matrix)
    reference, _ = model.predict(image, box)
    assert np.array_equal(reference, in_frame), "the recorded steps must be what LandmarkModel.predict does"
    return {"sidecar": (export_dir / "model.json").read_text(), "height": int(image.shape[0]),
            "width": int(image.shape[1]), "image": as_list(image), "box": list(box), "input": as_list(model_input),
            "output": as_list(model_output), "x": as_list(in_frame[:, 0]), "y": as_list(in_frame[:, 1]),
            "scores": as_list(scores[0])}


def detector_case(rng: np.random.Generator, height: int = 480, width: int = 640) -> dict:
    """Made-up BlazeFace outputs (two faces, each seen by several anchors, plus a weak one) decoded by
    ``SsdDecoder``, and the detections calibrated by the shipped BlazeFace calibrations."""
    decoder = SsdDecoder(BlazeFace.layout)
    anchors = decoder.anchors * BlazeFace.layout.input_size
    regressions = np.zeros((len(anchors), 16), np.float32)
    logits = np.full(len(anchors), -8.0, np.float32)
    pattern = np.array([[-0.2, -0.15], [0.2, -0.15], [0.0, 0.05], [0.0, 0.25], [-0.45, -0.05], [0.45, -0.05]])
    for centre, side, logit in (((40.0, 52.0), 30.0, 3.0), ((92.0, 80.0), 20.0, 1.5), ((110.0, 20.0), 10.0, -0.5)):
        near = np.flatnonzero(np.linalg.norm(anchors - centre, axis=1) < 7)
        for index in near:
            offset = np.asarray(centre) - anchors[index] + rng.normal(0, 0.5, 2)
            regressions[index, :2] = offset
            regressions[index, 2:4] = side + rng.normal(0, 1.0, 2)
            regressions[index, 4:] = (offset + side * pattern + rng.normal(0, 0.3, pattern.shape)).ravel()
            logits[index] = logit + rng.normal(0, 0.5)
    matrix = letterbox_matrix((height, width), BlazeFace.layout.input_size)
    found = decoder.decode(regressions, logits, matrix)
    assert len(found) >= 2, "the made-up outputs must give detections"
    calibrations_json = (calibrations.SHIPPED / "blazeface.json").read_text()
    cases = []
    for scheme in ("cofw", "300w"):
        calibration = calibrations.shipped("blazeface", scheme)
        boxes = [as_list(calibration.apply(Detection(box, score, points))) for box, score, points in found]
        cases.append({"scheme": scheme, "keypoints_used": calibration.uses_keypoints, "boxes": boxes})
    return {"height": height, "width": width, "matrix": as_list(matrix.ravel()), "regressions": as_list(regressions.ravel()),
            "logits": as_list(logits), "anchors": len(anchors),
            "detections": [{"box": as_list(box), "score": score, "keypoints": as_list(points.ravel())}
                           for box, score, points in found],
            "calibrations_json": calibrations_json, "calibrated": cases}


class ScriptedScene:
    """Two faces in a 320 x 240 video at 30 fps: A moves right, B appears at frame 12 (still), A's
    landmark scores drop on frames 30-31 (lost, found again), the detector misses A on frame 20 (its track
    carries on), and from frame 40 the detector also
    reports a box beside B that the landmarks pull onto B (two tracks on one face: the newer is dropped), and on
    frame 50 A's landmarks spread sideways (their box too wide: detected again on frame 51). Acts as the pipeline's
    detector and as its landmark model, and records what they were asked and answered."""

    name, kind, scheme, min_size = "scripted", "face", "scripted", 0
    size_hw = (240, 320)
    pattern = np.array([[-0.3, -0.2], [0.3, -0.2], [0.0, 0.05], [-0.2, 0.3], [0.2, 0.3], [-0.45, 0.0], [0.45, 0.0]])

    def __init__(self):
        self.frame, self.log = 0, []

    def faces(self) -> list[tuple[np.ndarray, float]]:
        """(centre, side) of the faces in the current frame."""
        faces = [(np.array([80.0 + 2.5 * self.frame, 120.0 + 10 * np.sin(self.frame / 6)]), 60.0)]
        if self.frame >= 12:
            faces.append((np.array([255.0, 70.0]), 50.0))
        return faces

    def detect(self, image) -> list[Detection]:
        rng = np.random.default_rng(1000 + self.frame)
        boxes = [np.concatenate([c + side * self.pattern.min(0), c + side * self.pattern.max(0)]) + rng.normal(0, 1.5, 4)
                 for c, side in self.faces()]  # calibrated: about the landmark box
        if self.frame == 20:
            boxes = boxes[1:]  # the detector misses A once: its track carries on
        if self.frame >= 40:
            boxes.append(boxes[1] + 25.0)  # overlaps B too little to be matched to it, yet lands on B
        found = [Detection(box.astype(np.float32), 0.9 - 0.1 * i) for i, box in enumerate(boxes)]
        self.log[-1]["detections"] = [as_list(d.box) for d in found]
        return found

    def predict(self, image, box) -> tuple[np.ndarray, np.ndarray]:
        box = np.asarray(box, np.float64)
        faces = self.faces()
        index = int(np.argmin([np.linalg.norm(c - (box[:2] + box[2:]) / 2) for c, _ in faces]))
        centre, side = faces[index]
        rng = np.random.default_rng(10 * self.frame + index)
        spread = [1.6, 1.0] if index == 0 and self.frame == 50 else [1.0, 1.0]
        keypoints = (centre + side * self.pattern * spread + rng.normal(0, 0.8, self.pattern.shape)).astype(np.float32)
        score = 0.3 if index == 0 and self.frame in (30, 31) else 0.9
        scores = np.full(len(keypoints), score, np.float32)
        self.log[-1]["calls"].append({"box": as_list(np.asarray(box, np.float32)), "x": as_list(keypoints[:, 0]),
                                      "y": as_list(keypoints[:, 1]), "scores": as_list(scores)})
        return keypoints, scores

    def frames(self, count: int):
        for self.frame in range(count):
            self.log.append({"detections": None, "calls": []})
            yield np.zeros((*self.size_hw, 3), np.uint8)


class _ScriptedDetector(Detector):
    name = "scripted"

    def __init__(self, scene: ScriptedScene):
        self.scene = scene

    def detect(self, image):
        return self.scene.detect(image)


def tracker_case(frames: int = 60, redetect_every: int = 10, lost_ratio: float = 0.5, max_resize: float = 0.25,
                 box_motion: float = 0.5, fps: float = 30.0) -> dict:
    """The scripted scene through ``Pipeline.stream`` (tracking, box motion and FaceSmoother at their defaults), recorded."""
    scene = ScriptedScene()
    pipeline = Pipeline(scene, _ScriptedDetector(scene), redetect_every=redetect_every, lost_ratio=lost_ratio,
                        max_resize=max_resize, box_motion=box_motion, log=None)
    for faces in pipeline.stream(scene.frames(frames), fps=fps):
        scene.log[-1]["faces"] = [{"id": face.id, "box": as_list(face.box), "x": as_list(face.keypoints[:, 0]),
                            "y": as_list(face.keypoints[:, 1])} for face in faces]
    ids = {face["id"] for record in scene.log for face in record["faces"]}
    assert ids == {0, 1} and any(not r["faces"] or len(r["faces"]) < len(r["calls"]) for r in scene.log), \
        "the scene must exercise new, lost and duplicate faces"
    assert scene.log[51]["detections"] is not None and 0 in {face["id"] for face in scene.log[50]["faces"]}, \
        "A's spread landmarks on frame 50 must be shown and send it to the detector on frame 51"
    height, width = scene.size_hw
    return {"fps": fps, "width": width, "height": height, "redetect_every": redetect_every, "lost_ratio": lost_ratio,
            "max_resize": max_resize, "box_motion": box_motion,
            "one_euro": [ONE_EURO_DEFAULTS[key] for key in ("min_cutoff", "beta", "d_cutoff", "shape_beta")],
            "frames": scene.log}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder for the vector files (created)")
    parser.add_argument("--export", type=Path, help="folder of `edgelmk export --target tflite --int8`")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    files = {"decoders.json": {"cases": decoder_cases(rng)}, "crops.json": crop_cases(rng),
             "sidecars.json": {"cases": sidecar_cases()}, "pipeline.json": pipeline_case(rng),
             "detector.json": detector_case(rng), "tracker.json": tracker_case()}
    if args.export:
        files["pipeline_export.json"] = export_pipeline_case(args.export, rng)
    for name, content in files.items():
        (args.out_dir / name).write_text(json.dumps(content))
    print(f"wrote {', '.join(files)} to {args.out_dir} ({len(files['decoders.json']['cases'])} decoder cases)")


if __name__ == "__main__":
    main()
