"""Distillation's loss in PyTorch: the ground-truth / teacher split, attention maps, the frozen teacher."""

import pytest

from tests.helpers import optional_import

torch = optional_import("torch")

from edgelmk.distill import DistillSpec  # noqa: E402
from edgelmk.nn.distill import Distillation, FeatureTap, attention_loss, attention_map  # noqa: E402
from edgelmk.nn.hourglass import StackedHourglass  # noqa: E402
from edgelmk.nn.losses import build_loss  # noqa: E402


def batch_of(n=2, k=3, side=4):
    generator = torch.Generator().manual_seed(0)
    heatmaps = torch.rand(n, k, side, side, generator=generator)
    return {"heatmaps": heatmaps / heatmaps.sum(dim=(2, 3), keepdim=True),
            "weights": torch.tensor([[1.0, 0.0, 1.0]] * n)}


def hourglass(precision="fp32", width=16):
    torch.manual_seed(0)
    return StackedHourglass(3, (16, 16), (4, 4), precision=precision, width=width, depth=2)


def distillation(weight, attention=0.0, student=None, teacher=None):
    spec = DistillSpec("teacher.pt", weight, attention, "h3r_cross_entropy")
    student, teacher = student or hourglass("w1a1"), teacher or hourglass()
    points = ["hourglasses.0", "hourglasses.0.inner"] if attention else []
    return Distillation(spec, build_loss({"name": "h3r_cross_entropy"}), "h3r", student, teacher, points)


def test_the_weight_splits_ground_truth_and_teacher_losses():
    batch = batch_of()
    outputs, teacher = [torch.randn(2, 3, 4, 4)], [torch.randn(2, 3, 4, 4)]
    ground_truth = build_loss({"name": "h3r_cross_entropy"})(outputs, batch)
    probabilities = torch.softmax(teacher[0].flatten(2), dim=-1)
    # the teacher term covers every keypoint, also the one the labels leave out (weight 0)
    expected_teacher = -(probabilities * torch.log_softmax(outputs[0].flatten(2), dim=-1)).sum(-1).mean()
    torch.testing.assert_close(distillation(0.0)(outputs, teacher, batch), ground_truth)
    torch.testing.assert_close(distillation(1.0)(outputs, teacher, batch), expected_teacher)
    torch.testing.assert_close(distillation(0.25)(outputs, teacher, batch), 0.75 * ground_truth + 0.25 * expected_teacher)


def test_attention_maps_ignore_scale_and_channel_count():
    features = torch.randn(2, 8, 4, 4)
    torch.testing.assert_close(attention_map(features).norm(dim=1), torch.ones(2))
    assert attention_loss([features], [3.0 * features]).item() == pytest.approx(0.0, abs=1e-6)
    wider = torch.cat([features, features], dim=1)  # other channel count, the same energy map
    assert attention_loss([features], [wider]).item() == pytest.approx(0.0, abs=1e-6)
    assert attention_loss([features], [torch.randn(2, 4, 4, 4)]).item() > 0.1


def test_attention_is_taken_at_every_hourglass_level_of_student_and_teacher():
    student, teacher = hourglass("w1a1"), hourglass(width=32)
    loss = distillation(0.5, attention=2.0, student=student, teacher=teacher)
    images = torch.rand(2, 3, 16, 16) * 255
    outputs = student(images)
    with torch.no_grad():
        teacher_outputs = loss.teacher(images)
    total = loss(outputs, teacher_outputs, batch_of())
    without = distillation(0.5)(outputs, teacher_outputs, batch_of())
    student_tap, teacher_tap = loss.taps
    assert [f.shape[-1] for f in student_tap.features()] == [4, 2]  # level 0 at 4x4, level 1 at 2x2
    assert [f.shape[1] for f in teacher_tap.features()] == [32, 32]
    expected = 2.0 * attention_loss(student_tap.features(), teacher_tap.features())
    torch.testing.assert_close(total - without, expected)
    total.backward()  # gradients reach the student, never the teacher
    assert student.stem[0].weight.grad is not None
    assert all(p.grad is None and not p.requires_grad for p in teacher.parameters())
    assert not teacher.training


def test_a_feature_tap_keeps_the_last_forward():
    model = hourglass().eval()
    tap = FeatureTap(model, ["hourglasses.0"])
    model(torch.zeros(1, 3, 16, 16))
    first = tap.features()[0].clone()
    model(torch.full((1, 3, 16, 16), 255.0))
    assert not torch.equal(tap.features()[0], first)
