"""Network architectures as plain, checked configs: what both training backends build.

numpy only. :data:`ARCHITECTURES` maps a recipe's ``model.name`` to a function that checks
the recipe's model keys and returns the architecture config every backend builds from
(:class:`edgelmk.nn.hourglass.StackedHourglass`, :func:`edgelmk.keras.hourglass.build_hourglass`)
and that exports store in their sidecar. :func:`stem_blocks` is the one sizing plan of the
hourglass stem that both backends follow layer for layer.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from edgelmk import geometry
from edgelmk.recipe import from_section
from edgelmk.registry import Registry

#: per-channel RGB normalisation of 0..1 pixels that the networks apply first (exported models take raw pixels)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: precision -> in words (w8a8: 8-bit weights and activations; w1a1: binarized convolutions, float stem and heads)
PRECISIONS = {"fp32": "float", "w8a8": "Brevitas int8", "w1a1": "binarized"}
#: the precisions the Keras mirror builds (TFLite / LCE export, the Larq backend); w8a8 is Brevitas, PyTorch only
KERAS_PRECISIONS = ("fp32", "w1a1")
#: residual blocks: bottleneck (1x1-3x3-1x1) or hpm (Bulat & Tzimiropoulos, ICCV 2017)
BLOCKS = ("bottleneck", "hpm")

ARCHITECTURES: Registry = Registry("model")


@ARCHITECTURES.register("hourglass")
def hourglass_config(num_keypoints: int, input_hw: Sequence[int], heatmap_hw: Sequence[int], precision: str = "w1a1",
                     block: str = "hpm", width: int = 128, depth: int = 3, stacks: int = 1,
                     mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD) -> dict[str, Any]:
    """The checked architecture of a stacked hourglass (Newell et al., https://arxiv.org/abs/1603.06937).

    Args:
        num_keypoints: K, one output map each.
        input_hw: (H, W) of the input images, pixels.
        heatmap_hw: (h, w) of the output maps; H / h and W / w must be one power of 2 (>= 2).
        precision: one of :data:`PRECISIONS`.
        block: one of :data:`BLOCKS`.
        width: channels inside the hourglasses (a multiple of 32 suits binary kernels).
        depth: halvings inside each hourglass (the smallest map is h / 2**depth).
        stacks: number of hourglasses (intermediate supervision after each).
        mean, std: per-channel RGB normalisation of 0..1 pixels.

    Raises:
        ValueError: sizes or names the architecture cannot take, saying which.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; choose one of {', '.join(BLOCKS)}")
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


hourglass_config.summary = "stacked hourglass (Newell et al.) with bottleneck or hpm blocks, fp32/w8a8/w1a1"


def stem_channels(config: dict[str, Any]) -> int:
    """Channels of the stem's first (strided 5x5) convolution."""
    return max(config["width"] // 4, 16)


def stem_blocks(config: dict[str, Any]) -> list[tuple[int, int]]:
    """(in, out) channels of the residual blocks after the stem's first convolution.

    The stem halves the input once in its strided convolution and once in a 2x2 max pool after
    each block but the last, so that the hourglasses work at heatmap resolution.
    """
    halvings = int(math.log2(config["input_hw"][0] // config["heatmap_hw"][0]))
    width, channels, blocks = config["width"], stem_channels(config), []
    for halving in range(halvings - 1):
        out = width if halving == halvings - 2 else max(width // 2, channels)
        blocks.append((channels, out))
        channels = out
    return blocks + [(channels, width)]


#: ``model`` keys that say how to train the network, not what it is
TRAINING_KEYS = ("backend", "init_from")


def model_architecture(config: dict, num_keypoints: int) -> dict[str, Any]:
    """The architecture config of a resolved recipe's ``model`` section for ``num_keypoints``.

    Raises:
        RecipeError: naming the ``model`` key that is unknown or of a value the architecture cannot take.
    """
    model = {key: value for key, value in config["model"].items() if key not in TRAINING_KEYS}
    model.update(num_keypoints=num_keypoints, input_hw=config["data"]["input_hw"],
                 heatmap_hw=config["codec"]["heatmap_hw"])
    return from_section("model", lambda: ARCHITECTURES.build(model))
