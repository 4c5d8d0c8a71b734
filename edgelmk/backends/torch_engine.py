"""The PyTorch backend (``model.backend: torch``): PyTorch + Brevitas models, Adam/SGD, ``.pt`` checkpoints.

Needs the ``torch`` extra. :data:`ENGINE` implements :class:`edgelmk.backends.Engine`; the epoch
loop of :mod:`edgelmk.engine` drives its :class:`TorchSession`.

Checkpoints (:mod:`edgelmk.checkpoint`) hold the resolved recipe, the architecture, the model,
optimizer and schedule states, the loop's position, the torch RNG state and the version.
"""

from __future__ import annotations

import contextlib
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from edgelmk import checkpoint
from edgelmk import recipe as recipes
from edgelmk.backends import CheckpointWeights
from edgelmk.backends.torch_distributed import TorchProcessGroup, process_device
from edgelmk.distill import attention_points
from edgelmk.engine import PreparedRun, lr_factor, read_teacher
from edgelmk.errors import CheckpointError, TrainingError
from edgelmk.nn import MODELS
from edgelmk.nn.bop import Bop
from edgelmk.nn.decoders import output_activation
from edgelmk.nn.distill import Distillation
from edgelmk.nn.losses import build_loss
from edgelmk.nn.quant import BinaryConv2d
from edgelmk.processes import SINGLE_PROCESS, BatchPlan, batch_plan, launch_of


def device_for(requested: str | None = None) -> torch.device:
    """CUDA when present (or the requested device)."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_model(config: dict, architecture: dict[str, Any]) -> torch.nn.Module:
    """The PyTorch network of a recipe's ``model.name`` with its architecture config (:mod:`edgelmk.architecture`)."""
    return MODELS.build({"name": config["model"]["name"], **architecture})


def model_of_weights(weights: CheckpointWeights) -> torch.nn.Module:
    """The PyTorch network of a checkpoint of either backend (a distillation teacher), its weights loaded."""
    model = MODELS.build({"name": weights.name, **weights.architecture})
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in weights.arrays.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = list(trained_weights(dict.fromkeys(missing)))  # not the step counters and pixel constants
    if missing or unexpected:
        raise CheckpointError(f"the checkpoint's weights do not fit its {weights.name} architecture "
                              f"({(missing + unexpected)[0]}): another edgelmk version?")
    return model


def build_optimizer(config: dict, model: torch.nn.Module) -> tuple[torch.optim.Optimizer, Bop | None]:
    """(Adam, AdamW or SGD (momentum 0.9) from ``optim``, None); with ``bop``: (Adam for the real-valued weights,
    :class:`edgelmk.nn.bop.Bop` for the binary convolutions' weights), as the Larq backend's CaseOptimizer."""
    optim = config["optim"]
    parameters, bop = list(model.parameters()), None
    if optim["name"] == "bop":
        binary = [module.weight for module in model.modules()
                  if isinstance(module, BinaryConv2d) and module.binary_weights]
        if binary:  # none in fp32 models or with real weights (step one of the two-step schedule)
            bop = Bop(binary, threshold=optim["bop_threshold"], gamma=optim["bop_gamma"])
            parameters = [p for p in parameters if all(p is not weight for weight in binary)]
    if optim["name"] == "sgd":
        return torch.optim.SGD(parameters, lr=optim["lr"], momentum=0.9, weight_decay=optim["weight_decay"]), bop
    optimizer_class = torch.optim.AdamW if optim["name"] == "adamw" else torch.optim.Adam
    return optimizer_class(parameters, lr=optim["lr"], weight_decay=optim["weight_decay"]), bop


class SampleStream(torch.utils.data.Dataset):
    """:class:`edgelmk.data.dataset.SampleEncoder` items as torch tensors (image channels first), by (epoch, index)."""

    def __init__(self, samples):
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, key: tuple[int, int]) -> dict:
        epoch, index = key
        item = self.samples.item(index, epoch)
        item["image"] = np.ascontiguousarray(item["image"].transpose(2, 0, 1))
        return {name: torch.from_numpy(value) for name, value in item.items()}


class EpochOrder(torch.utils.data.Sampler):
    """The (epoch, index) keys one process trains on in an epoch, from step ``skip`` on.

    Every process shuffles with the same generator, seeded by (seed, epoch), and takes its share of
    each step's batch (:meth:`edgelmk.processes.BatchPlan.indices`); the last incomplete batch is dropped.
    """

    def __init__(self, size: int, seed: int, plan: BatchPlan, rank: int):
        self.size, self.seed, self.plan, self.rank = size, seed, plan, rank
        self.steps = size // plan.batch_size
        self.epoch, self.skip = 0, 0

    def start(self, epoch: int, skip: int) -> None:
        """Make the next pass over this sampler the one of ``epoch``, after its first ``skip`` steps."""
        self.epoch, self.skip = epoch, skip

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.size, generator=generator).tolist()
        for step in range(self.skip, self.steps):
            yield from ((self.epoch, index) for index in self.plan.indices(order, step, self.rank))

    def __len__(self) -> int:
        return (self.steps - self.skip) * self.plan.share


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@torch.no_grad()
def predict_crops(model: torch.nn.Module, codec, images: np.ndarray, device: torch.device,
                  batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (N, K, 2) in crop pixels and scores (N, K) for (N, H, W, 3) uint8 crops."""
    model.eval()
    keypoints, scores = [], []
    for start in range(0, len(images), batch_size):
        batch = torch.from_numpy(np.ascontiguousarray(images[start:start + batch_size].transpose(0, 3, 1, 2)))
        outputs = model(batch.to(device).float())[-1]
        maps = output_activation(codec.name, outputs).float().cpu().numpy()
        decoded, score = codec.decode(maps)
        keypoints.append(decoded)
        scores.append(score)
    return np.concatenate(keypoints), np.concatenate(scores)


def trained_weights(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict without batch-norm step counters and the constant pixel normalisation (not learnt)."""
    return {name: value for name, value in state_dict.items()
            if not name.endswith("num_batches_tracked") and name not in ("pixel_mean", "pixel_scale")}


AUTOCAST_TYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class TorchSession:
    """One training run in PyTorch (see :class:`edgelmk.backends.Session`), in one process or under torchrun.

    Under torchrun the model is wrapped in DistributedDataParallel (gradients averaged over the
    processes), each process loads its share of every batch (:mod:`edgelmk.processes`), and the
    loss of a step is averaged over all of them, so that every process stops together.
    """

    def __init__(self, run: PreparedRun, device: str | None):
        config, launch = run.config, launch_of()
        self.run, self.optim = run, config["optim"]
        self.plan = batch_plan(config["data"]["batch_size"], config["data"]["micro_batch_size"], launch.world_size)
        self.device = process_device(launch, device) if launch.distributed else device_for(device)
        self.processes = TorchProcessGroup(launch, self.device) if launch.distributed else SINGLE_PROCESS
        seed_everything(config["seed"])
        self.model = recipes.from_section("model", lambda: build_model(config, run.architecture)).to(self.device)
        if self.optim["channels_last"]:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.network = self._parallel(launch)
        self.description = self._describe(launch)
        self.loss = build_loss(run.loss)
        self.distillation = self._distillation() if run.distill else None
        self.optimizer, self.bop = build_optimizer(config, self.model)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_factor(config, run.steps_per_epoch))
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.optim["amp"] == "fp16")
        self.order = EpochOrder(len(run.samples), config["seed"], self.plan, launch.rank)
        workers = config["data"]["workers"]
        self.loader = torch.utils.data.DataLoader(
            SampleStream(run.samples), batch_size=self.plan.micro_batch_size, sampler=self.order,
            num_workers=workers, persistent_workers=workers > 0, pin_memory=self.device.type == "cuda",
            prefetch_factor=config["data"]["prefetch_factor"] if workers > 0 else None)

    def _distillation(self) -> Distillation:
        teacher = model_of_weights(read_teacher(self.run)).to(self.device)
        if self.optim["channels_last"]:
            teacher = teacher.to(memory_format=torch.channels_last)
        points = attention_points(self.run.config["model"]["name"], self.run.architecture) \
            if self.run.distill.attention else []
        return Distillation(self.run.distill, self.loss, self.run.codec.name, self.model, teacher, points)

    def _parallel(self, launch) -> torch.nn.Module:
        """The module that trains: the model itself, or under torchrun its DistributedDataParallel wrapper
        (with ``optim.sync_batchnorm``, the model's batch norms become SyncBatchNorm first)."""
        if not launch.distributed:
            return self.model
        if self.optim["sync_batchnorm"]:
            if self.device.type != "cuda":
                raise TrainingError("optim.sync_batchnorm needs GPUs: PyTorch's SyncBatchNorm runs on CUDA "
                                    "devices only; on CPUs leave it false (batch norm then sees each micro-batch)")
            self.model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        return torch.nn.parallel.DistributedDataParallel(
            self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def _describe(self, launch) -> str:
        plan = self.plan
        where = f"device {self.device}"
        if launch.distributed:
            where = f"{launch.world_size} processes ({self.processes.backend}), rank 0 on {self.device}"
        if plan.accumulate > 1 or launch.distributed:
            where += (f"; batch {plan.batch_size} = {launch.world_size} x {plan.accumulate} micro-batches of "
                      f"{plan.micro_batch_size}")
        if self.optim["amp"] != "none":
            where += f"; mixed precision {self.optim['amp']}"
        return where

    def batches(self, epoch: int, skip: int):
        """Lists of ``plan.accumulate`` micro-batches (this process's share of each step), on the device."""
        self.order.start(epoch, skip)
        self.network.train()
        share: list[dict] = []
        for micro_batch in self.loader:
            share.append({key: value.to(self.device, non_blocking=True) for key, value in micro_batch.items()})
            if len(share) == self.plan.accumulate:
                yield share
                share = []

    def _forward(self, network: torch.nn.Module, images: torch.Tensor) -> list[torch.Tensor]:
        images = images.float()
        if self.optim["channels_last"]:
            images = images.contiguous(memory_format=torch.channels_last)
        amp = self.optim["amp"]
        with torch.autocast(self.device.type, dtype=AUTOCAST_TYPES.get(amp), enabled=amp != "none"):
            outputs = network(images)
        return [output.float() for output in outputs]  # the loss in float32

    def _loss(self, micro_batch: dict) -> torch.Tensor:
        outputs = self._forward(self.network, micro_batch["image"])
        if self.distillation is None:
            return self.loss(outputs, micro_batch)
        with torch.no_grad():
            teacher_outputs = self._forward(self.distillation.teacher, micro_batch["image"])
        return self.distillation(outputs, teacher_outputs, micro_batch)

    def train_step(self, batch: list[dict], step: int) -> float:
        total, distributed = torch.zeros((), device=self.device), self.processes.launch.distributed
        for position, micro_batch in enumerate(batch):
            synchronise = position == len(batch) - 1  # DDP averages the accumulated gradients once per step
            with self.network.no_sync() if distributed and not synchronise else contextlib.nullcontext():
                loss = self._loss(micro_batch) / len(batch)
                self.scaler.scale(loss).backward()
            total += loss.detach()
        if distributed:
            total = self.processes.mean(total)
        value = float(total.item())
        if math.isfinite(value):  # otherwise the loop stops; the weights are not stepped with it
            for optimizer in self._optimizers():
                self.scaler.step(optimizer)
            self.scaler.update()
            self.scheduler.step()
        for optimizer in self._optimizers():
            optimizer.zero_grad(set_to_none=True)
        return value

    def _optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.optimizer] + ([self.bop] if self.bop else [])

    def learning_rate(self) -> float:
        return self.scheduler.get_last_lr()[0]

    def predict_crops(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.processes.launch.distributed:
            self.processes.broadcast_buffers(self.model)  # every process validates with rank 0's statistics
        return predict_crops(self.model, self.run.codec, images, self.device)

    def is_out_of_memory(self, error: BaseException) -> bool:
        return isinstance(error, torch.cuda.OutOfMemoryError) or (isinstance(error, RuntimeError)
                                                                  and "memory" in str(error))

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(value.shape) for name, value in trained_weights(self.model.state_dict()).items()}

    @torch.no_grad()
    def load_weights(self, arrays: dict[str, np.ndarray]) -> None:
        state = self.model.state_dict()  # shares storage with the parameters and buffers
        for name, value in arrays.items():
            state[name].copy_(torch.from_numpy(np.asarray(value)))

    def save(self, path: Path, state: dict[str, Any]) -> None:
        extra = {"scaler": self.scaler.state_dict()} if self.scaler.is_enabled() else {}
        extra.update({"bop": self.bop.state_dict()} if self.bop else {})
        checkpoint.save_atomic({**state, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                                "scheduler": self.scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
                                **extra}, path)

    def restore(self, path: Path) -> dict[str, Any]:
        state = checkpoint.load(path)
        checkpoint.check_same_recipe(recipes.upgrade(state["recipe"]), self.run.config, path)
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as error:
            raise TrainingError(f"{path} does not fit this model: {str(error).splitlines()[0]}") from None
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.bop:
            self.bop.load_state_dict(state["bop"])
        if self.scaler.is_enabled() and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["torch_rng"])
        return state


class TorchEngine:
    """The PyTorch backend's :class:`edgelmk.backends.Engine`."""

    def session(self, run: PreparedRun, device: str | None) -> TorchSession:
        return TorchSession(run, device)

    def load(self, path: Path, device: str | None) -> tuple[torch.nn.Module, dict[str, Any]]:
        state = checkpoint.load(path)
        state["recipe"] = recipes.upgrade(state["recipe"])
        try:
            model = build_model(state["recipe"], state["model_config"])
            model.load_state_dict(state["model"])
        except (RuntimeError, ValueError, TypeError, KeyError) as error:
            raise CheckpointError(f"{path}: weights do not fit the recipe's model: "
                                  f"{str(error).splitlines()[0]}") from None
        return model.to(device_for(device)).eval(), state

    def predict_crops(self, model, codec, crops: np.ndarray, device: str | None) -> tuple[np.ndarray, np.ndarray]:
        return predict_crops(model, codec, crops, device_for(device))

    def read_weights(self, path: Path) -> CheckpointWeights:
        state = checkpoint.load(path)
        if not isinstance(state.get("model"), dict) or "model_config" not in state:
            raise CheckpointError(f"{path} is not an edgelmk training checkpoint (no model weights)")
        weights = trained_weights(state["model"])
        return CheckpointWeights({name: value.detach().cpu().numpy() for name, value in weights.items()},
                                 state["model_config"], recipes.upgrade(state["recipe"])["model"]["name"])

    def summary(self, config: dict, architecture: dict[str, Any]) -> str:
        from edgelmk.nn.summary import summarize

        summary = summarize(build_model(config, architecture), tuple(config["data"]["input_hw"]))
        parameters, macs = summary["parameters"], summary["macs"]
        lines = [f"{'':<12}{'parameters':>14}{'MACs':>16}"]
        lines += [f"{kind + ' conv':<12}{parameters[kind]:>14,}{macs[kind]:>16,}" for kind in ("binary", "int8", "float")]
        lines += [f"{'other':<12}{parameters['other']:>14,}{'':>16}",
                  f"{'total':<12}{sum(parameters.values()):>14,}{sum(macs.values()):>16,}",
                  "estimated weight size: " + ", ".join(f"{label} {size / 1024:,.0f} KiB"
                                                         for label, size in summary["size_bytes"].items())]
        return "\n".join(lines)

    def export_mirror(self, model: torch.nn.Module, architecture: str, output_activation: str):
        from edgelmk.keras.models import build_mirror
        from edgelmk.keras.weights import load_torch_weights

        mirror = build_mirror(architecture, model.config, output_activation)
        load_torch_weights(mirror, model.state_dict())
        return mirror


ENGINE = TorchEngine()
