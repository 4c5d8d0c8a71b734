"""Torch-free runtime: exported model + ``model.json`` -> keypoints (numpy, OpenCV, one interpreter).

Never imports torch or tensorflow (a test checks it), so it installs on a Raspberry Pi with
``pip install 'edgelmk[runtime]'``.
"""

from edgelmk.runtime.model import LandmarkModel
from edgelmk.runtime.sidecar import SidecarError

__all__ = ["LandmarkModel", "SidecarError"]
