"""PyTorch networks, precision presets, losses and torch-side decoders (needs the torch extra)."""

from edgelmk.nn.hourglass import StackedHourglass
from edgelmk.nn.mobile import MobileNet
from edgelmk.registry import Registry

#: the PyTorch class of each architecture of :data:`edgelmk.architecture.ARCHITECTURES`, by the same name
MODELS: Registry = Registry("model")
MODELS.register("hourglass")(StackedHourglass)
MODELS.register("mobile")(MobileNet)

__all__ = ["MODELS", "MobileNet", "StackedHourglass"]
