"""Real photographs, a small labelled set: edgelmk against dlib's ERT shape predictor on the same photos and boxes.

On ``../shared/fixtures/helen29`` (HELEN photos, 29 points in COFW's scheme), with N of the 250
training photos (default 50, 100 and 250; a seeded choice, each set inside the next), validated
on the 48 ``val`` photos with the landmarks' boxes:

- edgelmk fp32 and w1a1 (``recipes/finetune_helen29_{fp32,w1a1}.yaml``), each from scratch and
  fine-tuned from procedural-face pretraining (``recipes/pretrain_faces_cofw.yaml``, trained
  here unless ``--pretrained`` gives its checkpoint; the float checkpoint starts both);
- dlib's ERT shape predictor (``dlib.train_shape_predictor``, oversampling 20, other options
  dlib's defaults) trained on exactly the same photos and boxes.

Reports NME by the pupils and FR@0.10 (``edgelmk.metrics``, the same functions for every row),
the deployed file size (fine-tuned models at the largest N: fp32 as TFLite int8, w1a1 as LCE,
exported and run through ``edgelmk.runtime``, whose NME is reported too) and CPU latency per
face (one thread: ``edgelmk.runtime.bench``'s crop + inference + decode p50; dlib's predictor
call p50), then the issue's goals. Every run folder is resumable: rerunning continues.

dlib comes from the prebuilt wheel (no compiler): ``pip install dlib-bin``.

``--binary-rows`` adds w1a1 rows at the largest N with binary training options
(``binary_options.py``: ``rprelu``, ``shortcut``, ``two-step``, ``distilled`` from the fp32 row of
the same start, ``attention``), for each start; ``--starts scratch`` leaves out the pretraining and fine-tuning.

Usage: python benchmarks/real_photos.py [--sizes 50,100,250] [--pretrained CKPT] [--out runs/real_photos]
       [--starts scratch,fine-tuned] [--binary-rows rprelu+shortcut,distilled]
       python benchmarks/real_photos.py --quick     (a smoke run of every path: tiny networks, two epochs)
LCE on x86_64 runs reference kernels: its latency here is not an ARM device's.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from binary_options import option_names, option_overrides, two_step
from edgelmk import engine, metrics
from edgelmk import recipe as recipes
from edgelmk.data import DATASETS
from edgelmk.data.dataset import build_dataset, crop_all, eval_transform
from edgelmk.errors import EdgelmkError
from edgelmk.evaluation import score
from edgelmk.export import export_checkpoint
from edgelmk.runtime import LandmarkModel
from edgelmk.runtime.bench import bench

REPO = Path(__file__).resolve().parent.parent
HELEN = REPO.parent / "shared" / "fixtures" / "helen29"
PRETRAIN_RECIPE = REPO / "recipes" / "pretrain_faces_cofw.yaml"
FINETUNE_RECIPE = REPO / "recipes" / "finetune_helen29_{precision}.yaml"
#: training epochs by number of photos: about the same number of steps for the small sets
EPOCHS = {50: 60, 100: 40, 250: 24}
#: what --quick changes in every recipe: a network and a budget that only prove the paths work
QUICK = ["model.width=32", "model.depth=2", "data.input_hw=[32,32]", "codec.heatmap_hw=[8,8]", "optim.epochs=2",
         "data.batch_size=4"]
QUICK_PRETRAIN = QUICK + ["data.train.num_samples=16", "data.val.num_samples=8"]
DEPLOYED = {"fp32": ("tflite", True), "w1a1": ("lce", False)}


def epochs_for(size: int) -> int:
    """Epochs for ``size`` photos: the table's, or the nearest size's scaled to the same number of steps."""
    if size in EPOCHS:
        return EPOCHS[size]
    nearest = min(EPOCHS, key=lambda known: abs(known - size))
    return max(1, round(EPOCHS[nearest] * nearest / size))


def subset_file(size: int, out: Path) -> Path:
    """A COCO-style file with ``size`` of helen29's training photos (seeded; each subset inside the larger ones)."""
    content = json.loads((HELEN / "train" / "helen29_train.json").read_text())
    order = np.random.default_rng(0).permutation(len(content["images"]))
    if size > len(order):
        raise SystemExit(f"--sizes: helen29 has {len(order)} training photos, asked for {size}")
    chosen = {content["images"][index]["id"] for index in order[:size]}
    subset = {**content, "images": [image for image in content["images"] if image["id"] in chosen],
              "annotations": [a for a in content["annotations"] if a["image_id"] in chosen]}
    path = out / "data" / f"helen29_train_{size}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(subset))
    return path


def train(config: dict, folder: Path) -> tuple[Path, float]:
    """Train (or continue) a run; (best checkpoint, seconds of training and validation over all its epochs).

    The seconds come from the run's ``metrics.csv``, so a run resumed by a second invocation counts whole.
    """
    trainer = engine.Trainer(config, folder, resume=(folder / "last.pt").exists(), log=lambda line: None)
    trainer.fit()
    with open(folder / "metrics.csv", newline="") as handle:
        seconds = sum(float(row["seconds"]) for row in csv.DictReader(handle))
    return folder / "best.pt", seconds


def helen_overrides(train_file: Path) -> list[str]:
    return [f"data.train.ann_file={train_file}", f"data.train.root={HELEN / 'train'}",
            f"data.val.ann_file={HELEN / 'val' / 'helen29_val.json'}", f"data.val.root={HELEN / 'val'}"]


def report_of(predicted: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """NME (inter-pupil, COFW's points 16 and 17) and FR@0.10 for (N, 29, 2) predictions."""
    report = metrics.face_report(metrics.nme(predicted, gt, "cofw"))
    return {"NME": report["NME"], "FR@0.10": report["FR@0.10"]}


# --- dlib ----------------------------------------------------------------------------------------------


def faces_of(ann_file: Path, root: Path) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """(RGB images, boxes (N, 4) x0, y0, x1, y1, keypoints (N, 29, 2)) of a helen29 file, one face per photo."""
    samples = list(DATASETS.build({"name": "coco_face", "ann_file": str(ann_file), "root": str(root),
                                   "skeleton": "cofw"}))
    return ([s["image"] for s in samples], np.stack([s["bbox"] for s in samples]),
            np.stack([s["keypoints"] for s in samples]))


def dlib_rectangle(dlib, box: np.ndarray):
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    return dlib.rectangle(x0, y0, x1, y1)


def dlib_row(train_file: Path, val_faces: tuple, folder: Path, quick: bool) -> dict:
    """Train dlib's ERT on the photos of ``train_file`` with their landmark boxes; its row of the table
    (``val_faces``: :func:`faces_of` the validation file)."""
    import dlib

    images, boxes, keypoints = faces_of(train_file, HELEN / "train")
    objects = [[dlib.full_object_detection(dlib_rectangle(dlib, box), [dlib.point(int(round(x)), int(round(y)))
                                                                         for x, y in points])]
               for box, points in zip(boxes, keypoints)]
    options = dlib.shape_predictor_training_options()
    options.oversampling_amount = 20
    options.num_threads = 2
    if quick:
        options.cascade_depth, options.num_trees_per_cascade_level, options.oversampling_amount = 2, 10, 1
    started = time.time()
    predictor = dlib.train_shape_predictor(images, objects, options)
    seconds = time.time() - started
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / "dlib_ert.dat"
    predictor.save(str(model_path))
    val_images, val_boxes, val_keypoints = val_faces
    predicted, latency = [], []
    for image, box in zip(val_images, val_boxes):
        start = time.perf_counter()
        shape = predictor(image, dlib_rectangle(dlib, box))
        latency.append((time.perf_counter() - start) * 1000)
        predicted.append([(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)])
    report = report_of(np.asarray(predicted, np.float64), val_keypoints)
    return {**report, "train_s": seconds, "file": "dlib .dat", "bytes": model_path.stat().st_size,
            "file_NME": report["NME"], "latency_ms": float(np.median(latency))}


# --- edgelmk -------------------------------------------------------------------------------------------


def deployed_row(checkpoint: Path, config: dict, precision: str, folder: Path, runs: int) -> dict:
    """Export a fine-tuned checkpoint (trained with the resolved recipe ``config``) to its edge target; file
    size, runtime NME and latency per face."""
    target, int8 = DEPLOYED[precision]
    content = export_checkpoint(checkpoint, target, folder, int8=int8, samples=48, log=lambda *_: None)
    model_path = folder / content["model_file"]
    dataset = build_dataset(config, "val")
    crops = crop_all(dataset, eval_transform(config))
    predicted, scores = LandmarkModel(model_path).predict_crops(np.stack([c["image"] for c in crops]))
    timing = bench(model_path, threads=1, runs=runs, warmup=max(1, runs // 10))
    return {"file": f"{target}{' int8' if int8 else ''}", "bytes": model_path.stat().st_size,
            "file_NME": score("nme", dataset.skeleton, crops, predicted, scores)["NME"],
            "latency_ms": timing["latency_ms"]["total"]["p50"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,100,250", help="numbers of training photos, comma-separated")
    parser.add_argument("--pretrained", type=Path, help="a finished recipes/pretrain_faces_cofw.yaml checkpoint")
    parser.add_argument("--out", type=Path, default=Path("runs/real_photos"))
    parser.add_argument("--runs", type=int, default=100, help="timed predictions per deployed model")
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny networks, two epochs, tiny dlib")
    parser.add_argument("--starts", default="scratch,fine-tuned", help="scratch and/or fine-tuned, comma-separated")
    parser.add_argument("--binary-rows", default="", help="comma-separated w1a1 option sets for extra rows at the "
                                                           "largest N, e.g. rprelu+shortcut,distilled")
    args = parser.parse_args()
    started = time.time()
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    starts = [start for start in ("scratch", "fine-tuned") if start in args.starts.split(",")]
    binary_rows = [options for options in args.binary_rows.split(",") if option_names(options)]
    changes = QUICK if args.quick else []

    pretrained, pretrain_s = args.pretrained, 0.0
    if "fine-tuned" in starts and pretrained is None:
        print("pretraining on procedural faces (recipes/pretrain_faces_cofw.yaml) ...", flush=True)
        config = recipes.load(PRETRAIN_RECIPE, QUICK_PRETRAIN if args.quick else [])
        pretrained, pretrain_s = train(config, args.out / "pretrain")
    elif "fine-tuned" in starts and not pretrained.is_file():
        raise SystemExit(f"--pretrained {pretrained} not found")

    rows: dict[tuple[int, str], dict] = {}
    val_faces = faces_of(HELEN / "val" / "helen29_val.json", HELEN / "val")
    for size in sizes:
        train_file = subset_file(size, args.out)
        extra = [("w1a1", options) for options in binary_rows] if size == sizes[-1] else []
        for precision, options in [("fp32", ""), ("w1a1", ""), *extra]:
            for start in starts:
                init = f"model.init_from={pretrained if start == 'fine-tuned' else 'null'}"
                teacher = rows.get((size, f"edgelmk fp32 {start}"), {}).get("checkpoint")
                config = recipes.load(str(FINETUNE_RECIPE).format(precision=precision),
                                      [*helen_overrides(train_file), init, f"optim.epochs={epochs_for(size)}",
                                       *option_overrides(options, teacher), *changes])
                name = f"{precision} {start}" + (f" {options}" if options else "")
                folder = args.out / f"n{size}_{name.replace(' ', '_').replace('+', '-')}"
                print(f"N={size} {name}: {config['optim']['epochs']} epochs ...", flush=True)
                step_one_s = 0.0
                if "two-step" in option_names(options):
                    first, second = two_step(config)
                    step_one, step_one_s = train(first, folder / "step1")
                    config = second(step_one)
                checkpoint, seconds = train(config, folder)
                seconds += step_one_s
                report, _ = engine.load_checkpoint(checkpoint, "cpu").evaluate()
                rows[size, f"edgelmk {name}"] = {"NME": report["NME"], "FR@0.10": report["FR@0.10"],
                                                 "train_s": seconds, "checkpoint": checkpoint, "config": config,
                                                 "precision": precision, "start": start}
        print(f"N={size} dlib ERT ...", flush=True)
        rows[size, "dlib ERT"] = dlib_row(train_file, val_faces, args.out / f"n{size}_dlib", args.quick)

    largest, deployed_start = sizes[-1], starts[-1]
    for precision, options in [("fp32", ""), ("w1a1", ""), *(("w1a1", options) for options in binary_rows)]:
        name = f"{precision} {deployed_start}" + (f" {options}" if options else "")
        row = rows[largest, f"edgelmk {name}"]
        row.update(deployed_row(row["checkpoint"], row["config"], precision,
                                args.out / f"deployed_{name.replace(' ', '_').replace('+', '-')}", args.runs))
    wall_s = time.time() - started
    # runs continued from an earlier invocation count with all their epochs
    total_s = max(wall_s, pretrain_s + sum(row["train_s"] for row in rows.values()))

    print(f"\nhelen29: {len(json.loads((HELEN / 'val' / 'helen29_val.json').read_text())['images'])} val photos, "
          f"landmark boxes; NME by the pupils; pretraining {pretrain_s:.0f} s; total {total_s / 60:.1f} min "
          f"({wall_s / 60:.1f} min in this invocation)")
    print(f"{'N':>4}  {'model':<44}{'NME':>8}{'FR@0.10':>9}{'x dlib':>8}{'train s':>9}{'file':>16}{'KiB':>9}"
          f"{'file NME':>10}{'ms/face':>9}")
    for (size, name), row in rows.items():
        deployed = (f"{row['file']:>16}{row['bytes'] / 1024:>9,.0f}{row['file_NME']:>10.4f}{row['latency_ms']:>9.2f}"
                    if "file" in row else "")
        print(f"{size:>4}  {name:<44}{row['NME']:>8.4f}{row['FR@0.10']:>9.3f}"
              f"{row['NME'] / rows[size, 'dlib ERT']['NME']:>8.2f}{row['train_s']:>9.0f}{deployed}")

    print("\ngoals")
    dlib = rows[largest, "dlib ERT"]
    for (size, name), row in rows.items():
        if size == largest and row.get("precision") == "w1a1":
            ratio, float_ratio = row["NME"] / dlib["NME"], row["NME"] / rows[size, f"edgelmk fp32 {row['start']}"]["NME"]
            print(f"  {name} (N={largest}) NME {ratio:.2f}x dlib's (goal <= 0.9): {'met' if ratio <= 0.9 else 'NOT met'}"
                  f"; {float_ratio:.2f}x fp32's (goal <= 1.1): {'met' if float_ratio <= 1.1 else 'NOT met'}")
    binary = rows[largest, f"edgelmk w1a1 {deployed_start}"]
    size_ratio = dlib["bytes"] / binary["bytes"]
    print(f"  LCE file 1/{size_ratio:.0f} of dlib's (goal <= 1/50): {'met' if size_ratio >= 50 else 'NOT met'}")
    smallest = sizes[0]
    for precision in ("fp32", "w1a1") if len(starts) == 2 else ():
        scratch = rows[smallest, f"edgelmk {precision} scratch"]["NME"]
        tuned = rows[smallest, f"edgelmk {precision} fine-tuned"]["NME"]
        gain = 1 - tuned / scratch
        print(f"  {precision} N={smallest}: fine-tuned NME {gain:.0%} lower than from scratch (goal >= 20%): "
              f"{'met' if gain >= 0.2 else 'NOT met'}")
    print(f"  whole benchmark {total_s / 60:.1f} min (goal < 45): {'met' if total_s < 45 * 60 else 'NOT met'}")


if __name__ == "__main__":
    try:
        main()
    except EdgelmkError as error:  # a recipe, data or checkpoint problem: the message says what to do
        raise SystemExit(f"error: {error}") from None
