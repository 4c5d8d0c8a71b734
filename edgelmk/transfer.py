"""Fine-tuning: which weights of a checkpoint go where in a new model (``model.init_from``).

Both backends name their weights the PyTorch way (``stem.3.skip.0.weight``, OIHW kernels; the
Larq backend converts, :func:`edgelmk.keras.weights.torch_layout_weights`), so one plan
serves every pair of backends. A model tensor takes the checkpoint tensor:

1. of the same name and shape (``loaded``);
2. else, of the same place in the network under another precision (``renamed``): a float conv
   unit is ``norm, relu, conv`` where a binary one is ``norm, conv``, so ``...first.2.weight``
   of an fp32 checkpoint is the latent weight ``...first.1.weight`` of a w1a1 model. Names
   that differ only in their layer numbers are paired in network order;
3. else it keeps its fresh initialisation (``skipped``, with the reason: e.g. a head for
   another number of keypoints).

Checkpoint tensors that found no place are ``unused``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from edgelmk.errors import TrainingError

Shape = Sequence[int]

#: below this share of the model's values loaded, the checkpoint is another architecture
MIN_LOADED_FRACTION = 0.5


def _place(name: str) -> str:
    """A tensor's name with its layer numbers blanked: the same place under every precision."""
    return re.sub(r"(?<=\.)\d+(?=\.)", "#", name)


@dataclass
class TransferPlan:
    """Model tensor name -> checkpoint tensor name, and what was left out (see the module docstring)."""

    loaded: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)

    @property
    def sources(self) -> dict[str, str]:
        """Every model tensor that takes a checkpoint tensor, with that tensor's name."""
        return {**{name: name for name in self.loaded}, **self.renamed}

    def report(self, source: str) -> str:
        """Lines for the training log: counts, then what was renamed, skipped and unused (a few of each)."""
        lines = [f"initialised from {source}: {len(self.loaded)} tensors loaded, {len(self.renamed)} taken from "
                 f"another precision's layer, {len(self.skipped)} reinitialised, {len(self.unused)} checkpoint "
                 "tensors unused"]
        for title, entries in (("from another precision", [f"{k} <- {v}" for k, v in self.renamed.items()]),
                               ("reinitialised", [f"{k}: {v}" for k, v in self.skipped.items()]),
                               ("unused", self.unused)):
            if entries:
                more = f" ... and {len(entries) - 3} more" if len(entries) > 3 else ""
                lines.append(f"  {title}: {'; '.join(entries[:3])}{more}")
        return "\n".join(lines)


def plan_transfer(checkpoint: Mapping[str, Shape], model: Mapping[str, Shape]) -> TransferPlan:
    """Match a checkpoint's tensors (name -> shape) to a model's, in the model's order."""
    plan = TransferPlan()
    left_model, left_checkpoint = [], [name for name in checkpoint if name not in model]
    for name, shape in model.items():
        if name in checkpoint and tuple(checkpoint[name]) == tuple(shape):
            plan.loaded.append(name)
        elif name in checkpoint:
            plan.skipped[name] = f"shape {tuple(checkpoint[name])} in the checkpoint, {tuple(shape)} here"
        else:
            left_model.append(name)
    by_place: dict[str, list[str]] = {}
    for name in left_checkpoint:
        by_place.setdefault(_place(name), []).append(name)
    model_by_place: dict[str, list[str]] = {}
    for name in left_model:
        model_by_place.setdefault(_place(name), []).append(name)
    for place, names in model_by_place.items():
        candidates = by_place.pop(place, [])
        if len(candidates) != len(names):
            plan.skipped.update({name: "not in the checkpoint" for name in names})
            plan.unused += candidates
            continue
        for name, candidate in zip(names, candidates):
            if tuple(checkpoint[candidate]) == tuple(model[name]):
                plan.renamed[name] = candidate
            else:
                plan.skipped[name] = f"{candidate} has shape {tuple(checkpoint[candidate])}, {tuple(model[name])} here"
                plan.unused.append(candidate)
    plan.unused += [name for names in by_place.values() for name in names]
    plan.unused += [name for name in plan.skipped if name in checkpoint]
    return plan


def _size(shape: Shape) -> int:
    count = 1
    for side in shape:
        count *= int(side)
    return count


def check_plan(plan: TransferPlan, model: Mapping[str, Shape], source: str, describe_difference: str) -> None:
    """Refuse a checkpoint of which less than :data:`MIN_LOADED_FRACTION` of the model's values would load.

    Raises:
        TrainingError: naming the checkpoint, what differs, and the first tensors that do not fit.
    """
    total = sum(_size(shape) for shape in model.values())
    loaded = sum(_size(model[name]) for name in plan.sources)
    if total and loaded / total >= MIN_LOADED_FRACTION:
        return
    examples = "; ".join(f"{name}: {reason}" for name, reason in list(plan.skipped.items())[:3])
    raise TrainingError(f"model.init_from {source}: only {loaded / max(total, 1):.0%} of this model's weights fit "
                        f"the checkpoint's network ({describe_difference}); e.g. {examples}. Initialise from a "
                        "checkpoint of the same architecture (model.name, block, width, depth, stacks), or leave "
                        "model.init_from out")
