"""Torch-free runtime: exported model + ``model.json`` -> keypoints (numpy, OpenCV, one interpreter).

Never imports torch or tensorflow (a test checks it), so it installs on a Raspberry Pi with
``pip install 'edgelmk[runtime]'``. :class:`LandmarkModel` predicts in a given box;
:class:`Pipeline` finds the faces first (``detectors``), and follows them on video.
"""

from edgelmk.runtime.model import LandmarkModel
from edgelmk.runtime.pipeline import Face, Pipeline
from edgelmk.runtime.sidecar import SidecarError

__all__ = ["Face", "LandmarkModel", "Pipeline", "SidecarError"]
