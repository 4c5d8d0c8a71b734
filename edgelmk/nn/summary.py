"""Model size and compute, split by arithmetic: binary, 8-bit and float convolutions.

Multiply-accumulates (MACs) are counted per convolution from one forward pass of a single
input image. Deployed sizes are estimates of the weights alone: binary weights at 1 bit,
8-bit weights at 1 byte, everything else (float convs, biases, batch norms) at 4 bytes
unless the column quantizes it; exported files add a little structure on top.
"""

from __future__ import annotations

import torch
from torch import nn

from edgelmk.nn.quant import BinaryConv2d


def conv_kind(module: nn.Module) -> str | None:
    """binary, int8 or float for convolutions; None for other modules."""
    if isinstance(module, BinaryConv2d):
        return "binary"
    if not isinstance(module, nn.Conv2d):
        return None
    return "int8" if type(module).__module__.startswith("brevitas") else "float"


def summarize(model: nn.Module, input_hw: tuple[int, int]) -> dict:
    """Parameters, MACs and weight bytes per kind of convolution, and deployed-size estimates.

    Returns:
        ``{"parameters": {kind: count, "other": count}, "macs": {kind: count},
        "size_bytes": {"fp32": n, "int8": n, "as trained": n}}``.
    """
    macs = {"binary": 0, "int8": 0, "float": 0}
    hooks = []

    def counter(kind: str):
        def hook(module: nn.Conv2d, _inputs, output: torch.Tensor) -> None:
            kernel = module.kernel_size[0] * module.kernel_size[1]
            macs[kind] += output.numel() // output.shape[0] * module.in_channels // module.groups * kernel
        return hook

    parameters = {"binary": 0, "int8": 0, "float": 0, "other": 0}
    counted = set()
    for module in model.modules():
        kind = conv_kind(module)
        if kind:
            hooks.append(module.register_forward_hook(counter(kind)))
            parameters[kind] += module.weight.numel()
            counted.add(id(module.weight))
    parameters["other"] = sum(p.numel() for p in model.parameters() if id(p) not in counted)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, *input_hw))
    model.train(was_training)
    for hook in hooks:
        hook.remove()
    weights = parameters["binary"] + parameters["int8"] + parameters["float"]
    as_trained = parameters["binary"] / 8 + parameters["int8"] + 4 * parameters["float"]
    return {"parameters": parameters, "macs": macs,
            "size_bytes": {"fp32": 4 * (weights + parameters["other"]),
                           "int8": weights + 4 * parameters["other"],
                           "as trained": int(as_trained) + 4 * parameters["other"]}}
