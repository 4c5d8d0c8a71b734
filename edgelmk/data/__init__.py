"""Datasets: native and COCO-style readers, procedural data, skeletons, transforms.

``DATASETS.build({"name": "coco", "ann_file": FILE, "root": IMAGE_DIR})`` returns a sized,
indexable dataset of sample dicts (see :mod:`edgelmk.data.formats.common`). Importing this
package needs numpy only; OpenCV, pycocotools and scipy are imported when used.
"""

from edgelmk.data.formats import (
    CocoFace,
    CocoKeypoints,
    Mpii,
    Native300W,
    NativeAFLW,
    NativeCOFW,
    NativeWFLW,
    PtsFolder,
    read_pts,
)
from edgelmk.data.formats.common import DatasetError
from edgelmk.data.synthetic import SyntheticFaces, SyntheticPose
from edgelmk.registry import Registry

DATASETS: Registry = Registry("dataset")
for _name, _cls in {"300w": Native300W, "wflw": NativeWFLW, "cofw": NativeCOFW, "aflw": NativeAFLW, "mpii": Mpii,
                    "coco": CocoKeypoints, "coco_face": CocoFace, "pts_folder": PtsFolder, "synthetic_faces": SyntheticFaces,
                    "synthetic_pose": SyntheticPose}.items():
    DATASETS.register(_name)(_cls)

__all__ = ["DATASETS", "DatasetError", "read_pts"]
