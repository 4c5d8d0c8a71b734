"""The binary (w1a1) training options that the benchmarks compare, as recipe overrides.

Shared by ``codec_accuracy.py`` and ``real_photos.py``; a row names its options joined by ``+``
(``rprelu+shortcut+distilled``). ``two-step`` is a schedule, not an override: each benchmark
runs its two trainings itself.
"""

from __future__ import annotations

from pathlib import Path

#: option -> recipe overrides ({teacher}: the checkpoint of the float run the row distils from)
OPTIONS = {"rprelu": ["model.binary_activation=rprelu"], "shortcut": ["model.binary_shortcut=true"],
           "two-step": [], "distilled": ["distill.teacher={teacher}"], "attention": ["distill.attention=1.0"],
           "bop": ["optim.name=bop"]}
#: options a backend cannot train (Bop is Larq's)
UNAVAILABLE = {"torch": {"bop"}, "larq": set()}


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
