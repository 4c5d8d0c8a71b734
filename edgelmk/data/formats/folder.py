"""Your own labelled photos: a folder of images, each with a ``.pts`` file of the same name beside it.

::

    my_faces/
        0001.jpg  0001.pts
        0002.png  0002.pts
        holiday/0003.jpg  holiday/0003.pts     (sub-folders are read too)

Every ``.pts`` (the iBUG format of :func:`edgelmk.data.formats.w300.read_pts`, 1-based) holds the
same number of points, in the order of the landmark scheme declared in the recipe
(``skeleton``: a built-in name or your own mapping, see
:func:`edgelmk.data.skeletons.skeleton_from`). Each ``.pts`` needs its image and each image its
``.pts``; a point list of another length is reported with the file it is in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from edgelmk.data.formats.common import IMAGE_SUFFIXES, AnnotationDataset, DatasetError, Problem, guarded
from edgelmk.data.formats.w300 import pts_record
from edgelmk.data.skeletons import skeleton_from


class PtsFolder(AnnotationDataset):
    """Images with a ``.pts`` beside each, any number of points (see the module docstring).

    Args:
        root: the folder (searched recursively).
        skeleton: the landmark scheme the files follow: 300w, wflw, cofw, aflw, or a declared mapping.
        strict: see :class:`AnnotationDataset`.
    """

    summary = "your own photos: a folder of images with a .pts beside each (any points; declare skeleton)"

    def __init__(self, root: str, skeleton: str | dict, strict: bool = True):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetError(f"pts_folder root {self.root} is not a folder of images with .pts files")
        super().__init__(skeleton_from(skeleton), strict)

    def describe_source(self) -> str:
        return f"no .pts files under {self.root}"

    def _index(self) -> Iterator[dict | Problem]:
        annotated = set()
        for pts in sorted(self.root.rglob("*.pts")):
            annotated.add(pts.with_suffix(""))
            yield guarded(str(pts), "", lambda pts=pts: pts_record(pts))
        for image in sorted(path for path in self.root.rglob("*") if path.suffix.lower() in IMAGE_SUFFIXES):
            if image.with_suffix("") not in annotated:
                yield Problem(str(image), "", f"no annotation beside it ({image.stem}.pts); label it or move it "
                                              "out of the folder")
