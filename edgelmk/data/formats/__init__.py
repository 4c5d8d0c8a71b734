"""One reader per dataset format; each returns sample dicts (see :mod:`.common`)."""

from edgelmk.data.formats.aflw import NativeAFLW
from edgelmk.data.formats.coco import CocoFace, CocoKeypoints
from edgelmk.data.formats.cofw import NativeCOFW
from edgelmk.data.formats.folder import PtsFolder
from edgelmk.data.formats.mpii import Mpii
from edgelmk.data.formats.w300 import Native300W, read_pts, write_pts
from edgelmk.data.formats.wflw import NativeWFLW

__all__ = ["CocoFace", "CocoKeypoints", "Mpii", "Native300W", "NativeAFLW", "NativeCOFW", "NativeWFLW", "PtsFolder", "read_pts",
           "write_pts"]
