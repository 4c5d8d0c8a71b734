"""Steps of the arm64 check (run.sh): reference outputs on x86_64, the same run on aarch64, comparison.

    compare.py reference EXPORT_DIR WORK_DIR   # x86_64: crops.npy, x86_outputs.npy, x86_keypoints.npy
    compare.py run EXPORT_DIR WORK_DIR         # aarch64 (under qemu): arm64_outputs.npy, arm64_keypoints.npy
    compare.py check EXPORT_DIR WORK_DIR       # prints the differences; exit 1 when over the bounds
"""

import platform
import sys
from pathlib import Path

import numpy as np

from edgelmk.codecs.peaks import using_decode_backend
from edgelmk.runtime import LandmarkModel

CROPS = 8
MAX_KEYPOINT_PX = 0.05  # float: same kernels up to summation order; int8: integer kernels may round differently


def model_file(export_dir: Path) -> Path:
    for name in ("model.tflite", "model.onnx"):
        if (export_dir / name).is_file():
            return export_dir / name
    raise SystemExit(f"{export_dir}: no model.tflite or model.onnx")


def infer(export_dir: Path, work: Path, side: str) -> int:
    """Run the crops; 1 when the compiled decode and numpy's disagree on this machine, else 0."""
    model = LandmarkModel(model_file(export_dir))
    crops = np.load(work / "crops.npy")
    outputs = np.concatenate([model.interpreter.run(model.preprocess(crop[None])) for crop in crops])
    keypoints, _ = model.predict_crops(crops)
    np.save(work / f"{side}_outputs.npy", outputs)
    np.save(work / f"{side}_keypoints.npy", keypoints)
    print(f"{side}: {platform.machine()} {model.interpreter.name} ran {model.path} on {len(crops)} crops")
    if model.decode_backend != "compiled":
        return 0
    with using_decode_backend("numpy"):  # a model chooses its decode when it is opened
        numpy_keypoints, _ = LandmarkModel(model_file(export_dir)).predict_crops(crops)
    same = np.array_equal(keypoints, numpy_keypoints)
    print(f"{side}: compiled decode {'equals' if same else 'DIFFERS FROM'} the numpy decode bit for bit")
    return int(not same)


def main(step: str, export_dir: str, work_dir: str) -> int:
    export_dir, work = Path(export_dir), Path(work_dir)
    if step == "reference":
        height, width = LandmarkModel(model_file(export_dir)).input_hw
        np.save(work / "crops.npy", np.random.default_rng(0).integers(0, 256, (CROPS, height, width, 3), np.uint8))
        return infer(export_dir, work, "x86")
    elif step == "run":
        return infer(export_dir, work, "arm64")
    else:
        x86, arm = np.load(work / "x86_outputs.npy"), np.load(work / "arm64_outputs.npy")
        distance = np.linalg.norm(np.load(work / "x86_keypoints.npy") - np.load(work / "arm64_keypoints.npy"), axis=-1)
        difference = np.abs(x86.astype(np.float64) - arm.astype(np.float64))
        print(f"{export_dir}: outputs {x86.dtype}, {np.count_nonzero(difference)} of {difference.size} values "
              f"differ, max |x86 - arm64| {difference.max():.3g}; keypoints max {distance.max():.4f} px, "
              f"mean {distance.mean():.4f} px")
        return int(distance.max() > MAX_KEYPOINT_PX)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("reference", "run", "check"):
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
