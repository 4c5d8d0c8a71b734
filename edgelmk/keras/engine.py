"""Training and evaluation with Keras + Larq (``model.backend: larq``).

The same recipe, data pipeline, codecs, schedule and metrics as the PyTorch engine
(:mod:`edgelmk.training`), the same hourglass (:func:`edgelmk.keras.hourglass.build_hourglass`:
Larq ``QuantConv2D`` with ``ste_sign`` on inputs and kernels, ``weight_clip``, ``pad_values=1``)
and the same losses (:mod:`edgelmk.keras.losses`). Needs the ``tflite`` extra, not torch.

Reproducibility: each sample's randomness is seeded by ``(seed, epoch, index)`` and each
epoch's order by ``(seed, epoch)``, so a resumed run sees the batches an uninterrupted one
would. Files in the output folder: ``last.larq.npz`` (every epoch, and on Ctrl-C),
``best.larq.npz``, ``recipe.yaml``, ``metrics.csv`` and TensorBoard events in ``tensorboard/``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgelmk import __version__, training
from edgelmk import recipe as recipes
from edgelmk.checkpoint import CheckpointError, check_same_recipe
from edgelmk.codecs import OUTPUT_ACTIVATIONS
from edgelmk.codecs.dsnt import flat_softmax
from edgelmk.keras import checkpoint as checkpoints
from edgelmk.keras.hourglass import KERAS_PRECISIONS, build_hourglass
from edgelmk.keras.layers import keras, tf
from edgelmk.keras.losses import build_loss
from edgelmk.progress import progress_bar

LAST = "last" + checkpoints.SUFFIX
BEST = "best" + checkpoints.SUFFIX
BLOCKS = ("hpm", "bottleneck")
MODEL_KEYS = {"name", "backend", "precision", "block", "width", "depth", "stacks", "mean", "std"}


@dataclass
class LarqModel:
    """A trained Keras hourglass: ``keras_model`` returns every stack's raw maps; ``config`` as in PyTorch."""

    config: dict[str, Any]
    keras_model: Any


def model_config(config: dict, num_keypoints: int) -> dict[str, Any]:
    """The architecture of a recipe for this backend (RecipeError for what it cannot train)."""
    model = config["model"]
    unknown = sorted(set(model) - MODEL_KEYS)
    if model["name"] != "hourglass" or unknown:
        raise recipes.RecipeError(f"model: the larq backend trains the hourglass with {', '.join(sorted(MODEL_KEYS))}"
                                  f"; got name {model['name']!r}" + (f" and {', '.join(unknown)}" if unknown else ""))
    if model["precision"] not in KERAS_PRECISIONS:
        raise recipes.RecipeError(f"model.precision: the larq backend trains {' and '.join(KERAS_PRECISIONS)}; "
                                  f"{model['precision']} (Brevitas int8) needs model.backend=torch")
    if model["block"] not in BLOCKS:
        raise recipes.RecipeError(f"model.block must be one of {', '.join(BLOCKS)}, got {model['block']!r}")
    options = {key: model[key] for key in ("mean", "std") if key in model}
    return training._from_recipe("model", lambda: training.hourglass_config(
        num_keypoints, config["data"]["input_hw"], config["codec"]["heatmap_hw"], model["precision"],
        model["block"], model["width"], model["depth"], model["stacks"], **options))


def build_optimizer(config: dict):
    """Adam, AdamW or SGD (momentum 0.9) from ``optim``; Keras applies weight decay decoupled (AdamW-style)."""
    optim = config["optim"]
    decay = optim["weight_decay"] or None
    if optim["name"] == "sgd":
        return keras.optimizers.SGD(optim["lr"], momentum=0.9, weight_decay=decay)
    optimizer_class = keras.optimizers.AdamW if optim["name"] == "adamw" else keras.optimizers.Adam
    return optimizer_class(optim["lr"], weight_decay=decay)


def predict_crops(model: LarqModel, codec, images: np.ndarray, batch_size: int = 64
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (N, K, 2) in crop pixels and scores (N, K) for (N, H, W, 3) uint8 crops (last stack)."""
    keypoints, scores = [], []
    for start in range(0, len(images), batch_size):
        outputs = model.keras_model(images[start:start + batch_size].astype(np.float32), training=False)
        maps = np.asarray(outputs[-1] if isinstance(outputs, (list, tuple)) else outputs).transpose(0, 3, 1, 2)
        if OUTPUT_ACTIVATIONS.get(codec.name) == "spatial_softmax":
            maps = flat_softmax(maps)
        decoded, score = codec.decode(maps.astype(np.float32))
        keypoints.append(decoded)
        scores.append(score)
    return np.concatenate(keypoints), np.concatenate(scores)


def load_checkpoint(path: str | Path, overrides=()) -> tuple[LarqModel, dict, Any]:
    """(model, resolved recipe, codec) of a ``.larq.npz`` checkpoint; recipe values overridable (data paths)."""
    state, weights, _ = checkpoints.load(path)
    config = state["recipe"]
    if overrides:
        config = recipes.resolve(recipes.apply_overrides(config, list(overrides)))
    keras_model = build_hourglass(state["model_config"], all_stacks=True)
    _set_weights(keras_model, weights, state["weight_names"], Path(path), CheckpointError)
    return LarqModel(state["model_config"], keras_model), config, training.build_codec(config)


def _set_weights(keras_model, weights: list, names: list[str], path: Path, error: type) -> None:
    expected = [w.name for w in keras_model.weights]
    shapes = [tuple(w.shape) for w in keras_model.weights]
    if names != expected or [tuple(w.shape) for w in weights] != shapes:
        raise error(f"{path}: its weights do not fit the recipe's model (another architecture or edgelmk version)")
    keras_model.set_weights(weights)


class LarqTrainer(training.EpochLoop):
    """Train a recipe with Keras + Larq into ``out_dir``; the interface of :class:`edgelmk.engine.Trainer`.

    Args:
        config: a resolved recipe with ``model.backend: larq``.
        out_dir: where checkpoints and logs go.
        resume: continue from ``out_dir/last.larq.npz`` (the recipe must match the checkpoint's).
        log: where progress lines go.
        on_step: called with the global step after each optimizer step (tests use it).
    """

    LAST, BEST = LAST, BEST  # the module-level file names

    def __init__(self, config: dict, out_dir: str | Path, resume: bool = False, log: Callable[[str], Any] = print,
                 on_step: Callable[[int], Any] | None = None):
        self.config, self.out_dir, self.log, self.on_step = config, Path(out_dir), log, on_step
        keras.utils.set_random_seed(config["seed"] % 2**32)
        started = time.time()
        train_data, val_data = training.build_dataset(config, "train"), training.build_dataset(config, "val")
        self.skeleton = train_data.skeleton
        if val_data.skeleton != self.skeleton:
            raise recipes.RecipeError(f"data.train ({self.skeleton.name}) and data.val ({val_data.skeleton.name}) "
                                      "have different keypoint layouts")
        self.codec = training.build_codec(config)
        self.loss = training._from_recipe("loss", lambda: build_loss(self.codec.name, config["loss"]))
        architecture = model_config(config, self.skeleton.num_keypoints)
        self.model = LarqModel(architecture, build_hourglass(architecture, all_stacks=True))
        self.metric = training.metric_for(config, self.skeleton)
        self.val_dataset = val_data
        self.log(f"data: {len(train_data)} training and {len(val_data)} validation samples "
                 f"({self.skeleton.name}, {self.skeleton.num_keypoints} keypoints); Keras + Larq on "
                 f"{'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}; built in {time.time() - started:.1f}s")
        if config["data"]["cache"]:
            with progress_bar(len(train_data), "caching training samples") as bar:
                train_data = training.CachedDataset(train_data, bar.update)
        self.stream = training.SampleEncoder(train_data, training.train_transform(config, self.skeleton), self.codec,
                                             config["seed"])
        with progress_bar(len(val_data), "preparing validation crops") as bar:
            self.val_crops = training.crop_all(val_data, training.eval_transform(config), bar.update)

        self.steps_per_epoch = len(self.stream) // config["data"]["batch_size"]
        if self.steps_per_epoch < 1:
            raise recipes.RecipeError(f"data.batch_size {config['data']['batch_size']} exceeds the "
                                      f"{len(self.stream)} training samples")
        self.lr_factor = training.lr_factor(config, self.steps_per_epoch)
        self.optimizer = build_optimizer(config)
        self.optimizer.build(self.model.keras_model.trainable_variables)
        self._train_step = tf.function(self._step_graph)
        self.epoch, self.batches_done, self.step = 0, 0, 0
        self.best: dict[str, Any] = {"value": None, "epoch": None}
        self.history: list[dict] = []
        if resume:
            self._restore(self.out_dir / LAST)

    # --- checkpoints ---

    def _save(self, name: str) -> Path:
        keras_model = self.model.keras_model
        state = {"recipe": self.config, "model_config": self.model.config, "backend": "larq",
                 "weight_names": [w.name for w in keras_model.weights], "epoch": self.epoch,
                 "batches_done": self.batches_done, "step": self.step, "best": self.best, "history": self.history,
                 "metric": self.metric, "edgelmk_version": __version__}
        optimizer = [np.asarray(v) for v in self.optimizer.variables()]
        return checkpoints.save_atomic(self.out_dir / name, state, keras_model.get_weights(), optimizer)

    def _restore(self, path: Path) -> None:
        try:
            state, weights, optimizer = checkpoints.load(path)
        except CheckpointError as error:
            raise training.TrainingError(str(error)) from None
        check_same_recipe(state["recipe"], self.config, path)
        _set_weights(self.model.keras_model, weights, state["weight_names"], path, training.TrainingError)
        for variable, value in zip(self.optimizer.variables(), optimizer):
            variable.assign(value)
        self.epoch, self.batches_done, self.step = state["epoch"], state["batches_done"], state["step"]
        self.best, self.history = state["best"], state["history"]
        self.log(f"resumed from {path}: epoch {self.epoch + 1}, batch {self.batches_done} of {self.steps_per_epoch}")

    # --- the loop ---

    def _learning_rate(self) -> float:
        return float(self.optimizer.learning_rate)

    def _open_scalar_writer(self):
        return tf.summary.create_file_writer(str(self.out_dir / "tensorboard"))

    def _write_scalars(self, writer, row: dict) -> None:
        """An epoch's row as TensorBoard scalars.

        Written with TensorFlow's core ``tf.summary.write`` and the scalar plugin's metadata, not
        ``tf.summary.scalar``: a PyTorch run earlier in the process may have made TensorBoard's
        TensorFlow shim a stub (``engine.Trainer._open_scalar_writer``), which ``tf.summary.scalar`` needs.
        """
        from tensorboard.plugins.scalar.metadata import create_summary_metadata

        metadata = create_summary_metadata(display_name=None, description=None).SerializeToString()
        with writer.as_default():
            for key, value in row.items():
                if key != "epoch":
                    tf.summary.write(key, tf.constant(value, tf.float32), step=row["epoch"], metadata=metadata)
        writer.flush()

    def _batch(self, items: list[dict]) -> dict:
        batch = {"image": np.stack([item["image"] for item in items]).astype(np.float32),
                 "heatmaps": np.stack([item["heatmaps"] for item in items]).transpose(0, 2, 3, 1),
                 "weights": np.stack([item["weights"] for item in items])}
        if "coords" in items[0]:
            batch["coords"] = np.stack([item["coords"] for item in items])
        return {key: tf.convert_to_tensor(value) for key, value in batch.items()}

    def _step_graph(self, batch: dict):
        keras_model = self.model.keras_model
        with tf.GradientTape() as tape:
            loss = self.loss(keras_model(batch["image"], training=True), batch)
        gradients = tape.gradient(loss, keras_model.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, keras_model.trainable_variables))
        return loss

    def _train_epoch(self, epochs: int) -> float:
        self.stream.epoch = self.epoch
        batch_size = self.config["data"]["batch_size"]
        order = np.random.default_rng([self.config["seed"], self.epoch]).permutation(len(self.stream))
        losses = []
        base_lr = self.config["optim"]["lr"]
        with ThreadPoolExecutor(max(1, self.config["data"]["workers"])) as pool, \
                progress_bar(self.steps_per_epoch, f"epoch {self.epoch + 1}/{epochs}", unit="batch",
                             initial=self.batches_done) as bar:
            while self.batches_done < self.steps_per_epoch:
                indices = order[self.batches_done * batch_size:(self.batches_done + 1) * batch_size]
                batch = self._batch(list(pool.map(self.stream.item, indices)))
                self.optimizer.learning_rate.assign(base_lr * self.lr_factor(self.step))
                loss = float(self._train_step(batch))
                if not np.isfinite(loss):
                    raise training.TrainingError(
                        f"the loss became {loss} at epoch {self.epoch + 1}, step {self.step + 1}; training stopped "
                        f"and {self.out_dir / LAST} (the last good epoch) is kept. Likely cause: a learning rate too "
                        f"high (optim.lr = {base_lr}); try --set optim.lr=... ten times smaller")
                losses.append(loss)
                self.batches_done += 1
                self.step += 1
                bar.set_postfix(loss=f"{loss:.4f}", lr=f"{float(self.optimizer.learning_rate):.2e}")
                bar.update(1)
                if self.on_step:
                    self.on_step(self.step)
        return float(np.mean(losses)) if losses else float("nan")

    def validate(self) -> dict[str, float]:
        images = np.stack([c["image"] for c in self.val_crops])
        try:
            predicted, scores = predict_crops(self.model, self.codec, images)
        except ValueError as error:
            raise training.TrainingError(f"validation after epoch {self.epoch + 1} failed: {error}. "
                                         f"{self.out_dir / LAST} (the last good epoch) is kept; try a smaller "
                                         "optim.lr") from None
        return training.score(self.metric, self.skeleton, self.val_crops, predicted, scores, self.val_dataset)
