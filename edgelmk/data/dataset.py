"""The data pipeline of a recipe: datasets, transforms, codec targets, evaluation crops.

Both training backends (:mod:`edgelmk.backends`) and the export build their data with these
functions, so that they train and are judged on the same samples. Each sample's randomness is
drawn from a generator seeded by ``(seed, epoch, index)`` (:class:`SampleEncoder`).
"""

from __future__ import annotations

import inspect
import multiprocessing
from typing import Any, Callable

import numpy as np

from edgelmk import recipe as recipes
from edgelmk.codecs import CODECS
from edgelmk.data import DATASETS
from edgelmk.data.skeletons import skeleton_from
from edgelmk.data.transforms import AffineCrop, Blur, ColourJitter, Compose, Occluders


def takes_skeleton(dataset_config: dict) -> bool:
    """Whether the dataset class of a config reads its landmark scheme from a ``skeleton`` key."""
    try:
        return "skeleton" in inspect.signature(DATASETS.get(dataset_config["name"])).parameters
    except (KeyError, TypeError):
        return False


def dataset_config(config: dict, side: str) -> dict:
    """The ``data.train`` / ``data.val`` config; validation data without a ``skeleton`` takes training's.

    So a declared scheme is written once, in ``data.train.skeleton``.
    """
    data = dict(config["data"][side])
    train = config["data"]["train"]
    if side == "val" and "skeleton" not in data and "skeleton" in train and takes_skeleton(data):
        data["skeleton"] = train["skeleton"]
    return data


def build_dataset(config: dict, side: str):
    """The ``data.train`` or ``data.val`` dataset, with errors that point at the recipe."""
    return recipes.from_section(f"data.{side}", lambda: DATASETS.build(dataset_config(config, side)),
                                "\nThe recipe's header says how to obtain the dataset and where to put it.")


def build_codec(config: dict):
    return recipes.from_section("codec", lambda: CODECS.build(config["codec"]))


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
    """A dataset's samples loaded once and kept in memory (for small or procedural datasets).

    Args:
        dataset: any dataset (``len``, indexing, ``skeleton``).
        progress: called with 1 after each sample.
        processes: load (render, for procedural faces) in this many processes at once; the samples are the
            same and in the same order as with one.
    """

    def __init__(self, dataset, progress: Callable[[int], Any] | None = None, processes: int = 1):
        self.skeleton = dataset.skeleton
        self.samples = []
        for sample in _load_all(dataset, processes):
            self.samples.append(sample)
            if progress:
                progress(1)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict:
        return self.samples[index]


def _load_all(dataset, processes: int):
    """``dataset[0], dataset[1], ...`` in order, loaded by a pool of ``processes`` processes when more than one."""
    processes = min(processes, len(dataset))
    if processes <= 1:
        yield from (dataset[index] for index in range(len(dataset)))
        return
    with multiprocessing.Pool(processes, _set_worker_dataset, (dataset,)) as pool:
        yield from pool.imap(_worker_sample, range(len(dataset)), chunksize=8)


_worker_dataset = None  # the dataset of a CachedDataset loading process


def _set_worker_dataset(dataset) -> None:
    global _worker_dataset
    _worker_dataset = dataset


def _worker_sample(index: int) -> dict:
    return _worker_dataset[index]


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


def recipe_skeleton(config: dict):
    """The keypoint layout of a recipe's training data, from its ``skeleton`` key or its class, reading no file.

    Raises:
        RecipeError: the declared scheme is malformed, or the dataset takes its layout from its files.
    """
    data = config["data"]["train"]
    if "skeleton" in data:
        return recipes.from_section("data.train.skeleton", lambda: skeleton_from(data["skeleton"]))
    skeleton = getattr(DATASETS.get(data["name"]), "skeleton", None)
    if skeleton is None:
        raise recipes.RecipeError(f"data.train {data['name']!r} takes its layout from its file; add "
                                  "data.train.skeleton (300w, wflw, cofw, aflw, or your own scheme: see "
                                  "`edgelmk ls datasets`)")
    return skeleton


class SampleEncoder:
    """Dataset samples -> transformed, encoded training items, random per (seed, epoch, index).

    ``item(index, epoch)`` returns numpy arrays: ``image`` (H, W, 3) uint8, ``heatmaps`` (K, h, w)
    and ``weights`` (K,) float32, and DSNT's ``coords`` (K, 2). The epoch is an argument, not a
    state, so that data-loading worker processes that live across epochs draw the right samples.
    """

    def __init__(self, dataset, transform, codec, seed: int):
        self.dataset, self.transform, self.codec, self.seed = dataset, transform, codec, seed

    def __len__(self) -> int:
        return len(self.dataset)

    def item(self, index: int, epoch: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, epoch, index])
        sample = self.transform(self.dataset[index], rng)
        target = self.codec.encode(sample["keypoints"][None], sample["visible"][None], rng=rng)
        item = {"image": sample["image"], "heatmaps": target["heatmaps"][0], "weights": target["weights"][0]}
        if "coords" in target:
            item["coords"] = target["coords"][0]
        return item
