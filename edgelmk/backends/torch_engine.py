"""The PyTorch backend (``model.backend: torch``): PyTorch + Brevitas models, Adam/SGD, ``.pt`` checkpoints.

Needs the ``torch`` extra. :data:`ENGINE` implements :class:`edgelmk.backends.Engine`; the epoch
loop of :mod:`edgelmk.engine` drives its :class:`TorchSession`.

Checkpoints (:mod:`edgelmk.checkpoint`) hold the resolved recipe, the architecture, the model,
optimizer and schedule states, the loop's position, the torch RNG state and the version.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from edgelmk import checkpoint
from edgelmk import recipe as recipes
from edgelmk.engine import PreparedRun, lr_factor
from edgelmk.errors import CheckpointError, TrainingError
from edgelmk.nn import MODELS
from edgelmk.nn.decoders import output_activation
from edgelmk.nn.losses import build_loss


def device_for(requested: str | None = None) -> torch.device:
    """CUDA when present (or the requested device)."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_model(config: dict, architecture: dict[str, Any]) -> torch.nn.Module:
    """The PyTorch network of a recipe's ``model.name`` with its architecture config (:mod:`edgelmk.architecture`)."""
    return MODELS.build({"name": config["model"]["name"], **architecture})


def build_optimizer(config: dict, model: torch.nn.Module) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD (momentum 0.9) from ``optim``."""
    optim = config["optim"]
    if optim["name"] == "sgd":
        return torch.optim.SGD(model.parameters(), lr=optim["lr"], momentum=0.9, weight_decay=optim["weight_decay"])
    optimizer_class = torch.optim.AdamW if optim["name"] == "adamw" else torch.optim.Adam
    return optimizer_class(model.parameters(), lr=optim["lr"], weight_decay=optim["weight_decay"])


class SampleStream(torch.utils.data.Dataset):
    """:class:`edgelmk.data.dataset.SampleEncoder` items as torch tensors (image channels first)."""

    def __init__(self, samples):
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict:
        item = self.samples.item(index)
        item["image"] = np.ascontiguousarray(item["image"].transpose(2, 0, 1))
        return {key: torch.from_numpy(value) for key, value in item.items()}


class EpochOrder(torch.utils.data.Sampler):
    """Shuffled indices of one epoch, seeded by (seed, epoch), starting after ``skip`` items."""

    def __init__(self, size: int, seed: int, epoch: int, skip: int = 0):
        self.size, self.seed, self.epoch, self.skip = size, seed, epoch, skip

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.size, generator=generator)[self.skip:].tolist())

    def __len__(self) -> int:
        return self.size - self.skip


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


class TorchSession:
    """One training run in PyTorch (see :class:`edgelmk.backends.Session`)."""

    def __init__(self, run: PreparedRun, device: str | None):
        self.run, self.device = run, device_for(device)
        self.description = f"device {self.device}"
        seed_everything(run.config["seed"])
        self.model = recipes.from_section("model", lambda: build_model(run.config, run.architecture)).to(self.device)
        self.loss = build_loss(run.loss)
        self.optimizer = build_optimizer(run.config, self.model)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_factor(run.config, run.steps_per_epoch))
        self.stream = SampleStream(run.samples)

    def batches(self, epoch: int, skip: int):
        self.run.samples.epoch = epoch
        batch_size = self.run.config["data"]["batch_size"]
        order = EpochOrder(len(self.stream), self.run.config["seed"], epoch, skip=skip * batch_size)
        loader = torch.utils.data.DataLoader(self.stream, batch_size=batch_size, sampler=order, drop_last=True,
                                             num_workers=self.run.config["data"]["workers"], persistent_workers=False)
        self.model.train()
        for batch in loader:
            yield {key: value.to(self.device) for key, value in batch.items()}

    def train_step(self, batch: dict, step: int) -> float:
        loss = self.loss(self.model(batch["image"].float()), batch)
        if not torch.isfinite(loss):
            return float(loss.item())  # the loop stops; the weights are not stepped with it
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        return float(loss.item())

    def learning_rate(self) -> float:
        return self.scheduler.get_last_lr()[0]

    def predict_crops(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        checkpoint.save_atomic({**state, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                                "scheduler": self.scheduler.state_dict(), "torch_rng": torch.get_rng_state()}, path)

    def restore(self, path: Path) -> dict[str, Any]:
        state = checkpoint.load(path)
        checkpoint.check_same_recipe(recipes.upgrade(state["recipe"]), self.run.config, path)
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as error:
            raise TrainingError(f"{path} does not fit this model: {str(error).splitlines()[0]}") from None
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
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

    def read_weights(self, path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        state = checkpoint.load(path)
        if not isinstance(state.get("model"), dict) or "model_config" not in state:
            raise CheckpointError(f"{path} is not an edgelmk training checkpoint (no model weights)")
        weights = trained_weights(state["model"])
        return {name: value.detach().cpu().numpy() for name, value in weights.items()}, state["model_config"]

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

    def export_mirror(self, model: torch.nn.Module, output_activation: str):
        from edgelmk.keras.hourglass import build_hourglass, load_torch_weights

        mirror = build_hourglass(model.config, output_activation)
        load_torch_weights(mirror, model.state_dict())
        return mirror


ENGINE = TorchEngine()
