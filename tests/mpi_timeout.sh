#!/usr/bin/env bash
# Runs tests/mpi_timeout.cpp on 3 ranks and checks that ranks 0 and 1 each named rank 2, which
# stopped itself, within seconds, and that the job ended (Session aborts it).
# Usage: mpi_timeout.sh MPIEXEC PROGRAM [MPIEXEC FLAGS...]
set -u
mpiexec=$1 program=$2
shift 2
start=$(date +%s)
output=$(timeout 120 "$mpiexec" -np 3 "$@" "$program" 2>&1)
status=$?
elapsed=$(($(date +%s) - start))
echo "$output"
echo "mpiexec ended with status $status after $elapsed s"
[ "$status" -ne 124 ] || { echo "FAILED: the job hung (killed by timeout after 120 s)"; exit 1; }
for rank in 0 1; do
    echo "$output" | grep -q "^rank $rank caught: .*did not complete within 1 s: rank 2 did not answer (stopped, hung or dead)" ||
        { echo "FAILED: rank $rank did not report rank 2 as silent"; exit 1; }
done
[ "$elapsed" -lt 60 ] || { echo "FAILED: it took $elapsed s"; exit 1; }
echo "passed: every running rank named the stopped one, and the job ended"
