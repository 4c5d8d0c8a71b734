"""Backend-neutral parts of training and evaluation (numpy only; no torch, no TensorFlow).

The PyTorch engine (:mod:`edgelmk.engine`) and the Keras + Larq one (:mod:`edgelmk.keras.engine`)
build the same datasets, transforms, codecs, learning-rate schedule and metrics from a recipe
with these functions, so that both backends train and are judged on equal terms.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgelmk import geometry, metrics
from edgelmk import recipe as recipes
from edgelmk.codecs import CODECS
from edgelmk.data import DATASETS
from edgelmk.data.transforms import AffineCrop, Blur, ColourJitter, Compose, Occluders, to_original

#: per-channel RGB normalisation of 0..1 pixels that both backends' networks apply first
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HIGHER_IS_BETTER = {"nme": False, "pckh": True, "coco_ap": True}


class TrainingError(RuntimeError):
    """Training cannot go on; the message says why and what to do."""


def _from_recipe(section: str, build: Callable[[], Any], hint: str = "") -> Any:
    """Build one part of a recipe; turn the registry's errors into a RecipeError naming the section."""
    try:
        return build()
    except (KeyError, ValueError, TypeError) as error:  # DatasetError is a ValueError
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        raise recipes.RecipeError(f"{section}: {message}{hint}") from None


def build_dataset(config: dict, side: str):
    """The ``data.train`` or ``data.val`` dataset, with errors that point at the recipe."""
    return _from_recipe(f"data.{side}", lambda: DATASETS.build(config["data"][side]),
                        "\nThe recipe's header says how to obtain the dataset and where to put it.")


def build_codec(config: dict):
    return _from_recipe("codec", lambda: CODECS.build(config["codec"]))


def eval_transform(config: dict) -> AffineCrop:
    return AffineCrop(config["data"]["input_hw"], margin=config["data"]["margin"])


def train_transform(config: dict, skeleton) -> Compose:
    augment = config["data"]["augment"]
    steps = [AffineCrop(config["data"]["input_hw"], margin=config["data"]["margin"],
                        scale_jitter=augment["scale_jitter"], rotation_deg=augment["rotation_deg"],
                        shift=augment["shift"], flip_prob=0.5 if augment["flip"] else 0.0,
                        flip_index=skeleton.flip_index)]
    if augment["colour"]:
        steps.append(ColourJitter(augment["colour"], augment["colour"], augment["colour"]))
    if augment["blur"]:
        steps.append(Blur(prob=augment["blur"]))
    if augment["occluders"]:
        steps.append(Occluders(prob=augment["occluders"]))
    return Compose(steps)


class CachedDataset:
    """A dataset's samples loaded once and kept in memory (for small or procedural datasets)."""

    def __init__(self, dataset, progress: Callable[[int], Any] | None = None):
        self.skeleton = dataset.skeleton
        self.samples = []
        for index in range(len(dataset)):
            self.samples.append(dataset[index])
            if progress:
                progress(1)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict:
        return self.samples[index]


def metric_for(config: dict, skeleton) -> str:
    """The validation metric: the recipe's choice, or the dataset's usual one."""
    chosen = config["eval"]["metric"]
    if chosen != "auto":
        return chosen
    return {"head": "pckh", None: "coco_ap"}.get(skeleton.normalizer, "nme")


def crop_all(dataset, transform: AffineCrop, progress: Callable[[int], Any] | None = None,
             limit: int | None = None) -> list[dict]:
    """Evaluation crops (no randomness) of the first ``limit`` samples (all by default).

    Each sample is cropped as soon as it is loaded: only crops are kept, never full images.
    """
    rng = np.random.default_rng(0)
    crops = []
    for index in range(len(dataset) if limit is None else min(limit, len(dataset))):
        crops.append(transform(dataset[index], rng))
        if progress:
            progress(1)
    return crops


def _crop_scale(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def score(metric: str, skeleton, crops: list[dict], predicted: np.ndarray, scores: np.ndarray,
          dataset=None) -> dict[str, float]:
    """The metric report for predictions (N, K, 2) in crop pixels."""
    gt = np.stack([c["keypoints"] for c in crops])
    visible = np.stack([c["visible"] for c in crops])
    if metric == "nme":
        rule = skeleton.normalizer
        if isinstance(rule, tuple):
            normalizer: Any = skeleton.name
        elif rule == "box_size" and all("box_size" in c for c in crops):
            normalizer = np.array([c["box_size"] * _crop_scale(c["matrix"]) for c in crops])
        else:  # no standard normaliser: the diagonal of the keypoints' box
            normalizer = np.array([np.linalg.norm(np.ptp(c["keypoints"][c["visible"] > 0], axis=0)) for c in crops])
        return metrics.face_report(metrics.nme(predicted, gt, normalizer, visible))
    if metric == "pckh":
        if any(c.get("head_box") is None for c in crops):
            raise TrainingError("PCKh needs head boxes: use the official MPII .mat (mpii_human_pose_v1_u12_1.mat) "
                                "for validation, or --set eval.metric=nme")
        boxes = np.stack([geometry.apply_affine(np.asarray(c["head_box"], np.float64).reshape(2, 2),
                                                c["matrix"]).reshape(4) for c in crops])
        return metrics.pckh(predicted, gt, visible, boxes)["table"]
    if metric == "coco_ap":
        if dataset is None or not hasattr(dataset, "ann_file"):
            raise TrainingError("COCO AP needs a COCO-style validation dataset with its ann_file")
        results = []
        for crop, points, point_scores in zip(crops, predicted, scores):
            original = to_original(points, crop["matrix"])
            flat = np.concatenate([original, point_scores[:, None]], axis=1).reshape(-1)
            results.append({"image_id": crop["image_id"], "category_id": 1, "keypoints": flat.tolist(),
                            "score": float(np.mean(point_scores))})
        return metrics.coco_ap(dataset.ann_file, results)
    raise TrainingError(f"unknown metric {metric!r}")


def headline(metric: str, report: dict[str, float]) -> float:
    """The one number a run is judged by."""
    return {"nme": report.get("NME"), "pckh": report.get("Mean"), "coco_ap": report.get("AP")}[metric]


def mean_shape_baseline(train_crops: list[dict], val_crops: list[dict], metric: str, skeleton) -> dict[str, float]:
    """The metric of predicting the mean training shape (in crop pixels) for every validation sample."""
    shapes = np.stack([c["keypoints"] for c in train_crops])
    weights = np.stack([c["visible"] for c in train_crops])[..., None]
    mean = (shapes * weights).sum(axis=0) / np.maximum(weights.sum(axis=0), 1)
    predicted = np.repeat(mean[None], len(val_crops), axis=0)
    return score(metric, skeleton, val_crops, predicted, np.ones(predicted.shape[:2]))


def recipe_skeleton(config: dict):
    """The keypoint layout of a recipe's training data, from its class or ``skeleton`` key, reading no file."""
    from edgelmk.data.skeletons import skeleton_for

    data = config["data"]["train"]
    if "skeleton" in data:
        return skeleton_for(data["skeleton"])
    skeleton = getattr(DATASETS.get(data["name"]), "skeleton", None)
    if skeleton is None:
        raise recipes.RecipeError(f"data.train {data['name']!r} takes its layout from its file; add "
                                  "data.train.skeleton (300w, wflw, cofw or aflw)")
    return skeleton


def hourglass_config(num_keypoints: int, input_hw, heatmap_hw, precision: str, block: str, width: int, depth: int,
                     stacks: int, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> dict[str, Any]:
    """The checked architecture of a stacked hourglass, as both backends build it (``StackedHourglass.config``).

    Raises:
        ValueError: sizes that the architecture cannot take, saying which.
    """
    input_hw, heatmap_hw = geometry.as_hw(input_hw, "input_hw"), geometry.as_hw(heatmap_hw, "heatmap_hw")
    stride = input_hw[0] // heatmap_hw[0]
    if input_hw[0] % heatmap_hw[0] or input_hw[1] != heatmap_hw[1] * stride or stride < 2 or stride & (stride - 1):
        raise ValueError(f"input_hw {input_hw} must be heatmap_hw {heatmap_hw} times one power of 2 "
                         ">= 2 on both axes (e.g. 128x128 input, 16x16 heatmaps)")
    if min(heatmap_hw) < 2 ** depth:
        raise ValueError(f"depth {depth} halves the {heatmap_hw} heatmap below 1 pixel; use depth <= "
                         f"{int(math.log2(min(heatmap_hw)))}")
    if width % 4 or width < 8 or stacks < 1 or num_keypoints < 1:
        raise ValueError("width must be a multiple of 4 (>= 8), stacks and num_keypoints >= 1")
    return {"num_keypoints": num_keypoints, "input_hw": list(input_hw), "heatmap_hw": list(heatmap_hw),
            "precision": precision, "block": block, "width": width, "depth": depth, "stacks": stacks,
            "mean": list(mean), "std": list(std)}


def lr_factor(config: dict, steps_per_epoch: int) -> Callable[[int], float]:
    """Per-step learning-rate factor of ``optim``: linear warm-up, then cosine decay to 0 (or constant)."""
    optim = config["optim"]
    total, warmup = optim["epochs"] * steps_per_epoch, optim["warmup_epochs"] * steps_per_epoch

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if optim["schedule"] == "constant":
            return 1.0
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(total - warmup, 1)))

    return factor


class SampleEncoder:
    """Dataset samples -> transformed, encoded training items, random per (seed, epoch, index).

    ``item(index)`` returns numpy arrays: ``image`` (H, W, 3) uint8, ``heatmaps`` (K, h, w) and
    ``weights`` (K,) float32, and DSNT's ``coords`` (K, 2).
    """

    def __init__(self, dataset, transform, codec, seed: int):
        self.dataset, self.transform, self.codec, self.seed = dataset, transform, codec, seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.dataset)

    def item(self, index: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        sample = self.transform(self.dataset[index], rng)
        target = self.codec.encode(sample["keypoints"][None], sample["visible"][None], rng=rng)
        item = {"image": sample["image"], "heatmaps": target["heatmaps"][0], "weights": target["weights"][0]}
        if "coords" in target:
            item["coords"] = target["coords"][0]
        return item


def improves(metric: str, value: float, best: float | None) -> bool:
    """Whether a validation value beats the best so far (None: nothing yet)."""
    return best is None or (value > best if HIGHER_IS_BETTER[metric] else value < best)


def append_metrics_row(path: Path, row: dict, first: bool) -> None:
    """Add an epoch's row to ``metrics.csv`` (a new file with its header when ``first``)."""
    new = first or not path.exists()
    with open(path, "w" if new else "a", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            out.writeheader()
        out.writerow(row)


class EpochLoop:
    """The epoch loop both training backends share: train, validate, keep the best, checkpoint, log.

    A backend's trainer sets ``config``, ``out_dir``, ``log``, ``metric``, ``skeleton``, ``stream``
    (a :class:`SampleEncoder` or a wrapper with its ``dataset``), ``val_crops``, ``epoch``,
    ``batches_done``, ``best`` and ``history``, names its checkpoint files ``LAST`` and ``BEST``, and
    provides ``_train_epoch(epochs) -> mean loss``, ``validate() -> report``, ``_save(name)``,
    ``_learning_rate()``, ``_open_scalar_writer()`` (None when TensorBoard is absent) and
    ``_write_scalars(writer, row)``.
    """

    LAST: str
    BEST: str

    def fit(self) -> dict[str, float]:
        """Train to the last epoch; returns the final validation report.

        Raises:
            TrainingError: on a non-finite loss (the last good checkpoint is kept) or when the
                batch does not fit in memory.
            KeyboardInterrupt: after saving a resumable ``LAST`` checkpoint.
        """
        self.out_dir.mkdir(parents=True, exist_ok=True)
        recipes.dump(self.config, self.out_dir / "recipe.yaml")
        writer = self._open_scalar_writer()
        epochs = self.config["optim"]["epochs"]
        report: dict[str, float] = {}
        try:
            while self.epoch < epochs:
                started = time.time()
                train_loss = self._train_epoch(epochs)
                train_seconds = time.time() - started
                report = self.validate()
                value = headline(self.metric, report)
                improved = improves(self.metric, value, self.best["value"])
                if improved:
                    self.best = {"value": value, "epoch": self.epoch + 1}
                row = {"epoch": self.epoch + 1, "train_loss": train_loss, "lr": self._learning_rate(),
                       "train_seconds": train_seconds, "seconds": time.time() - started, **report}
                self.history.append(row)
                self.epoch, self.batches_done = self.epoch + 1, 0
                self._save(self.LAST)
                if improved:
                    self._save(self.BEST)
                append_metrics_row(self.out_dir / "metrics.csv", row, first=self.epoch == 1)
                if writer:
                    self._write_scalars(writer, row)
                described = "  ".join(f"{key} {metric_value:.4f}" for key, metric_value in report.items())
                self.log(f"epoch {row['epoch']}/{epochs}  loss {train_loss:.4f}  {described}"
                         f"{'  (best)' if improved else ''}  {row['seconds']:.0f}s")
        except KeyboardInterrupt:
            self._save(self.LAST)
            self.log(f"interrupted at epoch {self.epoch + 1}, batch {self.batches_done}; saved "
                     f"{self.out_dir / self.LAST} - continue with --resume")
            raise
        finally:
            if writer:
                writer.close()
        return report or self.validate()  # a resumed run that had already finished

    def mean_shape_baseline(self, count: int = 1000) -> dict[str, float]:
        """The validation metric of predicting the mean shape of (up to ``count``) training crops."""
        train_crops = crop_all(self.stream.dataset, eval_transform(self.config), limit=count)
        return mean_shape_baseline(train_crops, self.val_crops, self.metric, self.skeleton)
