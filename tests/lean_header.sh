#!/usr/bin/env bash
# The deployment header is lean: a file that includes <nn/static_network.hpp> alone (static_only.cpp)
# pulls in neither the network, the training, nor the kernels; prints the library's headers it
# reads and their lines.
# Usage: lean_header.sh CXX INCLUDE_DIR SOURCE
set -euo pipefail
cxx=$1 include=$2 source=$3
headers=$("$cxx" -std=c++20 -I "$include" -MM "$source" | tr -s ' \\' '\n' | grep "^$include/nn/" | sort -u)
lines=$(cat $headers | wc -l)
echo "$(echo "$headers" | wc -l) headers of the library, $lines lines:"
echo "$headers" | sed "s|^$include/||"
for heavy in network.hpp io.hpp train.hpp optim.hpp detail/kernels.hpp detail/gemm.hpp; do
    if echo "$headers" | grep -q "/nn/$heavy$"; then
        echo "FAILED: the deployment header pulls in nn/$heavy"
        exit 1
    fi
done
echo "passed: none of network.hpp, io.hpp, train.hpp, optim.hpp, kernels.hpp, gemm.hpp"
