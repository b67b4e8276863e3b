#!/usr/bin/env bash
# PyTorch interop, both ways: nn -> safetensors -> torch.nn.Sequential, and torch -> safetensors
# -> nn::load, each in float and double, outputs compared. Exits 77 (skipped) without python3-torch.
# Usage: interop.sh <interop binary> <examples/safetensors_torch.py> <work folder>
set -euo pipefail
interop=$1 script=$2 work=$3
python=${NN_PYTHON:-/usr/bin/python3} # Debian's python3-torch installs into the system Python
[ -x "$python" ] || python=python3
if ! "$python" -c "import torch" 2>/dev/null; then
    echo "skipped: PyTorch is not installed for $python (apt-get install python3-torch)"
    exit 77
fi
mkdir -p "$work"
for dtype in F32 F64; do
    "$interop" export "$work/nn_$dtype.safetensors" "$work/nn_case_$dtype.safetensors" "$dtype"
    "$python" "$script" check "$work/nn_$dtype.safetensors" "$work/nn_case_$dtype.safetensors"
    "$python" "$script" export "$work/torch_$dtype.safetensors" "$work/torch_case_$dtype.safetensors" "$dtype"
    "$interop" check "$work/torch_$dtype.safetensors" "$work/torch_case_$dtype.safetensors" "$dtype"
done
