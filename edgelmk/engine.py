"""Training and evaluation loops (PyTorch backend).

Reproducibility: every random choice of a sample (augmentation, H3R's stochastic rounding)
draws from a generator seeded by ``(seed, epoch, index)``, and each epoch's order from one
seeded by ``(seed, epoch)``. A run interrupted at any batch and resumed from its checkpoint
therefore sees the same batches as an uninterrupted run and ends with the same weights.

Files in the output folder: ``last.pt`` (every epoch, and on Ctrl-C), ``best.pt`` (best
validation metric), ``recipe.yaml`` (the resolved recipe), ``metrics.csv`` and TensorBoard
events under ``tensorboard/``.
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from edgelmk import __version__, checkpoint
from edgelmk import recipe as recipes
from edgelmk.data.transforms import to_original
from edgelmk.keras.checkpoint import is_larq_checkpoint
from edgelmk.nn import MODELS
from edgelmk.nn.decoders import output_activation
from edgelmk.nn.losses import DEFAULT_LOSS, LOSSES
from edgelmk.progress import progress_bar
from edgelmk.training import (  # noqa: F401  (re-exported: callers use engine.build_dataset etc.)
    CachedDataset, EpochLoop, SampleEncoder, TrainingError, _from_recipe, append_metrics_row, build_codec, build_dataset,
    crop_all, eval_transform, headline, improves, lr_factor, mean_shape_baseline, metric_for, recipe_skeleton, score,
    train_transform)

# --- building blocks from a recipe ------------------------------------------------------------


def build_model(config: dict, num_keypoints: int) -> torch.nn.Module:
    if config["model"].get("backend", "torch") != "torch":
        raise recipes.RecipeError(f"model.backend {config['model']['backend']!r} is not trained by the PyTorch "
                                  "engine")
    model_config = {key: value for key, value in config["model"].items() if key != "backend"}
    model_config.update(num_keypoints=num_keypoints, input_hw=config["data"]["input_hw"],
                        heatmap_hw=config["codec"]["heatmap_hw"])
    return _from_recipe("model", lambda: MODELS.build(model_config))


def build_loss(config: dict):
    loss_config = {"name": DEFAULT_LOSS[config["codec"]["name"]], **config["loss"]}
    return _from_recipe("loss", lambda: LOSSES.build(loss_config))


def build_optimizer(config: dict, model: torch.nn.Module) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD (momentum 0.9) from ``optim``."""
    optim = config["optim"]
    if optim["name"] == "sgd":
        return torch.optim.SGD(model.parameters(), lr=optim["lr"], momentum=0.9, weight_decay=optim["weight_decay"])
    optimizer_class = torch.optim.AdamW if optim["name"] == "adamw" else torch.optim.Adam
    return optimizer_class(model.parameters(), lr=optim["lr"], weight_decay=optim["weight_decay"])


def build_schedule(config: dict, optimizer: torch.optim.Optimizer, steps_per_epoch: int):
    """Per-step learning-rate factor (:func:`edgelmk.training.lr_factor`) as a torch scheduler."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config, steps_per_epoch))


class SampleStream(torch.utils.data.Dataset):
    """:class:`edgelmk.training.SampleEncoder` items as torch tensors (image channels first)."""

    def __init__(self, dataset, transform, codec, seed: int):
        self.encoder = SampleEncoder(dataset, transform, codec, seed)
        self.dataset = dataset

    @property
    def epoch(self) -> int:
        return self.encoder.epoch

    @epoch.setter
    def epoch(self, value: int) -> None:
        self.encoder.epoch = value

    def __len__(self) -> int:
        return len(self.encoder)

    def __getitem__(self, index: int) -> dict:
        item = self.encoder.item(index)
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


def device_for(requested: str | None = None) -> torch.device:
    """CUDA when present (or the requested device)."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# --- evaluation ---------------------------------------------------------------------------------


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


def load_model(checkpoint_path: str | Path, device: str | None = None, overrides=(), extra: dict | None = None):
    """(model in eval mode, resolved recipe, codec) from a checkpoint, recipe values overridable."""
    if is_larq_checkpoint(checkpoint_path):
        raise checkpoint.CheckpointError(
            f"{checkpoint_path} is a Keras + Larq checkpoint; this command takes PyTorch checkpoints (.pt). Export it "
            "(edgelmk export CHECKPOINT --target tflite --out DIR) and give DIR/model.tflite to edgelmk predict")
    state = checkpoint.load(checkpoint_path)
    config = state["recipe"]
    settings = list(overrides) + [f"{key}={value}" for key, value in (extra or {}).items()]
    if settings:
        config = recipes.resolve(recipes.apply_overrides(config, settings))
    model = build_model(config, state["model_config"]["num_keypoints"])
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        raise checkpoint.CheckpointError(f"{checkpoint_path}: weights do not fit the recipe's model: "
                                         f"{str(error).splitlines()[0]}") from None
    return model.to(device_for(device)).eval(), config, build_codec(config)


def evaluate_config(model, config: dict, codec, device: torch.device) -> tuple[dict[str, float], int]:
    """The validation report of a model on its recipe's validation data, and the sample count."""
    dataset = build_dataset(config, "val")
    with progress_bar(len(dataset), "evaluating") as bar:
        crops = crop_all(dataset, eval_transform(config), bar.update)
    predicted, scores = predict_crops(model, codec, np.stack([c["image"] for c in crops]), device)
    return score(metric_for(config, dataset.skeleton), dataset.skeleton, crops, predicted, scores, dataset), len(crops)


def predict_image(model, config: dict, codec, image: np.ndarray, bbox, device: torch.device):
    """Keypoints (K, 2) in the image's pixels, scores (K,) and the skeleton, for one box of an image."""
    k = model.config["num_keypoints"]
    sample = {"image": image, "keypoints": np.zeros((k, 2), np.float32), "visible": np.ones(k, np.float32),
              "bbox": np.asarray(bbox, np.float32)}
    crop = eval_transform(config)(sample, np.random.default_rng(0))
    predicted, scores = predict_crops(model, codec, crop["image"][None], device)
    return to_original(predicted[0], crop["matrix"]), scores[0], recipe_skeleton(config)


# --- training -----------------------------------------------------------------------------------------


def seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer(EpochLoop):
    """Train a recipe into ``out_dir``.

    Args:
        config: a resolved recipe (:func:`edgelmk.recipe.resolve`).
        out_dir: where checkpoints and logs go.
        resume: continue from ``out_dir/last.pt`` (the recipe must match the checkpoint's).
        device: torch device name; default CUDA when present, else CPU.
        log: where progress lines go (``print`` by default).
        on_step: called with the global step after each optimizer step (tests use it).
    """

    LAST, BEST = "last.pt", "best.pt"

    def __init__(self, config: dict, out_dir: str | Path, resume: bool = False, device: str | None = None,
                 log: Callable[[str], Any] = print, on_step: Callable[[int], Any] | None = None):
        self.config, self.out_dir, self.log, self.on_step = config, Path(out_dir), log, on_step
        self.device = device_for(device)
        seed_everything(config["seed"])
        started = time.time()
        train_data, val_data = build_dataset(config, "train"), build_dataset(config, "val")
        self.skeleton = train_data.skeleton
        if val_data.skeleton != self.skeleton:
            raise recipes.RecipeError(f"data.train ({self.skeleton.name}) and data.val ({val_data.skeleton.name}) "
                                      "have different keypoint layouts")
        self.codec, self.loss = build_codec(config), build_loss(config)
        self.model = build_model(config, self.skeleton.num_keypoints).to(self.device)
        self.metric = metric_for(config, self.skeleton)
        self.val_dataset = val_data
        self.log(f"data: {len(train_data)} training and {len(val_data)} validation samples "
                 f"({self.skeleton.name}, {self.skeleton.num_keypoints} keypoints); device {self.device}; "
                 f"built in {time.time() - started:.1f}s")
        if config["data"]["cache"]:
            with progress_bar(len(train_data), "caching training samples") as bar:
                train_data = CachedDataset(train_data, bar.update)
        self.stream = SampleStream(train_data, train_transform(config, self.skeleton), self.codec, config["seed"])
        with progress_bar(len(val_data), "preparing validation crops") as bar:
            self.val_crops = crop_all(val_data, eval_transform(config), bar.update)

        self.optimizer = build_optimizer(config, self.model)
        self.steps_per_epoch = len(self.stream) // config["data"]["batch_size"]
        if self.steps_per_epoch < 1:
            raise recipes.RecipeError(f"data.batch_size {config['data']['batch_size']} exceeds the "
                                      f"{len(self.stream)} training samples")
        self.scheduler = build_schedule(config, self.optimizer, self.steps_per_epoch)
        self.epoch, self.batches_done, self.step = 0, 0, 0
        self.best: dict[str, Any] = {"value": None, "epoch": None}
        self.history: list[dict] = []
        if resume:
            self._restore(self.out_dir / self.LAST)

    # --- checkpoints ---

    def _state(self) -> dict:
        return {"recipe": self.config, "model": self.model.state_dict(), "model_config": self.model.config,
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "epoch": self.epoch, "batches_done": self.batches_done, "step": self.step, "best": self.best,
                "history": self.history, "metric": self.metric, "torch_rng": torch.get_rng_state(),
                "edgelmk_version": __version__}

    def _restore(self, path: Path) -> None:
        state = checkpoint.load(path)
        checkpoint.check_same_recipe(state["recipe"], self.config, path)
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as error:
            raise TrainingError(f"{path} does not fit this model: {str(error).splitlines()[0]}") from None
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.batches_done, self.step = state["epoch"], state["batches_done"], state["step"]
        self.best, self.history = state["best"], state["history"]
        torch.set_rng_state(state["torch_rng"])
        self.log(f"resumed from {path}: epoch {self.epoch + 1}, batch {self.batches_done} of {self.steps_per_epoch}")

    def _save(self, name: str) -> Path:
        return checkpoint.save_atomic(self._state(), self.out_dir / name)

    # --- the loop ---

    def _train_epoch(self, epochs: int) -> float:
        self.stream.epoch = self.epoch
        batch_size = self.config["data"]["batch_size"]
        order = EpochOrder(len(self.stream), self.config["seed"], self.epoch, skip=self.batches_done * batch_size)
        workers = self.config["data"]["workers"]
        loader = torch.utils.data.DataLoader(self.stream, batch_size=batch_size, sampler=order, drop_last=True,
                                             num_workers=workers, persistent_workers=False)
        self.model.train()
        losses = []
        with progress_bar(self.steps_per_epoch, f"epoch {self.epoch + 1}/{epochs}", unit="batch",
                          initial=self.batches_done) as bar:
            for batch in loader:
                batch = {key: value.to(self.device) for key, value in batch.items()}
                loss = self._step(batch)
                losses.append(loss)
                self.batches_done += 1
                self.step += 1
                bar.set_postfix(loss=f"{loss:.4f}", lr=f"{self.scheduler.get_last_lr()[0]:.2e}")
                bar.update(1)
                if self.on_step:
                    self.on_step(self.step)
        return float(np.mean(losses)) if losses else float("nan")

    def _step(self, batch: dict) -> float:
        try:
            outputs = self.model(batch["image"].float())
            loss = self.loss(outputs, batch)
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"the loss became {loss.item()} at epoch {self.epoch + 1}, step {self.step + 1}; training "
                    f"stopped and {self.out_dir / self.LAST} (the last good epoch) is kept. Likely cause: a "
                    f"learning rate too high for this model (optim.lr = {self.config['optim']['lr']}); try "
                    "--set optim.lr=... ten times smaller, or a warm-up (--set optim.warmup_epochs=1)")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
        except (torch.cuda.OutOfMemoryError, MemoryError, RuntimeError) as error:
            if not isinstance(error, MemoryError) and "memory" not in str(error):
                raise
            raise TrainingError(f"a batch of {self.config['data']['batch_size']} does not fit in memory on "
                                f"{self.device} ({str(error).splitlines()[0][:120]}); lower it with "
                                "--set data.batch_size=...") from None
        return float(loss.item())

    def validate(self) -> dict[str, float]:
        images = np.stack([c["image"] for c in self.val_crops])
        try:
            predicted, scores = predict_crops(self.model, self.codec, images, self.device)
        except ValueError as error:  # the codec refuses NaN output: the weights diverged in the last steps
            raise TrainingError(f"validation after epoch {self.epoch + 1} failed: {error}. {self.out_dir / self.LAST}"
                                " (the last good epoch) is kept; try a smaller optim.lr") from None
        return score(self.metric, self.skeleton, self.val_crops, predicted, scores, self.val_dataset)

    def _learning_rate(self) -> float:
        return self.scheduler.get_last_lr()[0]

    def _open_scalar_writer(self):
        if "tensorflow" not in sys.modules:
            # TensorBoard imports all of TensorFlow when it is installed (4 s and much memory) unless
            # this marker module exists: its "no_tensorflow" switch, writing the same event files.
            sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self.log("tensorboard is not installed; logging to metrics.csv only")
            return None
        return SummaryWriter(str(self.out_dir / "tensorboard"))

    def _write_scalars(self, writer, row: dict) -> None:
        for key, value in row.items():
            if key != "epoch":
                writer.add_scalar(key, value, row["epoch"])
