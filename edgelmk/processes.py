"""Training in several processes (``torchrun``): who this process is, and how a batch is shared.

``torchrun --nproc_per_node N -m edgelmk train ...`` starts N copies of the trainer and tells
each its place in the environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``); :func:`launch_of`
reads it. Every process computes the same epoch order (seeded by (seed, epoch)) and takes its
share of each batch, so that an N-process run trains on the same samples, with the same
augmentations (seeded by (seed, epoch, index)), as one process:

    one optimizer step = ``data.batch_size`` samples (the global batch)
                       = ``world_size`` shares (one per process)
                       = ``world_size x accumulate`` micro-batches of ``data.micro_batch_size``

Process ``r`` takes micro-batches ``r * accumulate ... (r + 1) * accumulate - 1`` of each step, in
order. Batch norm sees one micro-batch at a time, so two runs with the same ``batch_size`` and
``micro_batch_size`` do the same arithmetic whatever their number of processes (up to the order
of float sums); ``micro_batch_size: 0`` means a process's whole share (what plain DDP does).

This module is torch-free; the PyTorch side is :mod:`edgelmk.backends.torch_distributed`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from edgelmk.errors import TrainingError


@dataclass(frozen=True)
class Launch:
    """This process's place in a (possibly one-process) run.

    Attributes:
        rank: 0 .. world_size - 1 over all machines; rank 0 writes files and logs.
        local_rank: the index on this machine (its GPU: ``cuda:<local_rank>``).
        world_size: the number of processes.
    """

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this is the process that shows progress, logs and writes files (rank 0)."""
        return self.rank == 0


def launch_of(environment: Mapping[str, str] | None = None) -> Launch:
    """The :class:`Launch` torchrun describes in the environment (one process when it did not start this one).

    Raises:
        TrainingError: the variables are not integers or contradict each other.
    """
    environment = os.environ if environment is None else environment
    if "WORLD_SIZE" not in environment:
        return Launch()
    try:
        launch = Launch(int(environment.get("RANK", 0)), int(environment.get("LOCAL_RANK", 0)),
                        int(environment["WORLD_SIZE"]))
    except ValueError:
        raise TrainingError("RANK, LOCAL_RANK and WORLD_SIZE must be integers (torchrun sets them); got "
                            f"{[environment.get(key) for key in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE')]}") from None
    if not 0 <= launch.rank < launch.world_size:
        raise TrainingError(f"RANK {launch.rank} is outside 0..WORLD_SIZE-1 ({launch.world_size}); start "
                            "several processes with torchrun --nproc_per_node N, not by hand")
    return launch


def is_main_process(environment: Mapping[str, str] | None = None) -> bool:
    """Whether this process is rank 0 (the one that shows progress, logs and writes files)."""
    return launch_of(environment).is_main


@dataclass(frozen=True)
class BatchPlan:
    """How one optimizer step's ``batch_size`` samples are split (see the module docstring).

    Attributes:
        batch_size: samples per optimizer step, over all processes.
        micro_batch_size: samples per forward / backward pass.
        accumulate: micro-batches per process per step (gradients summed before the step).
        world_size: the number of processes.
    """

    batch_size: int
    micro_batch_size: int
    accumulate: int
    world_size: int

    @property
    def share(self) -> int:
        """Samples per process per step."""
        return self.micro_batch_size * self.accumulate

    def indices(self, order: Sequence[int], step: int, rank: int) -> Sequence[int]:
        """The sample indices process ``rank`` trains on at ``step`` of an epoch whose order is ``order``."""
        start = step * self.batch_size + rank * self.share
        return order[start:start + self.share]


def batch_plan(batch_size: int, micro_batch_size: int, world_size: int) -> BatchPlan:
    """The split of ``data.batch_size`` over ``world_size`` processes in micro-batches (0: a whole share).

    Raises:
        TrainingError: the batch does not divide evenly, saying which values would.
    """
    if batch_size % world_size:
        raise TrainingError(f"data.batch_size {batch_size} does not split over {world_size} processes; use a "
                            f"multiple of {world_size} (--set data.batch_size={max(1, batch_size // world_size) * world_size})")
    share = batch_size // world_size
    micro = micro_batch_size or share
    if share % micro:
        raise TrainingError(f"each of the {world_size} processes trains {share} samples per step "
                            f"(data.batch_size {batch_size}), which data.micro_batch_size {micro} does not divide; "
                            "use a divisor of it, or 0 for the whole share")
    return BatchPlan(batch_size, micro, share // micro, world_size)


class ProcessGroup(Protocol):
    """The processes of one run, as the epoch loop needs them (one process: :class:`SingleProcess`)."""

    launch: Launch

    def gather(self, value: Any) -> list[Any]:
        """Every process's ``value`` (picklable), in rank order, on every process."""

    def stop_reason(self, error: BaseException) -> str | None:
        """Why training cannot go on when ``error`` means another process is gone (None for other errors)."""


class SingleProcess:
    """A run of one process: no communication."""

    launch = Launch()

    def gather(self, value: Any) -> list[Any]:
        return [value]

    def stop_reason(self, error: BaseException) -> str | None:
        return None


SINGLE_PROCESS = SingleProcess()
