"""Dataset health checks and sample grids, behind ``edgelmk data check`` and ``edgelmk data show``."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from edgelmk.data.formats.common import DatasetError, Problem
from edgelmk.data.transforms import AffineCrop
from edgelmk.viz import draw_keypoints

FAR_OUTSIDE = 0.1  # a visible keypoint beyond 10% of the image size outside it is a problem


def check_sample(sample: dict) -> list[str]:
    """What is wrong with one loaded sample (empty when nothing)."""
    height, width = sample["image"].shape[:2]
    keypoints, visible = sample["keypoints"], sample["visible"] > 0
    margin = FAR_OUTSIDE * max(height, width)
    outside = visible & ((keypoints[:, 0] < -margin) | (keypoints[:, 0] > width + margin)
                         | (keypoints[:, 1] < -margin) | (keypoints[:, 1] > height + margin))
    if outside.any():
        indices = np.flatnonzero(outside).tolist()
        shown = ", ".join(map(str, indices[:5])) + (", ..." if len(indices) > 5 else "")
        return [f"{len(indices)} visible keypoint(s) ({shown}) lie far outside the {width}x{height} image"]
    return []


def _check_index(dataset: Any, index: int) -> tuple[list[Problem], tuple[float, float] | None]:
    """Problems of one sample, and its box (w, h) when it loaded."""
    record = dataset.records[index] if hasattr(dataset, "records") else {}
    source = record.get("annotation_path", record.get("image_path", f"sample {index}"))
    try:
        sample = dataset[index]
    except DatasetError as error:
        return [Problem(source, record.get("record", ""), str(error))], None
    x0, y0, x1, y1 = sample["bbox"]
    return [Problem(source, record.get("record", ""), message) for message in check_sample(sample)], (x1 - x0, y1 - y0)


def check_dataset(dataset: Any, progress: Callable[[int], Any] | None = None) -> tuple[dict, list[Problem]]:
    """Load every sample; return statistics and every problem (indexing problems included).

    Args:
        dataset: an edgelmk dataset (``problems`` from indexing are included when present).
        progress: called with 1 after each sample (e.g. a progress bar's ``update``).
    """
    problems = list(getattr(dataset, "problems", []))
    sizes = []
    for index in range(len(dataset)):
        found, size = _check_index(dataset, index)
        problems.extend(found)
        if size is not None:
            sizes.append(size)
        if progress:
            progress(1)
    sizes = np.array(sizes, dtype=np.float64).reshape(-1, 2)
    stats = {"samples": len(dataset), "loaded": len(sizes), "keypoints": dataset.skeleton.num_keypoints}
    if len(sizes):
        stats["box_width"] = (sizes[:, 0].min(), sizes[:, 0].mean(), sizes[:, 0].max())
        stats["box_height"] = (sizes[:, 1].min(), sizes[:, 1].mean(), sizes[:, 1].max())
    return stats, problems


def sample_grid(dataset: Any, count: int, tile_hw: tuple[int, int] = (256, 256), seed: int = 0,
                columns: int = 4) -> np.ndarray:
    """An RGB grid of ``count`` samples, each cropped to its box with keypoints and lines drawn."""
    rng = np.random.default_rng(seed)
    indices = rng.choice(len(dataset), size=min(count, len(dataset)), replace=False)
    crop = AffineCrop(tile_hw, margin=0.3)
    tiles = []
    for index in sorted(indices):
        sample = crop(dataset[int(index)], rng)
        tiles.append(draw_keypoints(sample["image"], sample["keypoints"], sample["visible"], dataset.skeleton))
    rows = -(-len(tiles) // columns)
    tiles += [np.zeros_like(tiles[0])] * (rows * columns - len(tiles))
    return np.vstack([np.hstack(tiles[r * columns:(r + 1) * columns]) for r in range(rows)])
