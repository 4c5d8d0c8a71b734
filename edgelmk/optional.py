"""Lazy imports of optional dependencies, with an error that names the extra to install."""

from __future__ import annotations

import functools
import importlib
from types import ModuleType


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise an ImportError saying which edgelmk extra provides it.

    Args:
        module: importable name, e.g. "cv2" or "pycocotools.coco".
        extra: the edgelmk extra that installs it, e.g. "data".
        purpose: what needs it, for the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{purpose} needs {module.split('.')[0]}: "
                          f"pip install 'edgelmk[{extra}]' -c constraints.txt") from error


@functools.cache
def cv2() -> ModuleType:
    """OpenCV (the data and runtime extras install opencv-python-headless); imported once."""
    return require("cv2", "data", "reading, warping and drawing images")
