"""Checkpoints: written atomically, read back with ``torch.load(weights_only=True)``.

A checkpoint holds only tensors and plain values (no pickled code): the resolved recipe, the
model, optimizer and schedule states, the position in training (epoch, batches done), the
best metric so far, the torch RNG state and the edgelmk version.

Atomic (:func:`edgelmk.files.write_atomic`): the file is written under a temporary name in the
same folder, flushed to disk, then renamed over the target, so a crash or ``kill -9`` mid-write
leaves the previous checkpoint intact.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

from edgelmk.errors import CheckpointError, TrainingError
from edgelmk.files import write_atomic
from edgelmk.recipe import without_machine_keys

FORMAT = "edgelmk-checkpoint-1"


def save_atomic(content: dict, path: str | Path) -> Path:
    """Write ``content`` to ``path`` so that readers see either the old file or the whole new one."""
    import torch

    return write_atomic(path, lambda handle: torch.save({"format": FORMAT, **content}, handle))


def check_same_recipe(saved: dict, current: dict, path: Path) -> None:
    """Refuse to resume a run whose checkpoint was trained with another recipe, naming the sections that differ.

    Raises:
        TrainingError
    """
    saved, current = without_machine_keys(saved), without_machine_keys(current)
    if saved == current:
        return
    differing = sorted(key for key in set(saved) | set(current) if saved.get(key) != current.get(key))
    raise TrainingError(f"{path} was trained with a different recipe (sections differ: {', '.join(differing)}); "
                        "resume with the same recipe and --set values, or start a new --out folder")


def load(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint on the CPU without executing pickled code.

    Raises:
        CheckpointError: missing, truncated or corrupt files, or files that are not edgelmk
            checkpoints.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found")
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError, OSError) as error:
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated or corrupt?): "
                              f"{str(error).splitlines()[0]}") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an edgelmk checkpoint (expected format {FORMAT!r})")
    return content
