"""Files written atomically: checkpoints, calibration files, cached detector models.

The content goes to a temporary file beside the target, is flushed to disk, then renamed over
the target (``os.replace``), so a crash or ``kill -9`` mid-write leaves the previous file intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO, Callable


def write_atomic(path: str | Path, write: Callable[[BinaryIO], Any]) -> Path:
    """Call ``write(handle)`` on a temporary file beside ``path``, flush it to disk, rename it over ``path``.

    Readers see either the old file or the whole new one, whatever happens in between.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
