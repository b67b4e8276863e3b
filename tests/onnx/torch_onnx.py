#!/usr/bin/env python3
"""The Python side of the ONNX round trips (tests/onnx.sh).

    torch_onnx.py check DIR    onnx.checker.check_model(..., full_check=True) on every file nn
                               wrote (DIR/nn.txt lists them, as onnx_tool export writes it)
    torch_onnx.py export DIR   MLPs that torch.onnx.export writes from nn.Sequential models (the
                               Gemm form and the MatMul + Add form, float and double), 1,000 inputs
                               and PyTorch's outputs for each, and files nn must refuse; DIR/torch.txt
                               lists them for onnx_tool load

.in and .out files hold the numbers row by row, little-endian, as float or double.
"""
import sys

import torch


def check(folder):
    import onnx  # Debian's python3-onnx

    names = [line.split()[0] for line in open(f"{folder}/nn.txt") if line.strip()]
    for name in names:
        model = onnx.load(f"{folder}/{name}.onnx")
        onnx.checker.check_model(model, full_check=True)
        ops = " ".join(node.op_type for node in model.graph.node)
        print(f"{name:48} checked: {ops}")
    print(f"onnx {onnx.__version__}: {len(names)} files pass check_model(full_check=True)")


class MatMulLinear(torch.nn.Module):
    """A dense layer written as x @ W + b, which torch.onnx.export writes as MatMul then Add."""

    def __init__(self, inputs, outputs, bias=True):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(inputs, outputs) / inputs**0.5)
        self.bias = torch.nn.Parameter(torch.randn(outputs) * 0.3) if bias else None

    def forward(self, x):
        y = torch.matmul(x, self.weight)
        return y + self.bias if self.bias is not None else y


class Residual(torch.nn.Module):
    """x + f(x): not a chain."""

    def __init__(self, width):
        super().__init__()
        self.inner = torch.nn.Linear(width, width)

    def forward(self, x):
        return x + self.inner(x)


def models():
    """(name, model, inputs, what nn must do: "ok" or the text its error must contain)."""
    nn = torch.nn
    yield "gemm_relu_tanh_softmax", nn.Sequential(
        nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 8), nn.Tanh(), nn.Linear(8, 4), nn.Softmax(dim=1)), 6, "ok"
    yield "gemm_leaky_sigmoid", nn.Sequential(
        nn.Linear(5, 12), nn.LeakyReLU(0.01), nn.Linear(12, 3), nn.Sigmoid()), 5, "ok"
    yield "gemm_linear_output", nn.Sequential(nn.Linear(4, 9), nn.Tanh(), nn.Linear(9, 2)), 4, "ok"
    yield "matmul_add_relu_leaky", nn.Sequential(
        MatMulLinear(6, 11), nn.ReLU(), MatMulLinear(11, 7), nn.LeakyReLU(), MatMulLinear(7, 3)), 6, "ok"
    yield "matmul_no_bias_softmax", nn.Sequential(
        MatMulLinear(5, 8, bias=False), nn.Sigmoid(), nn.Linear(8, 4, bias=False), nn.Softmax(dim=-1)), 5, "ok"
    yield "refuse_elu", nn.Sequential(nn.Linear(4, 6), nn.ELU(), nn.Linear(6, 2)), 4, "(Elu) is not a step"
    yield "refuse_slope", nn.Sequential(nn.Linear(4, 6), nn.LeakyReLU(0.2), nn.Linear(6, 2)), 4, "slope"
    yield "refuse_residual", nn.Sequential(Residual(5), nn.Tanh()), 5, "both read"


def export(folder):
    torch.manual_seed(0)
    lines = []
    for dtype, type_name in ((torch.float32, "float"), (torch.float64, "double")):
        for opset in (11, 14):
            for name, model, inputs, expect in models():
                if expect != "ok" and (dtype != torch.float32 or opset != 14):
                    continue  # a refusal once is enough
                name = f"{type_name}_opset{opset}_{name}"
                model = model.to(dtype).eval()
                for p in model.parameters():  # biases that matter
                    if p.dim() == 1:
                        torch.nn.init.uniform_(p, -0.5, 0.5)
                X = (torch.rand(1000, inputs, dtype=dtype) - 0.5) * 6
                with torch.no_grad():
                    Y = model(X)
                torch.onnx.export(model, X[:2], f"{folder}/{name}.onnx", input_names=["x"], output_names=["y"],
                                  dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=opset)
                X.numpy().tofile(f"{folder}/{name}.in")
                Y.numpy().tofile(f"{folder}/{name}.out")
                lines.append(f"{name} {type_name} 1000 {inputs} {Y.shape[1]} {expect}\n")
    with open(f"{folder}/torch.txt", "w") as f:
        f.writelines(lines)
    print(f"PyTorch {torch.__version__}: {len(lines)} files written")


if __name__ == "__main__":
    {"check": check, "export": export}[sys.argv[1]](sys.argv[2])
