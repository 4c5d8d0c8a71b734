"""The Keras mirror of each PyTorch architecture (by the recipe's ``model.name``)."""

from __future__ import annotations

from typing import Any

from edgelmk.keras.hourglass import build_hourglass
from edgelmk.keras.layers import keras
from edgelmk.keras.mobile import build_mobile

#: architecture name (:data:`edgelmk.architecture.ARCHITECTURES`) -> Keras builder
#: ``(config, output_activation, all_stacks) -> keras.Model``
MIRRORS = {"hourglass": build_hourglass, "mobile": build_mobile}


def build_mirror(architecture: str, config: dict[str, Any], output_activation: str = "none",
                 all_stacks: bool = False) -> keras.Model:
    """The Keras model of ``architecture`` with a PyTorch model's ``config`` (NHWC, RGB 0..255 input).

    Raises:
        ValueError: for an architecture without a Keras mirror.
    """
    if architecture not in MIRRORS:
        raise ValueError(f"the {architecture!r} architecture has no Keras mirror (TFLite / LCE export); mirrored: "
                         f"{', '.join(MIRRORS)}")
    return MIRRORS[architecture](config, output_activation, all_stacks)
