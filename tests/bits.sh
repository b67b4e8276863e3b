#!/usr/bin/env bash
# Which bits an aarch64 build shares with an x86-64 one (the README's determinism section): runs
# nn_bits (tests/bits.cpp) built for x86-64 and for aarch64 and compares their digests, stage by
# stage. Asserted: every stage equal to the x86-64 build's AVX2 kernels and to the ones it chooses
# by default (AVX-512 where the CPU has it), where this CPU has AVX2 and FMA (kernels that fuse
# multiply-adds, as aarch64's do), and the stages that involve no
# multiply-add (the starting network, ReLU, leaky ReLU) equal to the SSE2 baseline's as well.
# Usage: bits.sh <x86-64 nn_bits> <command that runs the aarch64 nn_bits...>
set -euo pipefail
x86=$1
shift
arm=$("$@")
baseline=$(NN_SIMD=baseline "$x86")
stages() { grep -v '^kernels' <<< "$1"; }
echo "aarch64: $(head -1 <<< "$arm"); x86-64: $(head -1 <<< "$baseline") and, where the CPU has them, avx2"
failed=0
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    fused=$(NN_SIMD=avx2 "$x86")
    if diff <(stages "$arm") <(stages "$fused") > /dev/null; then
        echo "every stage ($(stages "$arm" | wc -l)) has the same bits on aarch64 as on x86-64's AVX2 kernels"
    else
        echo "FAILED: aarch64 and x86-64's AVX2 kernels differ:"
        diff <(stages "$arm") <(stages "$fused") || true
        failed=1
    fi
    best=$("$x86")
    if ! grep -q 'avx2' <<< "$(head -1 <<< "$best")"; then # the run-time choice, AVX-512 here
        if diff <(stages "$arm") <(stages "$best") > /dev/null; then
            echo "and as on the kernels this CPU runs by default: $(head -1 <<< "$best")"
        else
            echo "FAILED: aarch64 and x86-64's default kernels ($(head -1 <<< "$best")) differ:"
            diff <(stages "$arm") <(stages "$best") || true
            failed=1
        fi
    fi
else
    echo "this CPU has no AVX2 with FMA: the comparison with the fused x86-64 kernels is left out"
fi
shared='init|activation relu|activation leaky_relu'
if diff <(stages "$arm" | grep -E "$shared") <(stages "$baseline" | grep -E "$shared") > /dev/null; then
    echo "the starting network, ReLU and leaky ReLU have the same bits on aarch64 as on the SSE2 baseline"
else
    echo "FAILED: aarch64 and the SSE2 baseline differ where no multiply-add is involved:"
    diff <(stages "$arm" | grep -E "$shared") <(stages "$baseline" | grep -E "$shared") || true
    failed=1
fi
echo "stages that differ between aarch64 and the SSE2 baseline (no fused multiply-add there):"
diff <(stages "$arm") <(stages "$baseline") | sed -n 's/^> /  /p' || true
exit $failed
