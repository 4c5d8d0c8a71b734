"""The Keras + Larq backend (``model.backend: larq``): the hourglass with Larq quantizers, ``.larq.npz`` checkpoints.

The same recipe, data pipeline, codecs, schedule and metrics as the PyTorch backend
(:mod:`edgelmk.engine`), the same hourglass (:func:`edgelmk.keras.hourglass.build_hourglass`:
Larq ``QuantConv2D`` with ``ste_sign`` on inputs and kernels, ``weight_clip``, ``pad_values=1``)
and the same losses (:mod:`edgelmk.keras.losses`). Needs the ``tflite`` extra, not torch.
:data:`ENGINE` implements :class:`edgelmk.backends.Engine`.

Epoch order comes from numpy, seeded by ``(seed, epoch)``; data workers are threads.
Checkpoints (:mod:`edgelmk.keras.checkpoint`) hold the loop's state, the weights and the
optimizer variables.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgelmk import recipe as recipes
from edgelmk.backends import CheckpointWeights
from edgelmk.checkpoint import check_same_recipe
from edgelmk.codecs.dsnt import flat_softmax
from edgelmk.distill import attention_points
from edgelmk.engine import PreparedRun, lr_factor, read_teacher
from edgelmk.errors import CheckpointError, RecipeError, TrainingError
from edgelmk.keras import checkpoint as checkpoints
from edgelmk.keras.distill import Distillation, teacher_model, with_features
from edgelmk.keras.hourglass import build_hourglass
from edgelmk.keras.weights import copy_weights_by_name, set_torch_layout_weights, torch_layout_weights
from edgelmk.keras.layers import keras, lq, tf
from edgelmk.keras.losses import build_loss
from edgelmk.processes import SINGLE_PROCESS


@dataclass
class LarqModel:
    """A trained Keras hourglass: ``keras_model`` returns every stack's raw maps; ``config`` as in PyTorch."""

    config: dict[str, Any]
    keras_model: Any


def build_optimizer(config: dict):
    """Adam, AdamW or SGD (momentum 0.9) from ``optim``; Keras applies weight decay decoupled (AdamW-style).

    ``bop``: Larq's Bop (Helwegen et al., NeurIPS 2019, https://arxiv.org/abs/1906.02107) for the
    binary convolutions' kernels, kept at +-1 (so each channel's mean |kernel| scale is 1), flipped
    when the moving average of their gradients (rate ``bop_gamma``) passes ``bop_threshold`` against
    the weight's sign; Adam at ``optim.lr`` trains the rest. Larq's CaseOptimizer takes only legacy
    Keras optimizers (the PyTorch backend's twin: :mod:`edgelmk.nn.bop`).
    """
    optim = config["optim"]
    if optim["name"] == "bop":
        bop = lq.optimizers.Bop(threshold=optim["bop_threshold"], gamma=optim["bop_gamma"])
        return lq.optimizers.CaseOptimizer((lq.optimizers.Bop.is_binary_variable, bop),
                                           default_optimizer=keras.optimizers.legacy.Adam(optim["lr"]))
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
        if codec.output_activation == "spatial_softmax":
            maps = flat_softmax(maps)
        decoded, score = codec.decode(maps.astype(np.float32))
        keypoints.append(decoded)
        scores.append(score)
    return np.concatenate(keypoints), np.concatenate(scores)


def _as_list(outputs) -> list:
    """A Keras model's outputs as a list (a model of one output returns the tensor itself)."""
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _set_weights(keras_model, weights: list, names: list[str], path: Path, error: type) -> None:
    expected = [w.name for w in keras_model.weights]
    shapes = [tuple(w.shape) for w in keras_model.weights]
    if names != expected or [tuple(w.shape) for w in weights] != shapes:
        raise error(f"{path}: its weights do not fit the recipe's model (another architecture or edgelmk version)")
    keras_model.set_weights(weights)


class LarqSession:
    """One training run in Keras + Larq (see :class:`edgelmk.backends.Session`)."""

    def __init__(self, run: PreparedRun, device: str | None):
        if device:
            raise RecipeError("the larq backend runs where TensorFlow puts it; leave --device out")
        self.run, self.processes = run, SINGLE_PROCESS
        keras.utils.set_random_seed(run.config["seed"] % 2**32)
        self.model = LarqModel(run.architecture, build_hourglass(run.architecture, all_stacks=True))
        self.description = f"Keras + Larq on {'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}"
        self.loss = build_loss(run.loss)
        self.distillation = self._distillation() if run.distill else None
        self.lr_factor = lr_factor(run.config, run.steps_per_epoch)
        self.optimizer = build_optimizer(run.config)
        variables = self.model.keras_model.trainable_variables
        if isinstance(self.optimizer, lq.optimizers.CaseOptimizer):  # legacy optimizers make their slots on a step:
            self.optimizer.apply_gradients([(tf.zeros_like(v), v) for v in variables])  # one that changes nothing
        else:
            self.optimizer.build(variables)
        self._step_function = tf.function(self._step_graph)

    def _distillation(self) -> tuple[Distillation, Any, Any, int]:
        """(the loss, the student returning its stacks' maps then its features, the teacher returning the same,
        the number of attention points)."""
        run = self.run
        points = attention_points(run.config["model"]["name"], run.architecture) if run.distill.attention else []
        softmax = run.codec.output_activation == "spatial_softmax"
        return (Distillation(run.distill, self.loss, softmax), with_features(self.model.keras_model, points),
                teacher_model(read_teacher(run), points), len(points))

    def batches(self, epoch: int, skip: int):
        samples = self.run.samples
        batch_size = self.run.config["data"]["batch_size"]
        order = np.random.default_rng([self.run.config["seed"], epoch]).permutation(len(samples))
        with ThreadPoolExecutor(max(1, self.run.config["data"]["workers"])) as pool:
            for done in range(skip, self.run.steps_per_epoch):
                indices = order[done * batch_size:(done + 1) * batch_size]
                yield self._batch(list(pool.map(samples.item, indices, [epoch] * len(indices))))

    @staticmethod
    def _batch(items: list[dict]) -> dict:
        batch = {"image": np.stack([item["image"] for item in items]).astype(np.float32),
                 "heatmaps": np.stack([item["heatmaps"] for item in items]).transpose(0, 2, 3, 1),
                 "weights": np.stack([item["weights"] for item in items])}
        if "coords" in items[0]:
            batch["coords"] = np.stack([item["coords"] for item in items])
        return {key: tf.convert_to_tensor(value) for key, value in batch.items()}

    def _loss(self, batch: dict):
        keras_model = self.model.keras_model
        if self.distillation is None:
            return self.loss(keras_model(batch["image"], training=True), batch)
        loss, student, teacher, points = self.distillation
        outputs, teacher_outputs = (_as_list(student(batch["image"], training=True)),
                                    _as_list(teacher(batch["image"], training=False)))
        maps, teacher_maps = len(outputs) - points, len(teacher_outputs) - points  # then the features
        return loss(outputs[:maps], outputs[maps:], teacher_outputs[teacher_maps - 1], teacher_outputs[teacher_maps:],
                    batch)

    def _step_graph(self, batch: dict):
        keras_model = self.model.keras_model
        with tf.GradientTape() as tape:
            loss = self._loss(batch)
        gradients = tape.gradient(loss, keras_model.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, keras_model.trainable_variables))
        return loss

    def _learning_rate(self):
        """The learning-rate variable of the optimizer (with Bop: of the Adam that trains the real-valued weights)."""
        optimizer = self.optimizer
        return optimizer.default.learning_rate if isinstance(optimizer, lq.optimizers.CaseOptimizer) \
            else optimizer.learning_rate

    def _optimizer_variables(self) -> list:
        optimizer = self.optimizer
        return optimizer.weights if isinstance(optimizer, lq.optimizers.CaseOptimizer) else optimizer.variables()

    def train_step(self, batch: dict, step: int) -> float:
        self._learning_rate().assign(self.run.config["optim"]["lr"] * self.lr_factor(step))
        return float(self._step_function(batch))

    def learning_rate(self) -> float:
        return float(self._learning_rate())

    def predict_crops(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return predict_crops(self.model, self.run.codec, images)

    def is_out_of_memory(self, error: BaseException) -> bool:
        return isinstance(error, tf.errors.ResourceExhaustedError)

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: value.shape for name, value in torch_layout_weights(self.model.keras_model).items()}

    def load_weights(self, arrays: dict[str, np.ndarray]) -> None:
        set_torch_layout_weights(self.model.keras_model, arrays)

    def save(self, path: Path, state: dict[str, Any]) -> None:
        keras_model = self.model.keras_model
        state = {**state, "backend": "larq", "weight_names": [w.name for w in keras_model.weights]}
        optimizer = [np.asarray(v) for v in self._optimizer_variables()]
        checkpoints.save_atomic(path, state, keras_model.get_weights(), optimizer)

    def restore(self, path: Path) -> dict[str, Any]:
        try:
            state, weights, optimizer = checkpoints.load(path)
        except CheckpointError as error:
            raise TrainingError(str(error)) from None
        check_same_recipe(recipes.upgrade(state["recipe"]), self.run.config, path)
        _set_weights(self.model.keras_model, weights, state["weight_names"], path, TrainingError)
        for variable, value in zip(self._optimizer_variables(), optimizer):
            variable.assign(value)
        return state


class LarqEngine:
    """The Keras + Larq backend's :class:`edgelmk.backends.Engine`."""

    def session(self, run: PreparedRun, device: str | None) -> LarqSession:
        return LarqSession(run, device)

    def load(self, path: Path, device: str | None) -> tuple[LarqModel, dict[str, Any]]:
        state, weights, _ = checkpoints.load(path)
        state["recipe"] = recipes.upgrade(state["recipe"])
        keras_model = build_hourglass(state["model_config"], all_stacks=True)
        _set_weights(keras_model, weights, state["weight_names"], path, CheckpointError)
        return LarqModel(state["model_config"], keras_model), state

    def read_weights(self, path: Path) -> CheckpointWeights:
        model, state = self.load(path, None)
        return CheckpointWeights(torch_layout_weights(model.keras_model), model.config, state["recipe"]["model"]["name"])

    def predict_crops(self, model: LarqModel, codec, crops: np.ndarray, device: str | None
                      ) -> tuple[np.ndarray, np.ndarray]:
        return predict_crops(model, codec, crops)

    def summary(self, config: dict, architecture: dict[str, Any]) -> str:
        """``larq.models.summary``: per layer, binarized vs float parameters, memory and MACs."""
        text = io.StringIO()
        lq.models.summary(build_hourglass(architecture, all_stacks=True), print_fn=lambda line: print(line, file=text))
        return text.getvalue().rstrip()

    def export_mirror(self, model: LarqModel, architecture: str, output_activation: str):
        mirror = build_hourglass(model.config, output_activation)  # the one architecture this backend trains
        copy_weights_by_name(model.keras_model, mirror)
        return mirror


ENGINE = LarqEngine()
