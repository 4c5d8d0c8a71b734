"""The training losses by name: their recipe keys, defaults and checks (numpy only).

A recipe's ``loss`` section names one of :data:`LOSSES` (default: the codec's
``default_loss``) with its options. Each training backend computes the same losses from these
specs: :mod:`edgelmk.nn.losses` (PyTorch) and :mod:`edgelmk.keras.losses` (TensorFlow), tested
equal on the same numbers. ``edgelmk validate`` checks a ``loss`` section here without
importing either framework.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from edgelmk.codecs import CODECS
from edgelmk.recipe import from_section
from edgelmk.registry import Registry

LOSSES: Registry = Registry("loss")


@dataclass(frozen=True)
class LossSpec:
    """A loss and its options; ``codec`` is the codec whose targets it is made for."""

    name: ClassVar[str]
    summary: ClassVar[str]
    codec: ClassVar[str]

    def options(self) -> dict[str, Any]:
        """The keyword arguments of the backends' implementations."""
        return asdict(self)


@LOSSES.register("heatmap_mse")
@dataclass(frozen=True)
class HeatmapMSE(LossSpec):
    """Masked MSE to Gaussian heatmaps (mean over pixels, then over keypoints)."""

    summary = "masked mean squared error to Gaussian target heatmaps (gaussian codec)"
    codec = "gaussian"


@LOSSES.register("h3r_cross_entropy")
@dataclass(frozen=True)
class H3RCrossEntropy(LossSpec):
    """Spatial cross-entropy between the softmax over pixels and the randomized-rounding target."""

    summary = "spatial softmax cross-entropy to the randomized-rounding target (h3r codec)"
    codec = "h3r"


@LOSSES.register("dsnt")
@dataclass(frozen=True)
class DSNTLoss(LossSpec):
    """Euclidean loss on soft-argmax coordinates + ``regularization`` x Jensen-Shannon to the Gaussian target.

    Args:
        regularization: weight of the JS term (dsntnn's examples use 1), >= 0.
    """

    summary = "DSNT: Euclidean loss on soft-argmax coordinates + Jensen-Shannon regularizer (dsnt codec)"
    codec = "dsnt"
    regularization: float = 1.0

    def __post_init__(self):
        if isinstance(self.regularization, bool) or not isinstance(self.regularization, (int, float)) \
                or self.regularization < 0:
            raise ValueError(f"regularization must be >= 0, got {self.regularization!r}")


def loss_spec(config: dict) -> LossSpec:
    """The loss of a resolved recipe: its ``loss`` section over the codec's default loss.

    Raises:
        RecipeError: naming the ``loss`` key that is unknown or wrong.
    """
    return from_section("loss", lambda: LOSSES.build({"name": CODECS.get(config["codec"]["name"]).default_loss,
                                                       **config["loss"]}))
