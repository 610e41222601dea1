"""Quantization-aware training: fake-quant on weights and activations, then QDQ ONNX export.

Weights are fake-quantized per output channel to symmetric INT8 (scale from the current maximum,
so it follows training); activations per tensor to asymmetric INT8 with ranges observed once on
the calibration set. The straight-through estimator of ``torch.fake_quantize_*`` carries the
gradients. Exported, each fake-quant becomes a QuantizeLinear/DequantizeLinear pair, so the
result is an ordinary QDQ model the deployed runtime fuses like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

_QMIN, _QMAX = -128, 127


def _affine(low: float, high: float) -> tuple[float, int]:
    low, high = min(low, 0.0), max(high, 0.0)  # zero must be exactly representable
    scale = max((high - low) / (_QMAX - _QMIN), 1e-8)
    zero_point = round(_QMIN - low / scale)
    return scale, max(_QMIN, min(_QMAX, zero_point))


def make_fake_quant_layer(layer: Any, in_range: tuple[float, float],
                          out_range: tuple[float, float]) -> Any:
    """Wrap a ``Conv2d`` or ``Linear`` so its input, weights and output are fake-quantized."""
    import torch
    from torch import nn
    from torch.nn import functional

    class FakeQuantLayer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = layer
            self.in_qparams = _affine(*in_range)
            self.out_qparams = _affine(*out_range)
            self.frozen_scale: torch.Tensor | None = None

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.fake_quantize_per_tensor_affine(x, *self.in_qparams, _QMIN, _QMAX)
            weight = self.layer.weight
            dims = tuple(range(1, weight.dim()))
            scale = (self.frozen_scale if self.frozen_scale is not None
                     else (weight.detach().abs().amax(dim=dims) / 127.0).clamp(min=1e-8))
            zero = torch.zeros_like(scale, dtype=torch.int32)
            weight = torch.fake_quantize_per_channel_affine(weight, scale, zero, 0, _QMIN, _QMAX)
            if isinstance(self.layer, nn.Conv2d):
                y = functional.conv2d(x, weight, self.layer.bias, self.layer.stride,
                                      self.layer.padding, self.layer.dilation, self.layer.groups)
            else:
                y = functional.linear(x, weight, self.layer.bias)
            return torch.fake_quantize_per_tensor_affine(y, *self.out_qparams, _QMIN, _QMAX)

    return FakeQuantLayer()


def freeze(model: Any) -> Any:
    """Fix every weight scale at its trained value.

    Export then writes constants instead of the max-abs computation.
    """
    for module in model.modules():
        if hasattr(module, "frozen_scale"):
            weight = module.layer.weight.detach()
            dims = tuple(range(1, weight.dim()))
            module.frozen_scale = (weight.abs().amax(dim=dims) / 127.0).clamp(min=1e-8)
    return model


def fold_weights(path: str) -> None:
    """Store quantized weights as INT8 initializers by constant-folding QuantizeLinear.

    ONNX Runtime's basic level folds constant subgraphs but keeps DequantizeLinear, so the file
    shrinks to INT8 weights while staying a plain QDQ model.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = path
    options.log_severity_level = 3
    ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def onnx_name_of(module_path: str, op_type: str) -> str:
    """The node name the TorchScript-based ONNX exporter gives a layer (``/0/Conv``)."""
    return "/" + module_path.replace(".", "/") + "/" + op_type


def prepare_qat(model: Any, calibration: Any, keep_float: Collection[str]) -> Any:
    """A copy of ``model`` ready for quantization-aware training.

    Every Conv2d/Linear not in ``keep_float`` (ONNX node names) is wrapped in fake
    quantization, with activation ranges observed on ``calibration``.
    """
    import copy

    import torch
    from torch import nn

    qat = copy.deepcopy(model).eval()
    targets = {path: mod for path, mod in qat.named_modules()
               if isinstance(mod, nn.Conv2d | nn.Linear)
               and onnx_name_of(path, "Conv" if isinstance(mod, nn.Conv2d) else "Gemm")
               not in keep_float}
    ranges: dict[str, list[float]] = {p: [0.0, 0.0, 0.0, 0.0] for p in targets}

    def observe(path: str) -> Callable[..., None]:
        def hook(_: Any, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            r = ranges[path]
            r[0], r[1] = min(r[0], float(inputs[0].min())), max(r[1], float(inputs[0].max()))
            r[2], r[3] = min(r[2], float(output.min())), max(r[3], float(output.max()))
        return hook

    handles = [mod.register_forward_hook(observe(p)) for p, mod in targets.items()]
    with torch.no_grad():
        qat(torch.from_numpy(calibration))
    for h in handles:
        h.remove()
    for path, mod in targets.items():
        parent_path, _, attr = path.rpartition(".")
        parent = qat.get_submodule(parent_path) if parent_path else qat
        r = ranges[path]
        setattr(parent, attr, make_fake_quant_layer(mod, (r[0], r[1]), (r[2], r[3])))
    return qat


def train(model: Any, inputs: Any, labels: Any, epochs: int, *, seed: int = 0,
          lr: float = 1e-4, progress: Callable[[float], None] | None = None) -> Any:
    """Fine-tune ``model`` for ``epochs`` with Adam at a low learning rate; returns it in eval."""
    import torch

    torch.manual_seed(seed)
    x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
        if progress is not None:
            progress((epoch + 1) / max(epochs, 1))
    return model.eval()
