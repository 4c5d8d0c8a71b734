"""The ``model.json`` sidecar written next to every exported model, and its checks.

The sidecar says everything the runtime (and the Android demo) needs besides the network:

- ``input``: layout (NHWC or NCHW), (H, W), dtype, quantization (real = scale * (q - zero_point)),
  colour order and value range. Inputs are RGB pixels 0..255; the model applies ``mean``/``std``
  itself, so they are informational.
- ``output``: layout, shape, dtype, quantization, and the activation already applied in the graph
  (``spatial_softmax`` for H3R, ``none`` otherwise).
- ``codec``: the codec config (``CODECS.build`` rebuilds the decoder trained with).
- ``keypoints``: names, flip pairs (and ``flip_declared``: whether the scheme says which points a flip
  swaps, so that ``[]`` can mean "none swap"), drawing lines and the skeleton name; ``crop``: the
  margin around a box.

Plain JSON and the standard library only: the runtime reads it without numpy-heavy stacks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgelmk.errors import SidecarError
from edgelmk.targets import TARGETS

FORMAT = "edgelmk-model-1"
SIDECAR_NAME = "model.json"
LAYOUTS = ("NHWC", "NCHW")
DTYPES = ("float32", "int8", "uint8")


def sidecar_path(model_path: str | Path) -> Path:
    """Where the sidecar of a model file lives: ``model.json`` in the same folder."""
    return Path(model_path).with_name(SIDECAR_NAME)


def write(path: str | Path, content: dict[str, Any]) -> Path:
    """Check and write a sidecar (pretty JSON)."""
    check(content, Path(path))
    path = Path(path)
    path.write_text(json.dumps(content, indent=2) + "\n")
    return path


def read(model_path: str | Path) -> dict[str, Any]:
    """The checked sidecar of an exported model file.

    Raises:
        SidecarError: the sidecar is missing, not JSON, of another format, or describes another file.
    """
    model_path = Path(model_path)
    path = sidecar_path(model_path)
    if not path.is_file():
        raise SidecarError(f"{path} not found: an exported model needs the model.json written next to it by "
                           "`edgelmk export`; copy both files together")
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SidecarError(f"{path} is not valid JSON ({error}); re-export the model") from None
    check(content, path)
    if content["model_file"] != model_path.name:
        raise SidecarError(f"{path} describes {content['model_file']!r}, not {model_path.name!r}: each exported "
                           "model needs its own folder with its own model.json")
    return content


def _need(content: dict, dotted: str, kinds: tuple[type, ...], path: Path, choices: tuple = ()) -> Any:
    value: Any = content
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            raise SidecarError(f"{path}: field {dotted!r} is missing; re-export the model with `edgelmk export`")
        value = value[key]
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        raise SidecarError(f"{path}: field {dotted!r} must be {' or '.join(k.__name__ for k in kinds)}, "
                           f"got {value!r}")
    if choices and value not in choices:
        raise SidecarError(f"{path}: field {dotted!r} is {value!r}; expected one of {', '.join(choices)}")
    return value


def check(content: Any, path: Path) -> None:
    """Raise SidecarError naming the first field that is missing or of the wrong kind."""
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        found = content.get("format") if isinstance(content, dict) else type(content).__name__
        raise SidecarError(f"{path}: not an edgelmk model sidecar (format {found!r}, expected {FORMAT!r})")
    _need(content, "model_file", (str,), path)
    _need(content, "target", (str,), path, tuple(TARGETS))
    for side in ("input", "output"):
        _need(content, f"{side}.layout", (str,), path, LAYOUTS)
        _need(content, f"{side}.dtype", (str,), path, DTYPES)
        _need(content, f"{side}.scale", (int, float), path)
        _need(content, f"{side}.zero_point", (int,), path)
        _need(content, f"{side}.shape", (list,), path)
    _need(content, "input.hw", (list,), path)
    _need(content, "output.activation", (str,), path, ("none", "spatial_softmax"))
    _need(content, "codec.name", (str,), path)
    names = _need(content, "keypoints.names", (list,), path)
    _need(content, "keypoints.flip_pairs", (list,), path)
    if "flip_declared" in content["keypoints"]:
        _need(content, "keypoints.flip_declared", (bool,), path)
    _need(content, "crop.margin", (int, float), path)
    output_shape = content["output"]["shape"]
    if len(output_shape) != 4:
        raise SidecarError(f"{path}: output.shape must be 4-D (N, K, H, W or N, H, W, K), got {output_shape}")
    k = output_shape[1] if content["output"]["layout"] == "NCHW" else output_shape[3]
    if k != len(names):
        raise SidecarError(f"{path}: output.shape {output_shape} has {k} keypoint maps but keypoints.names has "
                           f"{len(names)} names")
