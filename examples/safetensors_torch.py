#!/usr/bin/env python3
"""Moves networks between nn and PyTorch through safetensors files, with json and struct only
(Debian's python3-torch has no safetensors package).

    python3 examples/safetensors_torch.py show MODEL              # the torch.nn.Sequential it holds
    python3 examples/safetensors_torch.py check MODEL CASE        # torch's outputs on CASE's inputs
                                                                  # equal the outputs CASE holds
    python3 examples/safetensors_torch.py export MODEL CASE DTYPE # a random Sequential, saved as nn
                                                                  # would load it (no metadata), and
                                                                  # a CASE of inputs and its outputs

A CASE file is a safetensors file with two tensors, "inputs" [n, in] and "outputs" [n, out].
The test suite runs check on files nn wrote, and nn on files export wrote.
"""
import json
import struct
import sys

import torch

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
ACTIVATIONS = {
    "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "linear": torch.nn.Identity,
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.01), "softmax": lambda: torch.nn.Softmax(dim=1),
}


def read_safetensors(path):
    """(tensors by name, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        raw = bytearray(data[begin:end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[t["dtype"]]).reshape(t["shape"]).clone() if raw else \
            torch.zeros(t["shape"], dtype=DTYPES[t["dtype"]])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    names = {v: k for k, v in DTYPES.items()}
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        raw = t.contiguous().numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def sequential(tensors, metadata):
    """The nn network in a file as torch.nn.Sequential: Linear, activation, Linear, ..."""
    layers = len(tensors) // 2
    if "activations" in metadata:  # one per layer
        names = metadata["activations"].split(",")
    else:  # files written before per-layer activations
        names = [metadata.get("hidden", "sigmoid")] * (layers - 1) + [metadata.get("output", "sigmoid")]
    modules = []
    for l in range(layers):
        out_features, in_features = tensors[f"layers.{l}.weight"].shape
        modules += [torch.nn.Linear(in_features, out_features), ACTIVATIONS[names[l]]()]
    model = torch.nn.Sequential(*modules).to(tensors["layers.0.weight"].dtype)
    # The three lines that load nn's names into a Sequential: layer l is module 2l.
    model.load_state_dict({f"{2 * int(k.split('.')[1])}.{k.split('.')[2]}": v for k, v in tensors.items()})
    return model


def main():
    command = sys.argv[1]
    if command == "show":
        print(sequential(*read_safetensors(sys.argv[2])))
    elif command == "check":
        model = sequential(*read_safetensors(sys.argv[2]))
        case, _ = read_safetensors(sys.argv[3])
        with torch.no_grad():
            got = model(case["inputs"])
        want = case["outputs"]
        tolerance = 1e-12 if want.dtype == torch.float64 else 1e-5
        worst = (got - want).abs().max().item()
        print(f"torch vs nn: {want.shape[0]} samples, {want.dtype}, largest difference {worst:.3g}")
        sys.exit(0 if worst <= tolerance else 1)
    elif command == "export":
        torch.manual_seed(7)
        dtype = DTYPES[sys.argv[4]]
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 5), torch.nn.Tanh(),
                                    torch.nn.Linear(5, 3), torch.nn.Sigmoid()).to(dtype)
        write_safetensors(sys.argv[2], {f"layers.{i // 2}.{kind}": t for (name, t) in model.state_dict().items()
                                        for i, kind in [(int(name.split(".")[0]), name.split(".")[1])]})
        inputs = torch.rand(16, 4, dtype=dtype) * 4 - 2
        with torch.no_grad():
            write_safetensors(sys.argv[3], {"inputs": inputs, "outputs": model(inputs)})
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
