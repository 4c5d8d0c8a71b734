"""Progress bars for long work (tqdm on stderr, hidden when stderr is not a terminal, e.g. CI logs, and on
every process of a multi-process run but the first)."""

from __future__ import annotations

from edgelmk.processes import is_main_process


def progress_bar(total: int, description: str, unit: str = "sample", initial: int = 0):
    """A tqdm bar to use as a context manager; ``bar.update`` is the per-item callback."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=unit, initial=initial, leave=False,
                disable=None if is_main_process() else True)
