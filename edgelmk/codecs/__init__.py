"""Heatmap codecs: keypoints <-> training targets and network output.

numpy only: importable without torch or tensorflow (the deployment runtime uses it).

>>> from edgelmk.codecs import CODECS
>>> codec = CODECS.build({"name": "h3r", "input_hw": [256, 256], "heatmap_hw": [16, 16]})
"""

from edgelmk.codecs.base import Codec
from edgelmk.codecs.dsnt import DSNTCodec
from edgelmk.codecs.gaussian import GaussianCodec
from edgelmk.codecs.h3r import H3RCodec
from edgelmk.registry import Registry

CODECS: Registry[Codec] = Registry("codec")
#: the activation a network's raw maps go through before ``decode`` (and that exported models end with):
#: H3R is trained with spatial cross-entropy, so its maps are spatial-softmax probabilities
OUTPUT_ACTIVATIONS = {"gaussian": "none", "h3r": "spatial_softmax", "dsnt": "none"}
CODECS.register("gaussian")(GaussianCodec)
CODECS.register("h3r")(H3RCodec)
CODECS.register("dsnt")(DSNTCodec)

__all__ = ["CODECS", "OUTPUT_ACTIVATIONS", "Codec", "DSNTCodec", "GaussianCodec", "H3RCodec"]
