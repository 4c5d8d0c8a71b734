"""Reading MATLAB files of both kinds: v5/v7 (scipy) and v7.3 (HDF5, h5py).

MATLAB stores arrays column-major; h5py therefore sees every v7.3 matrix transposed, and
:func:`load_mat` transposes them back so both kinds give the same shapes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edgelmk import optional
from edgelmk.data.formats.common import DatasetError


def is_hdf5(path: Path) -> bool:
    """MATLAB v7.3 files are HDF5 files (their 512-byte header is followed by the HDF5 signature)."""
    with open(path, "rb") as handle:
        return handle.read(1024)[512:520] == b"\x89HDF\r\n\x1a\n"


def load_mat(path: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    """Numeric arrays ``keys`` of a .mat file (v5 or v7.3), in MATLAB's shapes.

    Cell arrays of images are returned as a lazy :class:`HDF5Images` for v7.3 files and as an
    object array for v5 files.

    Raises:
        DatasetError: naming the file and the missing keys, or when the file is not MATLAB.
    """
    try:
        if is_hdf5(path):
            h5py = optional.require("h5py", "data", "reading MATLAB v7.3 files")
            handle = h5py.File(path, "r")
            missing = [key for key in keys if key not in handle]
            if missing:
                raise DatasetError(f"{path}: missing {', '.join(missing)}; found {', '.join(handle.keys())}")
            return {key: HDF5Images(handle, handle[key]) if handle[key].dtype == h5py.ref_dtype else handle[key][()].T
                    for key in keys}
        content = optional.require("scipy.io", "data", "reading MATLAB files").loadmat(str(path))
    except DatasetError:
        raise
    except (OSError, ValueError, TypeError, NotImplementedError) as error:
        raise DatasetError(f"{path}: not a readable MATLAB file: {error}") from None
    missing = [key for key in keys if key not in content]
    if missing:
        found = ", ".join(key for key in content if not key.startswith("__"))
        raise DatasetError(f"{path}: missing {', '.join(missing)}; found {found}")
    return {key: content[key] for key in keys}


class HDF5Images:
    """A v7.3 cell array of images, read one at a time: ``images[i]`` is (H, W) or (H, W, 3)."""

    def __init__(self, handle: Any, references: Any):
        self.handle = handle
        self.references = references[()].reshape(-1)

    def __len__(self) -> int:
        return len(self.references)

    def __getitem__(self, index: int) -> np.ndarray:
        return np.asarray(self.handle[self.references[index]][()]).T
