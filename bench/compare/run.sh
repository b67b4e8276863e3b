#!/usr/bin/env bash
# Builds and runs the four reference workloads (xor, adder, mnist, wide) with nn, FANN and
# PyTorch, one training step each, and prints median microseconds per step, nn's ratio to the
# fastest peer on one thread, and nn's and Eigen's GEMM rates. A peer that is not installed is
# skipped with a note (Debian: libfann-dev, python3-torch, libeigen3-dev).
# Usage: bench/compare/run.sh [workload]      (from anywhere; builds into build-compare/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build-compare
mkdir -p "$out"
only=${1:-}
cxx=${CXX:-g++} cc=${CC:-gcc} python=${NN_PYTHON:-/usr/bin/python3}
flags="-O3 -march=native -DNDEBUG" # as CMake's Release build, plus this machine's instruction set

echo "building nn ($cxx $flags, and again with -fopenmp for two threads)"
$cxx -std=c++20 $flags -I"$root/include" "$here/nn_step.cpp" -o "$out/nn_step"
$cxx -std=c++20 $flags -fopenmp -I"$root/include" "$here/nn_step.cpp" -o "$out/nn_step_omp"
declare -A nn nn2 fann torch1 torch2 tuned1 tuned2
notes=()
while read -r name us; do nn[$name]=$us; done < <("$out/nn_step" $only)
while read -r name us; do nn2[$name]=$us; done < <(OMP_NUM_THREADS=2 OMP_PROC_BIND=spread "$out/nn_step_omp" $only)

if [ -f /usr/include/floatfann.h ]; then
    echo "building FANN's runner ($cc)"
    $cc -std=c11 $flags "$here/fann_step.c" -o "$out/fann_step" -lfloatfann -lm
    while read -r name us; do fann[$name]=$us; done < <("$out/fann_step" $only)
else
    notes+=("FANN skipped: not installed (apt-get install libfann-dev)")
fi

if "$python" -c "import torch" 2>/dev/null; then
    # As this machine's environment runs it (which may pin OpenBLAS's kernels with
    # OPENBLAS_CORETYPE), and with OpenBLAS left to detect the CPU itself (its fastest kernels).
    while read -r name us; do torch1[$name]=$us; done < <(OPENBLAS_NUM_THREADS=1 "$python" "$here/torch_step.py" 1 $only)
    while read -r name us; do torch2[$name]=$us; done < <(OPENBLAS_NUM_THREADS=2 "$python" "$here/torch_step.py" 2 $only)
    while read -r name us; do tuned1[$name]=$us; done < <(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "$python" "$here/torch_step.py" 1 $only)
    while read -r name us; do tuned2[$name]=$us; done < <(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 "$python" "$here/torch_step.py" 2 $only)
    blas=$("$python" -c "import torch, re; print(re.search(r'BLAS_INFO=(\w+)', torch.__config__.show()).group(1))" 2>/dev/null || echo unknown)
    lib=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)
    notes+=("PyTorch's BLAS: $lib; 'PyTorch*' columns: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (${OPENBLAS_CORETYPE:+here pinned to $OPENBLAS_CORETYPE}), OpenBLAS picks its kernels")
    case $lib in *openblas*) ;; *) notes+=("PyTorch runs on the reference BLAS here: apt-get install libopenblas0-pthread for a fair comparison") ;; esac
else
    notes+=("PyTorch skipped: not installed for $python (apt-get install python3-torch)")
fi

eigen=""
if [ -d /usr/include/eigen3 ]; then
    $cxx -std=c++20 $flags -I/usr/include/eigen3 "$here/eigen_gemm.cpp" -o "$out/eigen_gemm"
    eigen=$("$out/eigen_gemm" | awk '{print $2}')
else
    notes+=("Eigen skipped: not installed (apt-get install libeigen3-dev)")
fi
notes+=("the classic single-header nn.h is not packaged by Debian: not measured")

echo
echo "median microseconds per training step (float, sigmoid, one thread unless marked); $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf "%-7s %10s %10s %10s %11s %11s %11s %11s %8s  %s\n" workload nn "nn 2t" FANN "PyTorch 1t" "PyTorch 2t" "PyTorch* 1t" "PyTorch* 2t" "nn/best" "target (one thread)"
declare -A target=([xor]=0.5 [adder]=0.2 [mnist]=0.5 [wide]=0.5)
for w in xor adder mnist wide; do
    [ -n "${nn[$w]:-}" ] || continue
    best=""
    for peer in "${fann[$w]:-}" "${torch1[$w]:-}" "${tuned1[$w]:-}"; do
        [ -n "$peer" ] && { [ -z "$best" ] || awk -v a="$peer" -v b="$best" 'BEGIN { exit !(a < b) }'; } && best=$peer
    done
    ratio=$([ -n "$best" ] && awk -v a="${nn[$w]}" -v b="$best" 'BEGIN { printf "%.3f", a / b }' || echo "-")
    verdict=$([ "$ratio" != "-" ] && awk -v r="$ratio" -v t="${target[$w]}" 'BEGIN { print (r <= t ? "<= " t " met" : "<= " t " MISSED") }' || echo "-")
    printf "%-7s %10.4g %10.4g %10.4g %11.4g %11.4g %11.4g %11.4g %8s  %s\n" "$w" "${nn[$w]}" "${nn2[$w]:-0}" "${fann[$w]:-0}" "${torch1[$w]:-0}" "${torch2[$w]:-0}" "${tuned1[$w]:-0}" "${tuned2[$w]:-0}" "$ratio" "$verdict"
done
if [ -n "${nn[wide]:-}" ]; then
    # 6 n sum_l n_l n_(l+1) flops per step: forward, and the two products of backprop.
    rate=$(awk -v us="${nn[wide]}" 'BEGIN { printf "%.1f", 6 * 256 * 3 * 1024 * 1024 / (us * 1e-6) / 1e9 }')
    echo
    speedup=$(awk -v a="${nn[wide]}" -v b="${nn2[wide]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    echo "wide, two threads: ${speedup}x nn's one-thread rate (target 1.7x)"
    echo "wide step: $rate GFLOP/s; Eigen's single-precision GEMM on one core: ${eigen:--} GFLOP/s$([ -n "$eigen" ] && awk -v a="$rate" -v b="$eigen" 'BEGIN { printf " (nn at %.0f%% of it; target 85%%)", 100 * a / b }')"
fi
for n in "${notes[@]}"; do echo "note: $n"; done
