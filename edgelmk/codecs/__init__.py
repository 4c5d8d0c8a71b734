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
CODECS.register("gaussian")(GaussianCodec)
CODECS.register("h3r")(H3RCodec)
CODECS.register("dsnt")(DSNTCodec)

__all__ = ["CODECS", "Codec", "DSNTCodec", "GaussianCodec", "H3RCodec"]
