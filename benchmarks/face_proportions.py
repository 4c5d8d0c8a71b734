"""The procedural faces' mean 68-point shape against real faces' in 300W's convention, per part.

The reference is the mean shape that dlib's pretrained 68-point model (trained on iBUG 300-W; the
``shape_predictor_68_face_landmarks.dat`` of ``face_recognition_models``) predicts on helen29's
250 **training** photos, each face found by dlib's HOG detector (photos with one face found). The
68-point evaluation faces of ``benchmarks/synthetic_to_real.py`` are not used, so tuning the
generator's proportions on this table does not fit that benchmark's faces.

Both sides are averaged the same way: every shape is aligned to the running mean by a
least-squares similarity (Procrustes), the mean rescaled to an outer-eye-corner distance of 1; the
procedural mean is then aligned to the real one. Each row is one generator version; each column
the mean distance of a part's points from the real mean (inter-ocular units), and ``jaw steps``
the ratio of the jaw's point spacing near the temples to that near the chin (300W's annotators
space the jaw's points evenly: about 1).

Usage: python benchmarks/face_proportions.py --predictor shape_predictor_68_face_landmarks.dat [--faces 400]
dlib: pip install dlib-bin; the model: pip download --no-deps face_recognition_models (in its sdist)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from edgelmk.data.synthetic import VERSIONS, SyntheticFaces
from edgelmk.preprocess import load_image

HELEN_TRAIN = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "helen29" / "train"
PARTS = {"jaw": range(0, 17), "brows": range(17, 27), "nose": range(27, 36), "eyes": range(36, 48),
         "lips": range(48, 68)}
OUTER_EYE_CORNERS = (36, 45)


def align(shape: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(P, 2) ``shape`` moved onto (P, 2) ``target`` by the least-squares similarity (rotation, scale, shift)."""
    source, destination = shape - shape.mean(0), target - target.mean(0)
    u, singular, vt = np.linalg.svd(source.T @ destination)
    return source @ (u @ vt) * (singular.sum() / (source ** 2).sum()) + target.mean(0)


def mean_shape(shapes: np.ndarray, rounds: int = 5) -> np.ndarray:
    """(P, 2) Procrustes mean of (N, P, 2) shapes, centred, outer eye corners 1 apart."""
    mean = shapes[0]
    for _ in range(rounds):
        mean = np.mean([align(shape, mean) for shape in shapes], axis=0)
        mean = (mean - mean.mean(0)) / np.linalg.norm(mean[OUTER_EYE_CORNERS[1]] - mean[OUTER_EYE_CORNERS[0]])
    return mean


def jaw_steps(shape: np.ndarray) -> float:
    """Mean spacing of the 3 jaw points nearest each temple over that of the 3 nearest the chin."""
    steps = np.linalg.norm(np.diff(shape[0:17], axis=0), axis=1)
    halves = steps[:8] + steps[::-1][:8]
    return float(halves[0:3].mean() / halves[5:8].mean())


def dlib_shapes(predictor_path: Path) -> np.ndarray:
    """(N, 68, 2) dlib's predictions on the helen29 training photos where its detector finds one face."""
    try:
        import dlib
    except ImportError:
        sys.exit("face_proportions.py needs dlib: pip install dlib-bin")
    if not predictor_path.is_file():
        sys.exit(f"{predictor_path}: no such file; it is in face_recognition_models' sdist "
                 "(pip download --no-deps face_recognition_models)")
    annotations = json.loads((HELEN_TRAIN / "helen29_train.json").read_text())
    detector, predictor = dlib.get_frontal_face_detector(), dlib.shape_predictor(str(predictor_path))
    shapes = []
    for image in annotations["images"]:
        rgb = load_image(HELEN_TRAIN / image["file_name"])
        faces = detector(rgb, 1)
        if len(faces) == 1:
            shapes.append([[part.x, part.y] for part in predictor(rgb, faces[0]).parts()])
    return np.array(shapes, np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictor", type=Path, required=True, help="dlib's shape_predictor_68_face_landmarks.dat")
    parser.add_argument("--faces", type=int, default=400, help="procedural faces per version (96x96)")
    args = parser.parse_args()
    real = dlib_shapes(args.predictor)
    reference = mean_shape(real)
    print(f"reference: dlib's 68 points on {len(real)} helen29 training photos (one face detected)\n")
    print(f"| shape | {' | '.join(PARTS)} | all | jaw steps |")
    print("|---|" + "---:|" * (len(PARTS) + 2))
    print(f"| dlib on helen29/train | {' | '.join('0' for _ in PARTS)} | 0 | {jaw_steps(reference):.2f} |")
    for version in VERSIONS:
        faces = SyntheticFaces(args.faces, (96, 96), seed=5, version=version)
        procedural = align(mean_shape(np.array([face["keypoints"] for face in faces], np.float64)), reference)
        distance = np.linalg.norm(procedural - reference, axis=1)
        cells = " | ".join(f"{distance[list(points)].mean():.4f}" for points in PARTS.values())
        print(f"| version {version} | {cells} | {distance.mean():.4f} | {jaw_steps(procedural):.2f} |")


if __name__ == "__main__":
    main()
