#!/usr/bin/env bash
# A program that must not compile, and must say why in one error: its compiler output holds
# MESSAGE and a single line with "error:".
# Usage: compile_error.sh CXX INCLUDE_DIR SOURCE MESSAGE
set -uo pipefail
cxx=$1 include=$2 source=$3 message=$4
if output=$("$cxx" -std=c++20 -fsyntax-only -I "$include" "$source" 2>&1); then
    echo "FAILED: $source compiled"
    exit 1
fi
errors=$(grep -c "error:" <<<"$output")
echo "$output" | head -20
echo "($(wc -l <<<"$output") lines, $errors with \"error:\")"
grep -qF "$message" <<<"$output" || { echo "FAILED: no \"$message\""; exit 1; }
[ "$errors" -eq 1 ] || { echo "FAILED: $errors errors, expected one"; exit 1; }
echo "passed"
