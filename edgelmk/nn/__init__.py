"""PyTorch networks, precision presets, losses and torch-side decoders (needs the torch extra)."""

from edgelmk.nn.hourglass import StackedHourglass
from edgelmk.registry import Registry

MODELS: Registry = Registry("model")
StackedHourglass.summary = "stacked hourglass (Newell et al.) with bottleneck or hpm blocks, fp32/w8a8/w1a1"
MODELS.register("hourglass")(StackedHourglass)

__all__ = ["MODELS", "StackedHourglass"]
