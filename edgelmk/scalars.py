"""TensorBoard scalars of a training run, written with tensorboardX (no TensorFlow needed).

Both training backends log through :func:`open_scalar_writer`: one event file per run under
``OUT/tensorboard/``, one scalar per metrics.csv column and epoch (``tensorboard --logdir OUT``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable


class ScalarWriter:
    """Epoch rows -> TensorBoard scalars (the ``epoch`` column is the step)."""

    def __init__(self, folder: Path):
        from tensorboardX import SummaryWriter

        self._writer = SummaryWriter(str(folder))

    def write(self, row: dict[str, Any]) -> None:
        for key, value in row.items():
            if key != "epoch":
                self._writer.add_scalar(key, float(value), row["epoch"])
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


def open_scalar_writer(folder: Path, log: Callable[[str], Any]) -> ScalarWriter | None:
    """A writer into ``folder``, or None (said through ``log``) when tensorboardX is not installed."""
    try:
        return ScalarWriter(folder)
    except ImportError:
        log("tensorboardX is not installed; logging to metrics.csv only (pip install tensorboardX)")
        return None
