"""Checkpoints of the Keras + Larq backend: one ``.larq.npz`` file, written atomically.

Contents: ``state`` (JSON: the resolved recipe, model config, position in training, best
metric, history, weight names), the model's weights (latent float kernels, batch-norm
statistics) and the optimizer's variables, as numpy arrays. No pickled code: it is read with
``allow_pickle=False``. Atomic like the PyTorch checkpoints: written under a temporary name,
flushed, then renamed over the target.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from edgelmk.checkpoint import CheckpointError
from edgelmk.files import write_atomic

FORMAT = "edgelmk-larq-checkpoint-1"


def save_atomic(path: str | Path, state: dict[str, Any], weights: list[np.ndarray],
                optimizer: list[np.ndarray]) -> Path:
    """Write a checkpoint so that readers see either the old file or the whole new one."""
    arrays = {"state": np.frombuffer(json.dumps({"format": FORMAT, **state}).encode(), dtype=np.uint8)}
    arrays.update({f"weight_{i:05d}": value for i, value in enumerate(weights)})
    arrays.update({f"optimizer_{i:05d}": value for i, value in enumerate(optimizer)})
    return write_atomic(path, lambda handle: np.savez(handle, **arrays))


def load(path: str | Path) -> tuple[dict[str, Any], list[np.ndarray], list[np.ndarray]]:
    """(state, model weights, optimizer variables) of a checkpoint.

    Raises:
        CheckpointError: missing, truncated or foreign files.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found")
    try:
        with np.load(path, allow_pickle=False) as content:
            state = json.loads(content["state"].tobytes().decode())
            weights = [content[key] for key in sorted(k for k in content.files if k.startswith("weight_"))]
            optimizer = [content[key] for key in sorted(k for k in content.files if k.startswith("optimizer_"))]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise CheckpointError(f"{path} is not a readable Larq checkpoint (truncated or corrupt?): "
                              f"{str(error).splitlines()[0]}") from None
    if state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an edgelmk Larq checkpoint (expected format {FORMAT!r})")
    return state, weights, optimizer
