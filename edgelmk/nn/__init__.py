"""PyTorch networks, precision presets, losses and torch-side decoders (needs the torch extra)."""

from edgelmk.nn.hourglass import StackedHourglass
from edgelmk.registry import Registry

#: the PyTorch class of each architecture of :data:`edgelmk.architecture.ARCHITECTURES`, by the same name
MODELS: Registry = Registry("model")
MODELS.register("hourglass")(StackedHourglass)

__all__ = ["MODELS", "StackedHourglass"]
