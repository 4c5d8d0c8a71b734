"""Knowledge distillation from a trained teacher: the recipe's ``distill`` section, checked (numpy only).

A recipe with ``distill.teacher: CHECKPOINT`` trains its network (the student) on

    (1 - weight) x ground-truth loss  +  weight x teacher loss  +  attention x attention loss

* the *teacher loss* compares every stack of the student with the teacher's last-stack maps on
  the same augmented crops: the spatial cross-entropy to the teacher's softmax maps when the
  codec decodes softmax maps (h3r, dsnt), the mean squared error to its heatmaps otherwise
  (gaussian); it covers every keypoint, also those the labels leave out;
* the *attention loss* (attention transfer, Zagoruyko & Komodakis, ICLR 2017, as in Martinez
  et al.'s real-to-binary networks, ICLR 2020) compares the normalised spatial energy
  ``sum_c F_c^2`` of the features after every level of every hourglass: L2 distance of the
  unit-norm maps, averaged over the points of :func:`attention_points`. Channel counts may
  differ (a wide float teacher, a binary student), the hourglass depth and stacks may not.

The teacher (a checkpoint of either backend, fp32 typically) runs in inference mode, frozen;
it is loaded again on ``--resume``, so resumed runs end as uninterrupted ones.
The backends implement it: :mod:`edgelmk.nn.distill` (PyTorch), :mod:`edgelmk.keras.distill`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from edgelmk.codecs import CODECS
from edgelmk.errors import RecipeError


@dataclass(frozen=True)
class DistillSpec:
    """A checked ``distill`` section.

    Attributes:
        teacher: the teacher checkpoint's path.
        weight: share of the teacher loss, 0..1 (the ground truth has the rest).
        attention: factor of the attention loss, >= 0 (0: none).
        soft_loss: the loss that compares the student with the teacher's maps (``h3r_cross_entropy`` against
            softmax maps, ``heatmap_mse`` against heatmaps), by the codec.
    """

    teacher: str
    weight: float
    attention: float
    soft_loss: str


def distill_problems(config: Mapping) -> list[str]:
    """Every problem of a resolved recipe's ``distill`` section (whether the teacher exists is checked by
    :func:`edgelmk.recipe.missing_paths`; whether it fits the student, by :func:`check_teacher`)."""
    distill, problems = config["distill"], []
    teacher = distill["teacher"]
    if teacher is not None and not (isinstance(teacher, str) and teacher):
        problems.append(f"distill.teacher must be the path of a trained checkpoint (.pt or .larq.npz) or null, "
                        f"got {teacher!r}")
    if not 0.0 <= distill["weight"] <= 1.0:
        problems.append(f"distill.weight is the teacher loss's share of the total, from 0 to 1; got {distill['weight']}")
    if distill["attention"] < 0:
        problems.append(f"distill.attention must be >= 0 (0: no attention transfer); got {distill['attention']}")
    return problems


def distill_spec(config: Mapping) -> DistillSpec | None:
    """The distillation of a resolved recipe, or None without ``distill.teacher``."""
    distill = config["distill"]
    if distill["teacher"] is None:
        return None
    softmax = CODECS.get(config["codec"]["name"]).output_activation == "spatial_softmax"
    return DistillSpec(distill["teacher"], float(distill["weight"]), float(distill["attention"]),
                       "h3r_cross_entropy" if softmax else "heatmap_mse")


def attention_points(name: str, architecture: Mapping[str, Any]) -> list[str]:
    """Where attention is transferred: the PyTorch module after each level of each hourglass.

    ``hourglasses.{s}`` + ``.inner`` x level, for the ``stacks`` x ``depth`` hourglass modules;
    the Keras mirror names the output of each the same, plus ``.add``. Sizes: level i is
    (h / 2**i, w / 2**i) of the (h, w) heatmap.

    Raises:
        RecipeError: for an architecture without hourglasses.
    """
    if name != "hourglass":
        raise RecipeError(f"distill.attention: attention maps are transferred between hourglasses; the {name!r} "
                          "network has none (set distill.attention=0 to distil its outputs only)")
    return [f"hourglasses.{stack}" + ".inner" * level
            for stack in range(architecture["stacks"]) for level in range(architecture["depth"])]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def check_teacher(spec: DistillSpec, teacher_name: str, teacher: Mapping[str, Any], student_name: str,
                  student: Mapping[str, Any]) -> None:
    """Raises RecipeError unless the teacher's architecture config can teach the student's.

    Both must see the same crops and predict the same maps (num_keypoints, input_hw, heatmap_hw);
    attention transfer also needs both to be hourglasses of the same depth and stacks.
    """
    for key in ("num_keypoints", "input_hw", "heatmap_hw"):
        if _plain(teacher[key]) != _plain(student[key]):
            raise RecipeError(f"distill.teacher {spec.teacher}: its {key} is {teacher[key]!r}, the student's "
                              f"{student[key]!r}; a teacher must predict the same maps from the same crops "
                              "(train it with this recipe's data, codec and keypoints)")
    if spec.attention:
        student_points = attention_points(student_name, student)
        if attention_points(teacher_name, teacher) != student_points:
            raise RecipeError(f"distill.attention: the teacher {spec.teacher} has hourglasses of depth "
                              f"{teacher['depth']} x {teacher['stacks']} stacks, the student "
                              f"{student['depth']} x {student['stacks']}; attention maps are compared level by "
                              "level, so they must agree (or set distill.attention=0)")
