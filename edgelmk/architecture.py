"""Network architectures as plain, checked configs: what both training backends build.

numpy only. :data:`ARCHITECTURES` maps a recipe's ``model.name`` to a function that checks
the recipe's model keys and returns the architecture config every backend builds from
(:class:`edgelmk.nn.hourglass.StackedHourglass`, :func:`edgelmk.keras.hourglass.build_hourglass`)
and that exports store in their sidecar. :func:`stem_blocks` is the one sizing plan of the
hourglass stem that both backends follow layer for layer.
"""

from __future__ import annotations

import inspect
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
#: what may follow a w1a1 binary convolution: nothing, or ReActNet's RPReLU (Liu et al., ECCV 2020)
BINARY_ACTIVATIONS = ("none", "rprelu")

#: the precisions the mobile network trains in (its int8 model is the export's post-training quantization)
MOBILE_PRECISIONS = ("fp32",)
#: channels of the mobile network's first (strided 3x3) convolution
MOBILE_STEM_CHANNELS = 16

ARCHITECTURES: Registry = Registry("model")


def _checked_sizes(input_hw: Sequence[int], heatmap_hw: Sequence[int], depth: int) -> tuple[tuple, tuple]:
    """(input_hw, heatmap_hw) as tuples; ValueError unless input = heatmap x one power of 2 and depth fits."""
    input_hw, heatmap_hw = geometry.as_hw(input_hw, "input_hw"), geometry.as_hw(heatmap_hw, "heatmap_hw")
    stride = input_hw[0] // heatmap_hw[0]
    if input_hw[0] % heatmap_hw[0] or input_hw[1] != heatmap_hw[1] * stride or stride < 2 or stride & (stride - 1):
        raise ValueError(f"input_hw {input_hw} must be heatmap_hw {heatmap_hw} times one power of 2 "
                         ">= 2 on both axes (e.g. 128x128 input, 16x16 heatmaps)")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1 or min(heatmap_hw) < 2 ** depth:
        raise ValueError(f"depth {depth!r} halves the {heatmap_hw} heatmap below 1 pixel or is not a count; use "
                         f"an integer depth from 1 to {int(math.log2(min(heatmap_hw)))}")
    return input_hw, heatmap_hw


@ARCHITECTURES.register("hourglass")
def hourglass_config(num_keypoints: int, input_hw: Sequence[int], heatmap_hw: Sequence[int], precision: str = "w1a1",
                     block: str = "hpm", width: int = 128, depth: int = 3, stacks: int = 1,
                     binary_activation: str = "none", binary_shortcut: bool = False, binary_weights: bool = True,
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
        binary_activation: what follows each binary conv, one of :data:`BINARY_ACTIVATIONS` (``rprelu``:
            ReActNet's RPReLU).
        binary_shortcut: add each binary unit's real-valued input to its output where the shapes agree (Bi-Real,
            :func:`shortcut_fits`).
        binary_weights: false keeps the weights real with binary activations (step one of the two-step schedule).
        mean, std: per-channel RGB normalisation of 0..1 pixels.

    The three binary options change w1a1's binary convolutions; other precisions have none, and
    their configs hold the defaults (so an fp32 teacher of a binary recipe needs only
    ``--set model.precision=fp32``).

    Raises:
        ValueError: sizes or names the architecture cannot take, saying which.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; choose one of {', '.join(BLOCKS)}")
    input_hw, heatmap_hw = _checked_sizes(input_hw, heatmap_hw, depth)
    if width % 4 or width < 8 or stacks < 1 or num_keypoints < 1:
        raise ValueError("width must be a multiple of 4 (>= 8), stacks and num_keypoints >= 1")
    if binary_activation not in BINARY_ACTIVATIONS:
        raise ValueError(f"unknown binary_activation {binary_activation!r}; choose one of "
                         f"{', '.join(BINARY_ACTIVATIONS)}")
    if not isinstance(binary_shortcut, bool) or not isinstance(binary_weights, bool):
        raise ValueError("binary_shortcut and binary_weights are true or false")
    if precision != "w1a1":
        binary_activation, binary_shortcut, binary_weights = "none", False, True
    return {"num_keypoints": num_keypoints, "input_hw": list(input_hw), "heatmap_hw": list(heatmap_hw),
            "precision": precision, "block": block, "width": width, "depth": depth, "stacks": stacks,
            "binary_activation": binary_activation, "binary_shortcut": binary_shortcut,
            "binary_weights": binary_weights, "mean": list(mean), "std": list(std)}


hourglass_config.summary = "stacked hourglass (Newell et al.) with bottleneck or hpm blocks, fp32/w8a8/w1a1"
hourglass_config.int8_per_channel = True


def binary_options(config: dict[str, Any]) -> dict[str, Any]:
    """The w1a1 unit options of a hourglass config: binary_activation, binary_shortcut, binary_weights
    (their defaults for configs written before they existed)."""
    defaults = recipe_defaults("hourglass")
    return {key: config.get(key, defaults[key]) for key in ("binary_activation", "binary_shortcut", "binary_weights")}


def shortcut_fits(in_channels: int, out_channels: int, stride: int) -> bool:
    """Whether a w1a1 unit gets ``binary_shortcut``'s real-valued shortcut: where input and output shapes agree."""
    return in_channels == out_channels and stride == 1


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


@ARCHITECTURES.register("mobile")
def mobile_config(num_keypoints: int, input_hw: Sequence[int], heatmap_hw: Sequence[int], precision: str = "fp32",
                  width: int = 64, expansion: int = 4, depth: int = 2, blocks: int = 1,
                  mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD) -> dict[str, Any]:
    """The checked architecture of the int8-first mobile network (:class:`edgelmk.nn.mobile.MobileNet`).

    Inverted-residual blocks (MobileNetV2, Sandler et al., https://arxiv.org/abs/1801.04381:
    1x1 expansion, 3x3 depthwise, linear 1x1 projection) with ReLU6, every convolution followed
    by its batch norm so that export folds them; an encoder-decoder of ``depth`` halvings
    below the heatmap resolution gives each keypoint the context of the whole face.

    Args:
        num_keypoints: K, one output map each.
        input_hw: (H, W) of the input images, pixels.
        heatmap_hw: (h, w) of the output maps; H / h and W / w must be one power of 2 (>= 2).
        precision: ``fp32``; int8 comes from the export (``--int8``, post-training quantization).
        width: channels at heatmap resolution and below (a multiple of 8 suits XNNPACK's int8 kernels).
        expansion: hidden channels of a block per input channel.
        depth: halvings of the encoder-decoder (its smallest map is h / 2**depth).
        blocks: inverted-residual blocks at heatmap resolution before the encoder-decoder.
        mean, std: per-channel RGB normalisation of 0..1 pixels.

    Raises:
        ValueError: sizes or names the architecture cannot take, saying which.
    """
    if precision not in MOBILE_PRECISIONS:
        raise ValueError(f"the mobile network trains in {', '.join(MOBILE_PRECISIONS)} (got {precision!r}); its int8 "
                         "model comes from the export: edgelmk export CHECKPOINT --target tflite --int8")
    input_hw, heatmap_hw = _checked_sizes(input_hw, heatmap_hw, depth)
    for key, value, low in (("width", width, 8), ("expansion", expansion, 1), ("blocks", blocks, 0),
                            ("num_keypoints", num_keypoints, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{key} must be an integer >= {low}, got {value!r}")
    if width % 8:
        raise ValueError(f"width must be a multiple of 8 (XNNPACK's int8 kernels), got {width}")
    if any(size % 2 ** depth for size in heatmap_hw):
        raise ValueError(f"depth {depth} halves the {heatmap_hw} heatmap to an odd size on the way down; the mobile "
                         f"network needs heatmap sides divisible by 2**depth = {2 ** depth}")
    return {"num_keypoints": num_keypoints, "input_hw": list(input_hw), "heatmap_hw": list(heatmap_hw),
            "precision": precision, "width": width, "expansion": expansion, "depth": depth, "blocks": blocks,
            "mean": list(mean), "std": list(std)}


mobile_config.summary = "int8-first mobile network: inverted residuals (MobileNetV2) with ReLU6, encoder-decoder"
# One int8 scale per weight tensor: per-channel scales and zero points (12 bytes per output channel in
# TFLite) would be a third of this small network's int8 file, for 0.4% lower NME (mobile_quickstart).
mobile_config.int8_per_channel = False


def mobile_stem(config: dict[str, Any]) -> list[tuple[int, int]]:
    """(in, out) channels of the strided inverted-residual blocks from the stem's conv to heatmap resolution."""
    halvings = int(math.log2(config["input_hw"][0] // config["heatmap_hw"][0]))
    channels, width, steps = MOBILE_STEM_CHANNELS, config["width"], []
    for step in range(halvings - 1):
        out = width if step == halvings - 2 else max(width // 2, channels)
        steps.append((channels, out))
        channels = out
    return steps


def int8_per_channel(name: str) -> bool:
    """Whether the int8 exports of architecture ``name`` quantize weights per output channel (else per tensor)."""
    return ARCHITECTURES.get(name).int8_per_channel


def recipe_defaults(name: Any) -> dict[str, Any]:
    """The ``model`` keys a recipe of architecture ``name`` gets when it leaves them out ({} for unknown names).

    The architecture function's own defaults, without the normalisation constants (mean, std).
    """
    if not isinstance(name, str) or name not in ARCHITECTURES.names():
        return {}
    parameters = inspect.signature(ARCHITECTURES.get(name)).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not p.empty and p.name not in ("mean", "std")}


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
