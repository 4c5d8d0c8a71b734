"""Distillation in PyTorch: the total loss of a run with a teacher (defined in :mod:`edgelmk.distill`).

Shapes: student and teacher outputs are lists of per-stack raw maps (N, K, h, w); features at
the attention points are (N, C, h / 2**i, w / 2**i), C may differ between the two networks.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from edgelmk.distill import DistillSpec
from edgelmk.nn.decoders import output_activation
from edgelmk.nn.losses import StackLoss, build_loss


class FeatureTap:
    """The outputs of named submodules in the last forward pass of a model (forward hooks).

    Args:
        model: the network.
        names: submodule names (``model.named_modules()``), in the order :meth:`features` returns them.
    """

    def __init__(self, model: nn.Module, names: Sequence[str]):
        self.names, self.outputs = list(names), {}
        modules = dict(model.named_modules())
        for name in self.names:
            modules[name].register_forward_hook(self._keeper(name))

    def _keeper(self, name: str):
        def keep(module, inputs, output):
            self.outputs[name] = output

        return keep

    def features(self) -> list[torch.Tensor]:
        return [self.outputs[name] for name in self.names]


def attention_map(features: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) features -> (N, H * W) unit-norm spatial energy (mean over channels of the squares)."""
    return F.normalize(features.float().square().mean(dim=1).flatten(1), dim=1)


def attention_loss(student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor]) -> torch.Tensor:
    """Mean over points and samples of the L2 distance between the attention maps of student and teacher."""
    return torch.stack([(attention_map(s) - attention_map(t)).norm(dim=1).mean() for s, t in zip(student, teacher)]
                       ).mean()


class Distillation:
    """The loss of a distilled run: ground truth, teacher maps and (optionally) attention maps, weighted by ``spec``.

    Args:
        spec: the checked ``distill`` section.
        ground_truth: the run's own loss.
        codec_name: the codec (its output activation turns the teacher's raw maps into targets).
        student, teacher: the two networks; the teacher is put in inference mode and frozen here.
        points: the attention points (:func:`edgelmk.distill.attention_points`), used when ``spec.attention``.
    """

    def __init__(self, spec: DistillSpec, ground_truth: StackLoss, codec_name: str, student: nn.Module,
                 teacher: nn.Module, points: Sequence[str]):
        self.spec, self.ground_truth, self.codec_name = spec, ground_truth, codec_name
        self.teacher = teacher.eval().requires_grad_(False)
        self.soft = build_loss({"name": spec.soft_loss})
        self.taps = (FeatureTap(student, points), FeatureTap(self.teacher, points)) if spec.attention else None

    def __call__(self, outputs: list[torch.Tensor], teacher_outputs: list[torch.Tensor], batch: dict) -> torch.Tensor:
        """The total loss of a step; ``teacher_outputs`` from the teacher's forward on the same images, after the
        student's (the attention taps hold both passes' features)."""
        weight = self.spec.weight
        targets = {"heatmaps": output_activation(self.codec_name, teacher_outputs[-1].detach()),
                   "weights": torch.ones_like(batch["weights"])}
        loss = (1 - weight) * self.ground_truth(outputs, batch) + weight * self.soft(outputs, targets)
        if self.taps:
            student, teacher = (tap.features() for tap in self.taps)
            loss = loss + self.spec.attention * attention_loss(student, [t.detach() for t in teacher])
        return loss
