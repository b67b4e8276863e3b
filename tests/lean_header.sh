#!/usr/bin/env bash
# The deployment headers are lean: a file that includes <nn/static_network.hpp> alone
# (static_only.cpp), <nn/predictor.hpp> alone (predictor_only.cpp), or <nn/static_file.hpp> alone
# (static_file_only.cpp), pulls in neither the
# network, the training nor the kernels, and at most MAX_LINES lines of the library; prints the
# library's headers each reads and their lines.
# Usage: lean_header.sh CXX INCLUDE_DIR SOURCE MAX_LINES [SOURCE MAX_LINES ...]
set -euo pipefail
cxx=$1 include=$2
shift 2
while [ $# -gt 0 ]; do
    source=$1 max=$2
    shift 2
    headers=$("$cxx" -std=c++20 -I "$include" -MM "$source" | tr -s ' \\' '\n' | grep "^$include/nn/" | sort -u)
    # shellcheck disable=SC2086 # one word per header
    lines=$(cat $headers | wc -l)
    echo "$(basename "$source"): $(echo "$headers" | wc -l) headers of the library, $lines lines (at most $max):"
    echo "$headers" | sed "s|^$include/|    |"
    for heavy in network.hpp io.hpp train.hpp optim.hpp detail/kernels.hpp detail/gemm.hpp; do
        if echo "$headers" | grep -q "/nn/$heavy$"; then
            echo "FAILED: $(basename "$source") pulls in nn/$heavy"
            exit 1
        fi
    done
    if [ "$lines" -gt "$max" ]; then
        echo "FAILED: $(basename "$source") pulls in $lines lines of the library, more than $max"
        exit 1
    fi
done
echo "passed: none of network.hpp, io.hpp, train.hpp, optim.hpp, kernels.hpp, gemm.hpp, and no more lines than said"
