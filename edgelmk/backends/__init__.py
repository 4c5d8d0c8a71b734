"""Training backends: one row per framework, each behind the same small protocol.

A row (:class:`Backend`) holds what can be known without importing the framework: its recipe
name (``model.backend``), its pip extra, its checkpoint suffix and the precisions it trains.
``backend.engine()`` imports the framework's module, whose ``ENGINE`` object gives everything
else (:class:`Engine`): a training :class:`Session` for :class:`edgelmk.engine.EpochLoop`,
checkpoint loading, prediction on crops, a model summary and the Keras mirror for export.

Adding a backend means adding one row here and one module with an ``ENGINE``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Protocol

import numpy as np

from edgelmk.architecture import KERAS_PRECISIONS, PRECISIONS
from edgelmk.errors import EdgelmkError, RecipeError, TrainingError
from edgelmk.processes import ProcessGroup
from edgelmk.registry import close_matches

if TYPE_CHECKING:
    from edgelmk.engine import PreparedRun


class CheckpointWeights(NamedTuple):
    """A checkpoint's weights, readable by either backend (``model.init_from``, ``distill.teacher``).

    Attributes:
        arrays: weights by PyTorch name, in PyTorch's layout (batch-norm statistics included).
        architecture: its architecture config (:mod:`edgelmk.architecture`).
        name: the architecture's name (the recipe's ``model.name``).
    """

    arrays: dict[str, np.ndarray]
    architecture: dict[str, Any]
    name: str


class Session(Protocol):
    """A backend's side of one training run; the epoch loop (:class:`edgelmk.engine.EpochLoop`) drives it.

    Attributes:
        model: the network being trained.
        description: where it runs, for the first log line (e.g. ``device cpu``).
        processes: the processes of the run (:mod:`edgelmk.processes`; one for most runs).
    """

    model: Any
    description: str
    processes: ProcessGroup

    def batches(self, epoch: int, skip: int) -> Iterable[Any]:
        """The batches of ``epoch`` (order seeded by (seed, epoch)) after the first ``skip``."""

    def train_step(self, batch: Any, step: int) -> float:
        """One optimizer step on a batch (``step`` steps done before it); its loss (the loop stops if not finite)."""

    def learning_rate(self) -> float:
        """The learning rate of the next step."""

    def predict_crops(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N, K, 2) in crop pixels and scores (N, K) for (N, H, W, 3) uint8 crops."""

    def save(self, path: Path, state: dict[str, Any]) -> None:
        """Write a checkpoint atomically: the weights and optimizer plus the loop's ``state``."""

    def restore(self, path: Path) -> dict[str, Any]:
        """Load weights and optimizer from a checkpoint; returns the loop state saved with them."""

    def is_out_of_memory(self, error: BaseException) -> bool:
        """Whether an exception of a training step means the batch did not fit in memory."""

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """The model's weights by PyTorch name (:mod:`edgelmk.transfer`), with their PyTorch-layout shapes."""

    def load_weights(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the named weights (PyTorch names and layout) before training; the others keep their values."""


class Engine(Protocol):
    """What a backend's module gives as ``ENGINE``."""

    def session(self, run: PreparedRun, device: str | None) -> Session:
        """A training session for a prepared run (``device``: None for the backend's default)."""

    def load(self, path: Path, device: str | None) -> tuple[Any, dict[str, Any]]:
        """(model in inference mode, checkpoint state with its ``recipe``) of a checkpoint."""

    def predict_crops(self, model: Any, codec: Any, crops: np.ndarray, device: str | None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N, K, 2) in crop pixels and scores (N, K) for (N, H, W, 3) uint8 crops."""

    def read_weights(self, path: Path) -> CheckpointWeights:
        """The weights of a checkpoint this backend wrote, for ``model.init_from`` and ``distill.teacher``."""

    def summary(self, config: dict, architecture: dict[str, Any]) -> str:
        """A printable description of the network a recipe trains."""

    def export_mirror(self, model: Any, architecture: str, output_activation: str) -> Any:
        """The Keras model equal to ``model`` of ``architecture`` (the recipe's ``model.name``; last stack, then
        ``output_activation``) for TFLite / LCE."""


@dataclass(frozen=True)
class Backend:
    """One training backend.

    Attributes:
        name: the recipe's ``model.backend``.
        label: its name in messages.
        extra: the pip extra that installs it.
        checkpoint_suffix: checkpoints are ``last<suffix>`` and ``best<suffix>``.
        precisions: the model precisions it trains.
        architectures: the ``model.name`` architectures it builds.
        module: the module whose ``ENGINE`` implements :class:`Engine`.
        options: the :data:`TRAINING_OPTIONS` it implements (the others must keep their defaults).
        decay_with_bop: whether ``optim.weight_decay`` applies to the real-valued weights under ``optim.name: bop``.
        distributed: whether it trains in several processes (torchrun).
    """

    name: str
    label: str
    extra: str
    checkpoint_suffix: str
    precisions: tuple[str, ...]
    architectures: tuple[str, ...]
    module: str
    options: tuple[tuple[str, str], ...]
    decay_with_bop: bool
    distributed: bool

    @property
    def last(self) -> str:
        return "last" + self.checkpoint_suffix

    @property
    def best(self) -> str:
        return "best" + self.checkpoint_suffix

    def engine(self) -> Engine:
        """The backend's implementation, imported now.

        Raises:
            EdgelmkError: when its framework is not installed, naming the extra.
        """
        try:
            return importlib.import_module(self.module).ENGINE
        except ImportError as error:
            raise EdgelmkError(f"the {self.label} backend needs its framework ({error}): pip install "
                               f"'edgelmk[{self.extra}]' -c constraints.txt") from None

    def check_precision(self, precision: str) -> None:
        """Raises RecipeError when this backend cannot train ``precision``, naming one that can."""
        if precision in self.precisions:
            return
        others = [b.name for b in BACKENDS.values() if precision in b.precisions]
        raise RecipeError(f"model.precision: the {self.name} backend trains {' and '.join(self.precisions)}; "
                          f"{precision} ({PRECISIONS.get(precision, 'unknown')}) needs model.backend={' or '.join(others) or '(none)'}")

    def check_architecture(self, architecture: str) -> None:
        """Raises RecipeError when this backend cannot build ``architecture`` (a ``model.name``), naming one that can."""
        if architecture in self.architectures:
            return
        others = [b.name for b in BACKENDS.values() if architecture in b.architectures]
        raise RecipeError(f"model.name: the {self.name} backend builds {' and '.join(self.architectures)}; "
                          f"{architecture!r} needs model.backend={' or '.join(others) or '(none)'}")

    def check_distributed(self, world_size: int) -> None:
        """Raises TrainingError when asked to train in several processes and this backend cannot."""
        if world_size > 1 and not self.distributed:
            raise TrainingError(
                f"the {self.label} backend trains in one process, and this run has {world_size}: TensorFlow's "
                "MirroredStrategy drives several GPUs from one process, not the processes torchrun starts, and "
                "edgelmk's Larq training loop does not run under a tf.distribute strategy. Train the same network "
                "with the torch backend on several devices (--set model.backend=torch) and export it with "
                "--target lce, or start a Larq run from it with --init")

    def option_problems(self, config: dict) -> list[str]:
        """A message for each :data:`TRAINING_OPTIONS` key this backend does not implement but the recipe sets, and
        for weight decay under Bop where it has none."""
        from edgelmk.recipe import DEFAULTS

        problems = [f"{section}.{key}: the {self.name} backend does not implement it (the torch backend does, and "
                    f"trains the same networks); leave it at {DEFAULTS[section][key]!r} or --set model.backend=torch"
                    for section, key in TRAINING_OPTIONS
                    if (section, key) not in self.options and config[section][key] != DEFAULTS[section][key]]
        if config["optim"]["name"] == "bop" and config["optim"]["weight_decay"] and not self.decay_with_bop:
            problems.append("optim.weight_decay: with bop the larq backend trains the real-valued weights with Adam "
                            "without weight decay (Larq's CaseOptimizer takes legacy Keras optimizers only); set it to 0")
        return problems


#: speed and memory options of training, by (section, key) of the recipe
TRAINING_OPTIONS = (("data", "micro_batch_size"), ("optim", "amp"), ("optim", "channels_last"),
                    ("optim", "sync_batchnorm"))

BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (
    Backend("torch", "PyTorch", "torch", ".pt", tuple(PRECISIONS), ("hourglass", "mobile"),
            "edgelmk.backends.torch_engine", TRAINING_OPTIONS, decay_with_bop=True, distributed=True),
    Backend("larq", "Keras + Larq", "tflite", ".larq.npz", KERAS_PRECISIONS, ("hourglass",),
            "edgelmk.backends.larq_engine", (), decay_with_bop=False, distributed=False),
)}
DEFAULT = "torch"


def backend_named(name: str) -> Backend:
    """The row of a ``model.backend`` name (RecipeError listing the known ones)."""
    if name not in BACKENDS:
        raise RecipeError(f"model.backend must be one of {', '.join(BACKENDS)}, got {name!r}."
                          f"{close_matches(str(name), list(BACKENDS))}")
    return BACKENDS[name]


def backend_of(config: dict) -> Backend:
    """The backend a resolved recipe trains with."""
    return backend_named(config["model"].get("backend", DEFAULT))


def backend_of_checkpoint(path: str | Path) -> Backend:
    """The backend that wrote a checkpoint, by its suffix (the default backend for other names)."""
    by_length = sorted(BACKENDS.values(), key=lambda backend: -len(backend.checkpoint_suffix))
    return next((b for b in by_length if str(path).endswith(b.checkpoint_suffix)), BACKENDS[DEFAULT])
