#!/usr/bin/env bash
# The ONNX round trips: nn -> ONNX -> onnx.checker (full_check) and ONNX Runtime, and PyTorch ->
# ONNX -> nn::load_onnx, outputs compared within float rounding; files nn must refuse, refused with
# their message. Exits 77 (skipped) without python3-onnx, python3-torch, Node.js or ONNX Runtime,
# which npm installs beside this script before the tests run (npm ci --ignore-scripts --prefix
# tests/onnx: onnxruntime-node, the version package-lock.json pins, without its install script,
# which would download extras; its Linux x64 runtime is in the package). Downloads nothing.
# Usage: onnx.sh <onnx_tool binary> <work folder>
set -euo pipefail
tool=$1 work=$2 here=$(cd "$(dirname "$0")" && pwd)
python=${NN_PYTHON:-/usr/bin/python3} # Debian's python3-onnx and python3-torch install into the system Python
[ -x "$python" ] || python=python3
missing=
"$python" -c "import onnx" 2>/dev/null || missing="$missing python3-onnx"
"$python" -c "import torch" 2>/dev/null || missing="$missing python3-torch"
command -v node >/dev/null || missing="$missing nodejs"
if [ -n "$missing" ]; then
    echo "skipped: needs$missing (apt-get install$missing)"
    exit 77
fi
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
    echo "skipped: needs ONNX Runtime from npm (npm ci --ignore-scripts --prefix tests/onnx, as the README's test command does)"
    exit 77
fi
mkdir -p "$work"
rm -rf "$work/files" && mkdir "$work/files"
"$tool" export "$work/files"
"$python" "$here/torch_onnx.py" check "$work/files"
node "$here/run_ort.js" "$work/files"
"$python" "$here/torch_onnx.py" export "$work/files" 2> "$work/torch_export.log" || { cat "$work/torch_export.log"; exit 1; }
"$tool" load "$work/files"
