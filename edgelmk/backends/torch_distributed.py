"""PyTorch's side of a multi-process run: the process group, devices, DDP, and the stop of a lost peer.

``torchrun`` starts the processes and sets ``RANK`` / ``LOCAL_RANK`` / ``WORLD_SIZE`` and the
rendezvous address (:func:`edgelmk.processes.launch_of`); :class:`TorchProcessGroup` joins them
with ``gloo`` on CPUs and ``nccl`` on GPUs. When one process dies, the others either fail in
their next collective (gloo: "Connection reset by peer") or receive SIGTERM from torchrun; both
become a clear stop (:meth:`TorchProcessGroup.stop_reason`) and the last checkpoint, written
atomically at the end of an epoch, stays intact.
"""

from __future__ import annotations

import atexit
import datetime
import re
import signal

import torch
import torch.distributed as dist

from edgelmk.errors import TrainingError
from edgelmk.processes import Launch

#: how long a process waits for the others (to start, or in a collective) before giving up
TIMEOUT = datetime.timedelta(minutes=30)
#: words of the communication libraries' errors when a peer process is gone
PEER_LOST_WORDS = ("gloo", "nccl", "connection reset", "connection closed", "broken pipe")


class StoppedBySignal(Exception):
    """SIGTERM arrived: torchrun stops every process when one of them fails (or the user ended it)."""


def process_device(launch: Launch, requested: str | None) -> torch.device:
    """The device of one process: ``cuda:<local_rank>`` when CUDA is present or asked for, else the CPU.

    Raises:
        TrainingError: a numbered CUDA device (each process takes its own) or a CUDA request without CUDA.
    """
    if requested and requested not in ("cpu", "cuda"):
        raise TrainingError(f"--device {requested}: in a run of {launch.world_size} processes each takes "
                            "cuda:<LOCAL_RANK>; give --device cuda (choose GPUs with CUDA_VISIBLE_DEVICES) or cpu")
    if requested == "cpu" or (requested is None and not torch.cuda.is_available()):
        return torch.device("cpu")
    if torch.cuda.device_count() <= launch.local_rank:
        raise TrainingError(f"process {launch.rank} wants cuda:{launch.local_rank}, but this machine has "
                            f"{torch.cuda.device_count()} CUDA devices; start at most that many processes per "
                            "machine, or train on CPU with --device cpu")
    torch.cuda.set_device(launch.local_rank)
    return torch.device("cuda", launch.local_rank)


class TorchProcessGroup:
    """The processes of a torchrun run (:class:`edgelmk.processes.ProcessGroup`), joined on creation.

    Args:
        launch: this process's place (from the environment torchrun sets).
        device: this process's device; CUDA devices communicate with nccl, the CPU with gloo.
    """

    def __init__(self, launch: Launch, device: torch.device):
        self.launch = launch
        self.backend = "nccl" if device.type == "cuda" else "gloo"
        try:
            dist.init_process_group(self.backend, rank=launch.rank, world_size=launch.world_size, timeout=TIMEOUT,
                                    device_id=device if device.type == "cuda" else None)
        except (RuntimeError, ValueError) as error:
            raise TrainingError(f"process {launch.rank} of {launch.world_size} could not join the others "
                                f"({str(error).splitlines()[0][:200]}); start the run with torchrun "
                                "--nproc_per_node N -m edgelmk train ... or edgelmk train --devices N") from None
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, self._on_terminate)

    @staticmethod
    def _on_terminate(number, frame) -> None:
        raise StoppedBySignal()

    def gather(self, value):
        gathered = [None] * self.launch.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of a tensor over the processes (every process gets it)."""
        total = value.detach().clone()
        dist.all_reduce(total)
        return total / self.launch.world_size

    def broadcast_buffers(self, module: torch.nn.Module) -> None:
        """Give every process rank 0's buffers (batch-norm running statistics), e.g. before validating."""
        for buffer in module.buffers():
            dist.broadcast(buffer, 0)

    def stop_reason(self, error: BaseException) -> str | None:
        if isinstance(error, StoppedBySignal):
            return "stopped by SIGTERM (torchrun stops every process when one of them fails; its report names it)"
        if isinstance(error, RuntimeError) and any(word in str(error).lower() for word in PEER_LOST_WORDS):
            first_sentence = re.sub(r"^\[[^\]]*\]\s*", "", str(error).splitlines()[0]).split(". ")[0]
            return f"another process is gone ({self.backend}: {first_sentence[:160]})"
        return None

    def close(self) -> None:
        """Leave the group at exit (a late SIGTERM from torchrun then ends the process quietly)."""
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if dist.is_initialized():
            dist.destroy_process_group()
