"""Training and evaluation with either backend: one epoch loop, one data pipeline, one judge.

The loop (:class:`EpochLoop`) trains, validates, keeps the best checkpoint, logs and stops
cleanly; the framework-specific work (model, loss, optimizer, batches, checkpoint files) is a
:class:`edgelmk.backends.Session` it is given. :func:`prepare_run` builds what every backend
shares from a recipe: datasets, codec, loss, architecture, metric, validation crops.

Reproducibility: every random choice of a sample (augmentation, H3R's stochastic rounding)
draws from a generator seeded by ``(seed, epoch, index)``, and each epoch's order from one
seeded by ``(seed, epoch)``. A run interrupted at any batch and resumed from its checkpoint
therefore sees the same batches as an uninterrupted run and ends with the same weights.

Under torchrun (several processes) every process trains its share of each batch
(:mod:`edgelmk.processes`) and validates its share of the validation crops; the predictions are
gathered, and rank 0 alone logs and writes the files.

Files in the output folder: ``last<suffix>`` (every epoch, and on Ctrl-C), ``best<suffix>``
(best validation metric), ``recipe.yaml`` (the resolved recipe), ``metrics.csv`` and TensorBoard
events under ``tensorboard/``; the suffix is the backend's (``.pt``, ``.larq.npz``).

Python use::

    from edgelmk import engine, recipe
    trainer = engine.Trainer(recipe.load("recipes/quickstart.yaml"), "runs/quickstart")
    report = trainer.fit()
    trained = engine.load_checkpoint("runs/quickstart/best.pt")
    keypoints, scores = trained.predict(image, box)
"""

from __future__ import annotations

import csv
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from edgelmk import __version__, validate
from edgelmk import recipe as recipes
from edgelmk.architecture import model_architecture
from edgelmk.backends import Backend, CheckpointWeights, Session, backend_of, backend_of_checkpoint
from edgelmk.data.dataset import (CachedDataset, SampleEncoder, build_codec, build_dataset, crop_all, eval_transform,
                                  recipe_skeleton, train_transform)
from edgelmk.distill import DistillSpec, check_teacher, distill_spec
from edgelmk.errors import CheckpointError, TrainingError
from edgelmk.evaluation import headline, improves, mean_shape_baseline, metric_for, score
from edgelmk.flip import flip_averaged
from edgelmk.losses import LossSpec, loss_spec
from edgelmk.preprocess import to_original
from edgelmk.processes import launch_of
from edgelmk.progress import progress_bar
from edgelmk.scalars import open_scalar_writer
from edgelmk.transfer import TransferPlan, check_plan, plan_transfer

__all__ = ["EpochLoop", "PreparedRun", "TrainedModel", "Trainer", "TrainingError", "initialise_from",
           "load_checkpoint", "lr_factor", "prepare_run", "read_teacher"]


# --- what every backend trains from -------------------------------------------------------------------


def lr_factor(config: dict, steps_per_epoch: int) -> Callable[[int], float]:
    """Per-step learning-rate factor of ``optim``: linear warm-up, then cosine decay to 0 (or constant)."""
    optim = config["optim"]
    total, warmup = optim["epochs"] * steps_per_epoch, optim["warmup_epochs"] * steps_per_epoch

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if optim["schedule"] == "constant":
            return 1.0
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(total - warmup, 1)))

    return factor


@dataclass
class PreparedRun:
    """Everything a training run needs besides the framework, built once from the recipe.

    Attributes:
        config: the resolved recipe.
        skeleton: the keypoint layout of the training (and validation) data.
        codec: the heatmap codec (targets and decoding).
        loss: the loss spec (:mod:`edgelmk.losses`).
        architecture: the checked model config (:mod:`edgelmk.architecture`).
        metric: the validation metric (nme, pckh, coco_ap).
        samples: training items, random per (seed, epoch, index); ``samples.dataset`` is the data.
        val_dataset: the validation dataset (COCO AP needs its annotation file).
        val_crops: the validation crops (no randomness), computed once.
        steps_per_epoch: optimizer steps per epoch (the last incomplete batch is dropped).
        distill: the distillation (:mod:`edgelmk.distill`), None without a teacher.
    """

    config: dict
    skeleton: Any
    codec: Any
    loss: LossSpec
    architecture: dict[str, Any]
    metric: str
    samples: SampleEncoder
    val_dataset: Any
    val_crops: list[dict]
    steps_per_epoch: int
    distill: DistillSpec | None = None


def prepare_run(config: dict) -> PreparedRun:
    """Validate a resolved recipe and build its datasets, codec, loss, architecture and validation crops.

    Raises:
        RecipeError: for any problem of the recipe (all of them), a missing dataset, different
            keypoint layouts in training and validation data, or a batch larger than the data.
    """
    validate.check(config)
    train_data, val_data = build_dataset(config, "train"), build_dataset(config, "val")
    skeleton = train_data.skeleton
    if val_data.skeleton != skeleton:
        raise recipes.RecipeError(f"data.train ({skeleton.name}) and data.val ({val_data.skeleton.name}) "
                                  "have different keypoint layouts")
    codec = build_codec(config)
    architecture = model_architecture(config, skeleton.num_keypoints)
    if config["data"]["cache"]:
        with progress_bar(len(train_data), "caching training samples") as bar:
            train_data = CachedDataset(train_data, bar.update, cache_processes(config))
    samples = SampleEncoder(train_data, train_transform(config, skeleton), codec, config["seed"])
    with progress_bar(len(val_data), "preparing validation crops") as bar:
        val_crops = crop_all(val_data, eval_transform(config), bar.update)
    steps_per_epoch = len(samples) // config["data"]["batch_size"]
    if steps_per_epoch < 1:
        raise recipes.RecipeError(f"data.batch_size {config['data']['batch_size']} exceeds the "
                                  f"{len(samples)} training samples")
    return PreparedRun(config, skeleton, codec, loss_spec(config), architecture, metric_for(config, skeleton),
                       samples, val_data, val_crops, steps_per_epoch, distill_spec(config))


def cache_processes(config: dict) -> int:
    """How many processes load (render) a cached training set: every CPU this process may use in a one-process
    PyTorch run; one where each process of a run caches its own copy, and for the Larq backend (its data workers
    are threads: TensorFlow is not fork-safe)."""
    if config["model"]["backend"] != "torch" or launch_of().world_size > 1:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def read_teacher(run: PreparedRun) -> CheckpointWeights:
    """The weights of a distilled run's teacher (``distill.teacher``), checked against the student.

    Raises:
        TrainingError: the file is not a checkpoint.
        RecipeError: the teacher predicts other maps or, with attention, has other hourglasses.
    """
    path = Path(run.distill.teacher)
    try:
        teacher = backend_of_checkpoint(path).engine().read_weights(path)
    except CheckpointError as error:
        raise TrainingError(f"distill.teacher: {error}") from None
    check_teacher(run.distill, teacher.name, teacher.architecture, run.config["model"]["name"], run.architecture)
    return teacher


def append_metrics_row(path: Path, row: dict, first: bool) -> None:
    """Add an epoch's row to ``metrics.csv`` (a new file with its header when ``first``)."""
    new = first or not path.exists()
    with open(path, "w" if new else "a", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            out.writeheader()
        out.writerow(row)


# --- the loop ------------------------------------------------------------------------------------------


class EpochLoop:
    """Train a prepared run with a backend's session: epochs, validation, best checkpoint, logs, clean stops.

    Args:
        run: from :func:`prepare_run`.
        session: the backend's side (:class:`edgelmk.backends.Session`).
        backend: the backend's row (checkpoint names).
        out_dir: where checkpoints and logs go.
        log: where progress lines go.
        on_step: called with the global step after each optimizer step (tests use it).

    Stops: a non-finite loss, a batch that does not fit in memory, or another process of the run
    gone, raise TrainingError and leave the last good ``last`` checkpoint as it was; Ctrl-C saves
    a resumable one first.
    """

    def __init__(self, run: PreparedRun, session: Session, backend: Backend, out_dir: str | Path,
                 log: Callable[[str], Any] = print, on_step: Callable[[int], Any] | None = None):
        self.run, self.session, self.backend = run, session, backend
        self.config, self.metric, self.val_crops = run.config, run.metric, run.val_crops
        self.processes = session.processes
        self.main = self.processes.launch.is_main  # the process that logs and writes files
        self.out_dir, self.on_step = Path(out_dir), on_step
        self.log = log if self.main else (lambda message: None)
        if len(self.val_crops) < self.processes.launch.world_size:
            raise TrainingError(f"the validation data has {len(self.val_crops)} samples, fewer than the "
                                f"{self.processes.launch.world_size} processes that share them; use fewer processes")
        self.epoch, self.batches_done, self.step = 0, 0, 0
        self.best: dict[str, Any] = {"value": None, "epoch": None}
        self.history: list[dict] = []

    @property
    def model(self) -> Any:
        """The network being trained (the backend's model object)."""
        return self.session.model

    # --- checkpoints ---

    def _state(self) -> dict[str, Any]:
        return {"recipe": self.config, "model_config": self.run.architecture, "epoch": self.epoch,
                "batches_done": self.batches_done, "step": self.step, "best": self.best, "history": self.history,
                "metric": self.metric, "edgelmk_version": __version__}

    def _save(self, name: str) -> None:
        if self.main:
            self.session.save(self.out_dir / name, self._state())

    def restore(self, path: Path) -> None:
        """Continue from a checkpoint of the same recipe (weights, optimizer and position)."""
        state = self.session.restore(path)
        self.epoch, self.batches_done, self.step = state["epoch"], state["batches_done"], state["step"]
        self.best, self.history = state["best"], state["history"]
        self.log(f"resumed from {path}: epoch {self.epoch + 1}, batch {self.batches_done} of "
                 f"{self.run.steps_per_epoch}")

    # --- training ---

    def _train_step(self, batch: Any) -> float:
        try:
            loss = self.session.train_step(batch, self.step)
        except Exception as error:
            if not (isinstance(error, MemoryError) or self.session.is_out_of_memory(error)):
                raise
            raise TrainingError(f"a batch of {self.config['data']['batch_size']} does not fit in memory on "
                                f"{self.session.description} ({str(error).splitlines()[0][:120]}); lower it with "
                                "--set data.batch_size=...") from None
        if not math.isfinite(loss):
            raise TrainingError(
                f"the loss became {loss} at epoch {self.epoch + 1}, step {self.step + 1}; training stopped and "
                f"{self.out_dir / self.backend.last} (the last good epoch) is kept. Likely cause: a learning rate "
                f"too high for this model (optim.lr = {self.config['optim']['lr']}); try --set optim.lr=... ten "
                "times smaller, or a warm-up (--set optim.warmup_epochs=1)")
        return loss

    def _train_epoch(self, epochs: int) -> float:
        losses = []
        with progress_bar(self.run.steps_per_epoch, f"epoch {self.epoch + 1}/{epochs}", unit="batch",
                          initial=self.batches_done) as bar:
            for batch in self.session.batches(self.epoch, self.batches_done):
                loss = self._train_step(batch)
                losses.append(loss)
                self.batches_done += 1
                self.step += 1
                bar.set_postfix(loss=f"{loss:.4f}", lr=f"{self.session.learning_rate():.2e}")
                bar.update(1)
                if self.on_step:
                    self.on_step(self.step)
        return float(np.mean(losses)) if losses else float("nan")

    def validate(self) -> dict[str, float]:
        """The metric report of the current weights on the validation crops (each process predicts every
        ``world_size``-th crop; all get every prediction)."""
        rank, world_size = self.processes.launch.rank, self.processes.launch.world_size
        images = np.stack([c["image"] for c in self.val_crops[rank::world_size]])
        try:
            if self.config["eval"]["flip_test"]:
                share = flip_averaged(self.session.predict_crops, images, self.run.skeleton.flip_index)
            else:
                share = self.session.predict_crops(images)
        except ValueError as error:  # the codec refuses NaN output: the weights diverged in the last steps
            share = error
        shares = self.processes.gather(share)
        failed = next((part for part in shares if isinstance(part, ValueError)), None)
        if failed:
            raise TrainingError(f"validation after epoch {self.epoch + 1} failed: {failed}. "
                                f"{self.out_dir / self.backend.last} (the last good epoch) is kept; try a smaller "
                                "optim.lr")
        predicted = np.empty((len(self.val_crops), *shares[0][0].shape[1:]), np.float32)
        scores = np.empty((len(self.val_crops), *shares[0][1].shape[1:]), np.float32)
        for part_rank, (part_keypoints, part_scores) in enumerate(shares):
            predicted[part_rank::world_size], scores[part_rank::world_size] = part_keypoints, part_scores
        return score(self.metric, self.run.skeleton, self.val_crops, predicted, scores, self.run.val_dataset)

    def fit(self) -> dict[str, float]:
        """Train to the last epoch; returns the final validation report.

        Raises:
            TrainingError: on a non-finite loss (the last good checkpoint is kept), when the
                batch does not fit in memory, or when another process of the run is gone.
            KeyboardInterrupt: after saving a resumable ``last`` checkpoint.
        """
        writer = None
        if self.main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            recipes.dump(self.config, self.out_dir / "recipe.yaml")
            writer = open_scalar_writer(self.out_dir / "tensorboard", self.log)
        epochs = self.config["optim"]["epochs"]
        report: dict[str, float] = {}
        try:
            while self.epoch < epochs:
                started = time.time()
                train_loss = self._train_epoch(epochs)
                train_seconds = time.time() - started
                report = self.validate()
                value = headline(self.metric, report)
                improved = improves(self.metric, value, self.best["value"])
                if improved:
                    self.best = {"value": value, "epoch": self.epoch + 1}
                row = {"epoch": self.epoch + 1, "train_loss": train_loss, "lr": self.session.learning_rate(),
                       "train_seconds": train_seconds, "seconds": time.time() - started, **report}
                self.history.append(row)
                self.epoch, self.batches_done = self.epoch + 1, 0
                self._save(self.backend.last)
                if improved:
                    self._save(self.backend.best)
                if self.main:
                    append_metrics_row(self.out_dir / "metrics.csv", row, first=self.epoch == 1)
                if writer:
                    writer.write(row)
                described = "  ".join(f"{key} {metric_value:.4f}" for key, metric_value in report.items())
                self.log(f"epoch {row['epoch']}/{epochs}  loss {train_loss:.4f}  {described}"
                         f"{'  (best)' if improved else ''}  {row['seconds']:.0f}s")
        except KeyboardInterrupt:
            self._save(self.backend.last)
            self.log(f"interrupted at epoch {self.epoch + 1}, batch {self.batches_done}; saved "
                     f"{self.out_dir / self.backend.last} - continue with --resume")
            raise
        except Exception as error:
            reason = self.processes.stop_reason(error)
            if reason is None:
                raise
            kept = (f"{self.out_dir / self.backend.last} (end of epoch {self.epoch}) is kept" if self.epoch
                    else "no epoch had finished, so there is no checkpoint yet")
            raise TrainingError(f"process {self.processes.launch.rank} stopped at epoch {self.epoch + 1}: {reason}; "
                                f"{kept}; continue with --resume (in any number of processes)") from None
        finally:
            if writer:
                writer.close()
        return report or self.validate()  # a resumed run that had already finished

    def mean_shape_baseline(self, count: int = 1000) -> dict[str, float]:
        """The validation metric of predicting the mean shape of (up to ``count``) training crops."""
        train_crops = crop_all(self.run.samples.dataset, eval_transform(self.config), limit=count)
        return mean_shape_baseline(train_crops, self.val_crops, self.metric, self.run.skeleton)


class Trainer(EpochLoop):
    """Train a recipe into ``out_dir`` with its backend (``model.backend``).

    Args:
        config: a resolved recipe (:func:`edgelmk.recipe.resolve`).
        out_dir: where checkpoints and logs go.
        resume: continue from ``out_dir/last<suffix>`` (the recipe must match the checkpoint's).
        device: torch device name (default CUDA when present, else CPU); the larq backend takes none.
        log: where progress lines go (``print`` by default).
        on_step: called with the global step after each optimizer step (tests use it).
    """

    def __init__(self, config: dict, out_dir: str | Path, resume: bool = False, device: str | None = None,
                 log: Callable[[str], Any] = print, on_step: Callable[[int], Any] | None = None):
        backend = backend_of(config)
        backend.check_distributed(launch_of().world_size)
        implementation = backend.engine()
        started = time.time()
        missing = recipes.missing_checkpoints(config, resuming=resume)
        if missing:
            raise recipes.RecipeError(missing[0])
        run = prepare_run(config)
        session = implementation.session(run, device)
        super().__init__(run, session, backend, out_dir, log, on_step)
        self.log(f"data: {len(run.samples)} training and {len(run.val_dataset)} validation samples "
                 f"({run.skeleton.name}, {run.skeleton.num_keypoints} keypoints); {session.description}; built in "
                 f"{time.time() - started:.1f}s")
        if resume:
            self.restore(self.out_dir / backend.last)
        elif config["model"].get("init_from"):
            initialise_from(session, run.architecture, config["model"]["init_from"], self.log)


def initialise_from(session: Session, architecture: dict[str, Any], path: str | Path,
                    log: Callable[[str], Any] = print) -> TransferPlan:
    """Start a session from the weights of a checkpoint of either backend that fit (``model.init_from``).

    Weights of the same name and shape load, a float checkpoint's conv weights become a binary
    model's latent weights, and the rest keeps its initialisation (:mod:`edgelmk.transfer`); the
    plan is logged.

    Raises:
        TrainingError: less than half of the model fits (another architecture), or the file is unreadable.
    """
    path = Path(path)
    try:
        weights, source_architecture, _ = backend_of_checkpoint(path).engine().read_weights(path)
    except CheckpointError as error:
        raise TrainingError(f"model.init_from: {error}") from None
    shapes = session.weight_shapes()
    plan = plan_transfer({name: value.shape for name, value in weights.items()}, shapes)
    differences = [f"{key} {source_architecture.get(key)!r} there, {value!r} here" for key, value in architecture.items()
                   if source_architecture.get(key) != value]
    check_plan(plan, shapes, str(path), ", ".join(differences) or "same architecture config")
    session.load_weights({name: weights[source] for name, source in plan.sources.items()})
    log(plan.report(str(path)))
    return plan


# --- trained models ----------------------------------------------------------------------------------


@dataclass
class TrainedModel:
    """A checkpoint's model in inference mode with its recipe and codec, for either backend."""

    model: Any
    config: dict
    codec: Any
    backend: Backend
    device: str | None = None

    @property
    def scheme(self) -> str:
        """The landmark scheme's name (the recipe's skeleton), as ``LandmarkModel.scheme``."""
        return recipe_skeleton(self.config).name

    def predict_crops(self, crops: np.ndarray, flip_test: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N, K, 2) in crop pixels and scores (N, K) for (N, H, W, 3) uint8 crops.

        Args:
            flip_test: also predict the mirrored crops and average the two (:func:`edgelmk.flip.flip_averaged`);
                None: the recipe's ``eval.flip_test``.
        """
        def predict(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return self.backend.engine().predict_crops(self.model, self.codec, images, self.device)

        if self.config["eval"]["flip_test"] if flip_test is None else flip_test:
            return flip_averaged(predict, crops, recipe_skeleton(self.config).flip_index)
        return predict(crops)

    def predict(self, image: np.ndarray, box: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (K, 2) in the image's pixels and scores (K,) for one box (x0, y0, x1, y1) of an RGB image."""
        k = self.model.config["num_keypoints"]
        sample = {"image": image, "keypoints": np.zeros((k, 2), np.float32), "visible": np.ones(k, np.float32),
                  "bbox": np.asarray(box, np.float32)}
        crop = eval_transform(self.config)(sample, np.random.default_rng(0))
        keypoints, scores = self.predict_crops(crop["image"][None])
        return to_original(keypoints[0], crop["matrix"]), scores[0]

    def evaluate(self) -> tuple[dict[str, float], int]:
        """The metric report on the recipe's validation data, and the number of samples."""
        dataset = build_dataset(self.config, "val")
        with progress_bar(len(dataset), "evaluating") as bar:
            crops = crop_all(dataset, eval_transform(self.config), bar.update)
        predicted, scores = self.predict_crops(np.stack([c["image"] for c in crops]))
        metric = metric_for(self.config, dataset.skeleton)
        return score(metric, dataset.skeleton, crops, predicted, scores, dataset), len(crops)


def load_checkpoint(path: str | Path, device: str | None = None, overrides: Sequence[str] = ()) -> TrainedModel:
    """The model of a checkpoint of either backend; recipe values overridable (``key=value``: data paths).

    Raises:
        CheckpointError: a missing, corrupt or foreign file, or weights that do not fit its recipe.
        RecipeError: overrides that make the recipe invalid (every problem named).
    """
    backend = backend_of_checkpoint(path)
    model, state = backend.engine().load(Path(path), device)
    config = state["recipe"]
    if overrides:
        config = recipes.resolve(recipes.apply_overrides(config, list(overrides)))
        validate.check(config)
    return TrainedModel(model, config, build_codec(config), backend, device)


def summary(config: dict) -> str:
    """A printable description of the network a resolved recipe trains, from its backend."""
    validate.check(config)
    architecture = model_architecture(config, recipe_skeleton(config).num_keypoints)
    return backend_of(config).engine().summary(config, architecture)
