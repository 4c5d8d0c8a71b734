"""PyTorch-named weights of the Keras mirrors: copy a state dict in, read the weights out in PyTorch's layout.

Every weighted Keras layer of a mirror is named after the PyTorch module it mirrors, so the
PyTorch state-dict keys of a layer are its name plus ``.weight`` (``.bias``; batch norms:
``weight``, ``bias``, ``running_mean``, ``running_var``). Layouts: conv kernels OIHW (PyTorch)
<-> HWIO (Keras); depthwise kernels (C, 1, kh, kw) <-> (kh, kw, C, 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgelmk.keras.layers import ChannelShift, keras


def copy_weights_by_name(source: keras.Model, target: keras.Model) -> None:
    """Copy every weighted layer of ``target`` from the layer of the same name in ``source``.

    Raises:
        ValueError: naming a layer that ``source`` lacks (another architecture).
    """
    for layer in target.layers:
        if not layer.weights:
            continue
        try:
            layer.set_weights(source.get_layer(layer.name).get_weights())
        except ValueError as error:
            raise ValueError(f"layer {layer.name!r} cannot be copied: {error}; the models differ in architecture") \
                from None


def _torch_keys(layer) -> list[str]:
    """The PyTorch state-dict names of a weighted Keras layer's weights, in ``get_weights`` order."""
    if isinstance(layer, keras.layers.BatchNormalization):
        return [f"{layer.name}.{part}" for part in ("weight", "bias", "running_mean", "running_var")]
    if isinstance(layer, ChannelShift):
        return [f"{layer.name}.bias"]
    if isinstance(layer, keras.layers.PReLU):
        return [f"{layer.name}.weight"]
    return [f"{layer.name}.weight"] + ([f"{layer.name}.bias"] if layer.use_bias else [])


def _to_torch_layout(layer, values: list[np.ndarray]) -> list[np.ndarray]:
    """A layer's Keras weights in PyTorch's layout (conv kernels HWIO -> OIHW, depthwise (kh, kw, C, 1) -> (C, 1, kh, kw),
    PReLU slopes (1, 1, C) -> (C,))."""
    if isinstance(layer, (keras.layers.BatchNormalization, ChannelShift)):
        return list(values)
    if isinstance(layer, keras.layers.PReLU):
        return [values[0].reshape(-1)]
    axes = (2, 3, 0, 1) if isinstance(layer, keras.layers.DepthwiseConv2D) else (3, 2, 0, 1)
    return [values[0].transpose(axes)] + list(values[1:])


def _to_keras_layout(layer, values: list[np.ndarray]) -> list[np.ndarray]:
    """PyTorch-layout weights of a layer in Keras's layout (the inverse of :func:`_to_torch_layout`)."""
    if isinstance(layer, (keras.layers.BatchNormalization, ChannelShift)):
        return list(values)
    if isinstance(layer, keras.layers.PReLU):
        return [values[0].reshape(1, 1, -1)]
    axes = (2, 3, 0, 1) if isinstance(layer, keras.layers.DepthwiseConv2D) else (2, 3, 1, 0)
    return [values[0].transpose(axes)] + list(values[1:])


def torch_layout_weights(model: keras.Model) -> dict[str, np.ndarray]:
    """Every weight of a mirror under its PyTorch name and in PyTorch's layout (for ``model.init_from``)."""
    arrays = {}
    for layer in model.layers:
        if layer.weights:
            arrays.update(zip(_torch_keys(layer), _to_torch_layout(layer, layer.get_weights())))
    return arrays


def set_torch_layout_weights(model: keras.Model, arrays: dict[str, np.ndarray]) -> None:
    """Set the weights named in ``arrays`` (PyTorch names and layout, see :func:`torch_layout_weights`); keep the rest."""
    for layer in model.layers:
        if not layer.weights:
            continue
        keys = _torch_keys(layer)
        if any(key in arrays for key in keys):
            current = _to_torch_layout(layer, layer.get_weights())
            layer.set_weights(_to_keras_layout(layer, [arrays.get(key, value) for key, value in zip(keys, current)]))


def load_torch_weights(model: keras.Model, state_dict: dict[str, Any]) -> None:
    """Copy a PyTorch state dict into the mirror by layer name (conv OIHW -> HWIO; BN statistics).

    Raises:
        ValueError: naming the first Keras layer whose weights the state dict lacks or whose shape
            differs, and the PyTorch tensors left unused (a model of another architecture).
    """
    arrays = {key: value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
              for key, value in state_dict.items()}
    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        keys = _torch_keys(layer)
        missing = [key for key in keys if key not in arrays]
        if missing:
            raise ValueError(f"Keras layer {layer.name!r} has no PyTorch weights ({missing[0]} missing): the "
                             "checkpoint's model is not the architecture this mirror builds")
        values = _to_keras_layout(layer, [arrays[key] for key in keys])
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [v.shape for v in values] != expected:
            raise ValueError(f"Keras layer {layer.name!r} expects weights {expected}, the checkpoint has "
                             f"{[v.shape for v in values]}")
        layer.set_weights(values)
        used.update(keys)
    unused = [key for key in arrays if key not in used and not key.endswith("num_batches_tracked")
              and key not in ("pixel_mean", "pixel_scale")]
    if unused:
        raise ValueError(f"PyTorch weights with no Keras layer: {', '.join(unused[:5])}; the mirror does not cover "
                         "this architecture")
