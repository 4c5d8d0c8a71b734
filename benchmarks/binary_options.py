"""The binary (w1a1) training options that the benchmarks compare, as recipe overrides.

Shared by ``codec_accuracy.py`` and ``real_photos.py``; a row names its options joined by ``+``
(``rprelu+shortcut+distilled``). ``two-step`` is a schedule, not an override: :func:`two_step`
gives the recipes of its two trainings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from edgelmk import recipe

#: option -> recipe overrides ({teacher}: the checkpoint of the float run the row distils from)
OPTIONS = {"rprelu": ["model.binary_activation=rprelu"], "shortcut": ["model.binary_shortcut=true"],
           "two-step": [], "distilled": ["distill.teacher={teacher}"], "attention": ["distill.attention=1.0"],
           "bop": ["optim.name=bop"]}


def option_names(options: str) -> list[str]:
    """The options of a row (``a+b``); SystemExit naming an unknown one."""
    names = [name for name in options.split("+") if name]
    unknown = [name for name in names if name not in OPTIONS]
    if unknown:
        raise SystemExit(f"unknown binary option {unknown[0]!r}; known: {', '.join(OPTIONS)}")
    return names


def option_overrides(options: str, teacher: Path | None) -> list[str]:
    """The recipe overrides of a row's options (``teacher`` is needed with ``distilled``)."""
    return [override.format(teacher=teacher) for name in option_names(options) for override in OPTIONS[name]]


def two_step(config: dict) -> tuple[dict, Callable[[Path], dict]]:
    """The two-step schedule of a resolved recipe in the same number of epochs: (step one's recipe, step two's
    recipe from step one's best checkpoint). Step one trains binary activations with real weights for the first
    half of the epochs (rounded up), step two all binary for the rest, starting from step one's weights."""
    epochs = config["optim"]["epochs"]
    if epochs < 2:
        raise SystemExit(f"the two-step schedule splits the epochs in two: it needs at least 2, the recipe has {epochs}")
    first_epochs = (epochs + 1) // 2
    first = recipe.resolve(recipe.apply_overrides(config, ["model.binary_weights=false", f"optim.epochs={first_epochs}"]))

    def second(checkpoint: Path) -> dict:
        return recipe.resolve(recipe.apply_overrides(config, [f"optim.epochs={epochs - first_epochs}",
                                                              f"model.init_from={checkpoint}"]))

    return first, second
